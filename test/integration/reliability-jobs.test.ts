/**
 * Reliability and security of the whole service, end to end (see test/support/reliability.ts).
 * Jobs under odd conditions: identity and concurrency, YAML bombs, cancellation that stays within its pull request, buttons that need write permission, backends down.
 */
import { describe, expect, it } from "vitest";
import { checkRunEvent, issueCommentEvent, type SimRepo } from "../../testing/github-sim/index.js";
import { allCompleted, checksOf, randomSha, startWorld, TWO_TARGET_CONFIG, waitFor, waitForChecks, type World } from "../support/env.js";
import {
  FROZEN,
  SHORT_RETRIES,
  ONE_BUILD,
  MB,
  count,
  healthz,
  coprCancelCalls,
  settled,
  openPr,
  reliabilityHooks,
} from "../support/reliability.js";
import { gc } from "../support/heap.js";

describe("reliability and security", () => {
  let world: World | undefined;
  reliabilityHooks(async () => {
    await world?.stop();
    world = undefined;
  });

  // --- Identity and concurrency --------------------------------------------------------
  it("keeps running jobs for a repository deleted and re-created under the same name (a new repository id)", async () => {
    world = await startWorld();
    const a = randomSha();
    await openPr(world, 1, a);
    await waitForChecks(world, a, (c) => allCompleted(c, 4), "the first repository's PR");
    // On GitHub, acme/widget was deleted and a new acme/widget created (or another repository renamed
    // to it): same owner and name, a new id. (The simulator keeps serving its files under the name.)
    const recreated: SimRepo = { ...world.repo, id: world.repo.id + 7777 };
    const b = randomSha();
    const res = await openPr(world, 1, b, recreated);
    expect(res.status, res.body).toBe(200);
    const checks = await waitForChecks(world, b, (c) => allCompleted(c, 4), "the re-created repository's PR");
    expect(Object.values(checks)).toEqual(Array(4).fill("completed:success"));
  });

  it("two cancel requests for the same running build at once make one Copr cancel call, and neither report says 'already finished'", async () => {
    world = await startWorld(undefined, FROZEN);
    const sha = randomSha();
    await openPr(world, 6, sha);
    await waitFor(() => world!.fakes.copr.submissions === 2, 10_000, "the builds");
    const name = "rpm-build:fedora-rawhide-x86_64";
    await waitForChecks(world, sha, (c) => c[name] === "in_progress", "the build's check in progress");
    const run = world.sim.checkRuns("acme", "widget", sha).find((c) => c.name === name)!;
    // Copr takes a moment to answer a cancel, as the real one does.
    world.fakes.copr.faults.delayMs = (req) => (req.method === "PUT" ? 300 : 0);
    const press = () =>
      world!.send(
        "check_run",
        checkRunEvent("requested_action", {
          repo: world!.repo,
          checkRun: run,
          identifier: "cancel",
          sender: "maintainer",
          pullRequests: [{ number: 6 }],
        }),
      );
    const [p1, p2] = await Promise.all([press(), press()]);
    expect([p1.status, p2.status]).toEqual([200, 200]);
    await waitForChecks(world, sha, (c) => c[name] === "completed:cancelled", "the build cancelled");
    await waitFor(
      async () =>
        (await count(world!, "tasks", "name = 'cancel-jobs' AND status IN ('todo','doing')")) === 0 &&
        (await count(world!, "tasks", "name = 'cancel-jobs'")) === 2,
      5000,
      "both cancel requests handled",
    );
    expect(coprCancelCalls(world), "Copr cancel calls for one build").toBe(1);
    const reports = (
      await world.deps.db.all<{ detail: string }>("SELECT detail FROM audit WHERE action = 'cancel.button' ORDER BY id")
    ).map((r) => r.detail);
    for (const r of reports) expect(r).not.toContain("already finished");
  });

  // --- YAML bombs ----------------------------------------------------------------------
  it("answers YAML bombs (billion laughs, 10,000-deep nesting, 2 MB, not UTF-8, binary) with one failed packit:config check each, fast and in bounded memory", async () => {
    world = await startWorld(null);
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    laughs.push("jobs: *i");
    const padding = "# padding padding padding padding padding padding padding padding padding\n";
    const bombs: Record<string, { text: string; reason: RegExp }> = {
      "billion-laughs": { text: `${laughs.join("\n")}\n`, reason: /nodes|alias/ },
      "deep-flow": { text: `jobs: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`, reason: /nest|depth/i },
      "deep-block": { text: `jobs:\n  ${"- ".repeat(10_000)}x\n`, reason: /nest|depth/i },
      "deep-mapping": { text: `jobs: ${"{a: ".repeat(10_000)}1${"}".repeat(10_000)}\n`, reason: /nest|depth/i },
      "two-megabytes": {
        text: `specfile_path: widget.spec\n${padding.repeat(Math.ceil((2 * MB) / padding.length))}jobs: []\n`,
        reason: /larger than/,
      },
      // What GitHub's `text` shows for a Latin-1 file: invalid bytes become U+FFFD.
      "not-utf8": { text: Buffer.from("specfile_path: caf\xe9.spec\njobs: []\n", "latin1").toString("utf8"), reason: /UTF-8/ },
      binary: { text: "specfile_path: x\0\x01\x02\njobs: []\n", reason: /binary/ },
    };
    const repos = Object.entries(bombs).map(([name, b]) => ({
      name,
      ...b,
      repo: world!.sim.addRepo({ installationId: 100, owner: "acme", name: `bomb-${name}`, files: { ".packit.yaml": b.text } }),
    }));

    gc();
    const heap0 = process.memoryUsage().heapUsed;
    let peak = heap0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 2);
    try {
      for (const r of repos) {
        const sha = randomSha();
        const t0 = Date.now();
        const res = await openPr(world, 1, sha, r.repo);
        expect(res.status, `${r.name}: ${res.body}`).toBe(200);
        await waitFor(
          () => world!.sim.checkRuns("acme", r.repo.name, sha).some((c) => c.status === "completed"),
          5000,
          `${r.name}'s config check`,
        );
        expect(Date.now() - t0, `${r.name} answered within a few seconds`).toBeLessThan(5000);
        const runs = world.sim.checkRuns("acme", r.repo.name, sha);
        expect(
          runs.map((c) => [c.name, c.conclusion]),
          r.name,
        ).toEqual([["packit:config", "failure"]]);
        expect(runs[0]!.output?.summary, r.name).toMatch(r.reason);
        expect(runs[0]!.output?.summary?.length ?? 0, `${r.name}: the summary is short`).toBeLessThan(10_000);
      }
    } finally {
      clearInterval(sampler);
    }
    expect(peak - heap0, `heap growth ${((peak - heap0) / MB).toFixed(1)} MB`).toBeLessThan(200 * MB);
    expect(world.fakes.copr.submissions).toBe(0);
    expect(await count(world, "jobs")).toBe(0);
    expect(await healthz(world)).toBe(200);
  });

  // --- Cancellation stays within its pull request --------------------------------------
  it("`/packit cancel rpm-build:…` on a pull request cancels nothing of another repository or another pull request", async () => {
    world = await startWorld(undefined, FROZEN);
    const gadget = world.sim.addRepo({ installationId: 100, owner: "acme", name: "gadget", files: { ".packit.yaml": TWO_TARGET_CONFIG } });
    world.sim.setPermission("acme", "gadget", "maintainer", "write");
    world.sim.setPermission("acme", "gadget", "contributor", "write");
    const shaWidget = randomSha();
    const shaGadget = randomSha();
    await openPr(world, 3, shaWidget); // widget#3 has the jobs
    await openPr(world, 2, shaGadget, gadget); // gadget#2 has the jobs
    await waitFor(() => world!.fakes.copr.submissions === 4, 10_000, "both PRs' builds");
    const unfinished = async () =>
      (await world!.deps.db.get<{ n: number }>(
        "SELECT COUNT(*) AS n FROM jobs WHERE finished_at IS NULL AND state IN ('pending','submitted','running')",
      ))!;
    expect((await unfinished()).n).toBe(8);

    const command = (repo: SimRepo, issueNumber: number, body: string) =>
      world!.send(
        "issue_comment",
        issueCommentEvent({ repo, issueNumber, isPullRequest: true, body, author: "maintainer", issueAuthor: "contributor" }),
      );
    // widget#2 does not exist as far as jobs go: its number belongs to gadget's PR.
    expect((await command(world.repo, 2, "/packit cancel rpm-build:fedora-rawhide-x86_64")).status).toBe(200);
    // gadget#3: the number of widget's PR.
    expect((await command(gadget, 3, "/packit cancel rpm-build:fedora-rawhide-x86_64 rpm-build:fedora-44-x86_64")).status).toBe(200);
    // widget#99: no jobs anywhere; "all" must not mean "all of the installation".
    expect((await command(world.repo, 99, "/packit cancel all")).status).toBe(200);
    await waitFor(
      () =>
        world!.sim.comments("acme", "widget", 2).length === 1 &&
        world!.sim.comments("acme", "gadget", 3).length === 1 &&
        world!.sim.comments("acme", "widget", 99).length === 1,
      10_000,
      "the three replies",
    );
    for (const c of [
      ...world.sim.comments("acme", "widget", 2),
      ...world.sim.comments("acme", "gadget", 3),
      ...world.sim.comments("acme", "widget", 99),
    ]) {
      expect(c.body).toContain("nothing to cancel");
    }
    await settled(world);
    expect(coprCancelCalls(world)).toBe(0);
    expect((await unfinished()).n).toBe(8);
    for (const s of [...Object.values(checksOf(world, shaWidget))]) expect(s.startsWith("completed")).toBe(false);
    expect(world.sim.checkRuns("acme", "gadget", shaGadget).every((c) => c.status !== "completed")).toBe(true);
  }, 60_000);

  // --- Check-run buttons need write permission -----------------------------------------
  it("refuses the check run's Cancel button pressed by a user without write permission", async () => {
    world = await startWorld(undefined, FROZEN);
    world.sim.setPermission("acme", "widget", "reader", "read");
    const sha = randomSha();
    await openPr(world, 5, sha);
    await waitFor(() => world!.fakes.copr.submissions === 2, 10_000, "the builds");
    const name = "rpm-build:fedora-rawhide-x86_64";
    await waitForChecks(world, sha, (c) => c[name] === "in_progress", "the build's check in progress");
    const run = world.sim.checkRuns("acme", "widget", sha).find((c) => c.name === name)!;
    const job = async () => (await world!.deps.db.get<{ state: string }>("SELECT state FROM jobs WHERE key = ?", [name]))!;
    const press = (sender: string) =>
      world!.send(
        "check_run",
        checkRunEvent("requested_action", {
          repo: world!.repo,
          checkRun: run,
          identifier: "cancel",
          sender,
          pullRequests: [{ number: 5 }],
        }),
      );

    for (const sender of ["stranger", "reader"]) {
      const res = await press(sender);
      expect(res.status, sender).toBeLessThan(300);
    }
    await settled(world);
    expect((await job()).state).toBe("submitted");
    expect(coprCancelCalls(world)).toBe(0);
    expect(await count(world, "tasks", "name = 'cancel-jobs'")).toBe(0);
    expect(checksOf(world, sha)[name]).toBe("in_progress");

    // Control: the same button pressed by a maintainer does cancel (so the refusals were about permission).
    expect((await press("maintainer")).status).toBe(200);
    await waitForChecks(world, sha, (c) => c[name] === "completed:cancelled", "the maintainer's cancel");
    expect(coprCancelCalls(world)).toBe(1);
  });

  // --- Backends down -------------------------------------------------------------------
  it("rides out a status outage longer than the retry budget: the build goes on and its job still succeeds", async () => {
    world = await startWorld(ONE_BUILD, { phaseMs: 1000, settings: { ...SHORT_RETRIES, polling: { intervalMs: 50, maxIntervalMs: 100 } } });
    const sha = randomSha();
    await openPr(world, 9, sha);
    await waitFor(async () => (await count(world!, "jobs", "state = 'submitted'")) === 1, 5000, "the build submitted");
    const outage = { from: Date.now(), until: Date.now() + 1500 };
    world.fakes.copr.faults.failUntil = outage.until; // many polls, far more than 3 attempts
    const name = "rpm-build:fedora-rawhide-x86_64";
    await waitForChecks(world, sha, (c) => c[name]?.startsWith("completed") ?? false, "the build to end", 10_000);
    expect(checksOf(world, sha)[name]).toBe("completed:success");
    const failedPolls = world.fakes.copr.calls.filter(
      (c) => c.method === "GET" && /\/build\/\d+/.test(c.path) && c.at >= outage.from && c.at < outage.until,
    );
    expect(failedPolls.length).toBeGreaterThan(5);
  });

  it("ends a job in error once its backend has been unreadable for polling.giveUpAfterMs", async () => {
    world = await startWorld(ONE_BUILD, { phaseMs: 60_000, settings: { ...SHORT_RETRIES, polling: { giveUpAfterMs: 500 } } });
    const sha = randomSha();
    await openPr(world, 10, sha);
    await waitFor(async () => (await count(world!, "jobs", "state = 'submitted'")) === 1, 5000, "the build submitted");
    world.fakes.copr.faults.failUntil = Date.now() + 600_000;
    const name = "rpm-build:fedora-rawhide-x86_64";
    await waitForChecks(world, sha, (c) => c[name] === "completed:failure", "the build to end in error", 10_000);
    const run = world.sim.checkRuns("acme", "widget", sha).find((c) => c.name === name)!;
    expect(run.output?.summary).toMatch(/status check failed: .*500.*\(no answer for \d+ min\)/s);
  });

  it("ends a job in error, with a message on its check, when Copr answers 500 for longer than the retry budget", async () => {
    world = await startWorld(ONE_BUILD, { settings: SHORT_RETRIES });
    world.fakes.copr.faults.failUntil = Date.now() + 600_000;
    const sha = randomSha();
    await openPr(world, 8, sha);
    const name = "rpm-build:fedora-rawhide-x86_64";
    await waitForChecks(world, sha, (c) => c[name] === "completed:failure", "the build to end in error");
    const run = world.sim.checkRuns("acme", "widget", sha).find((c) => c.name === name)!;
    expect(run.output?.title).toMatch(/^Error: submission failed/);
    expect(run.output?.summary).toMatch(/submission failed/);
    expect(run.output?.summary).toMatch(/500/);
    expect(run.output?.summary).toMatch(/gave up after 3 attempts/);
    const job = (await world.deps.db.get<{ state: string; finished_at: number }>("SELECT state, finished_at FROM jobs"))!;
    expect(job.state).toBe("error");
    // Once the queue is idle (the ended job's reconciliation included: it looks for a build
    // Copr may have accepted unrecorded), nothing was submitted after giving up.
    await waitFor(
      async () => (await world!.deps.tasks.counts()).every((c) => c.status !== "todo" && c.status !== "doing"),
      15_000,
      "the queue to go idle",
    );
    // The last attempt's call and the job's end can fall in the same millisecond: it counts as before.
    const before = world.fakes.copr.calls.filter((c) => c.at <= job.finished_at);
    const after = world.fakes.copr.calls.filter((c) => c.at > job.finished_at);
    expect(before.length, "retried before giving up").toBeGreaterThan(1);
    expect(before.length, "bounded by the retry budget").toBeLessThanOrEqual(10);
    expect(
      after.filter((c) => c.method !== "GET"),
      "no submission after giving up",
    ).toEqual([]);
    // Every attempt was answered (500), so none can still arrive: the reconciliation's lookups
    // are bounded by its own retry budget, not repeated until the call's timeout.
    const lookups = after.filter((c) => c.path.startsWith("/api_3/build/list"));
    expect(lookups.length, "reconciliation lookups").toBeLessThanOrEqual(SHORT_RETRIES.worker.maxAttempts);

    // Copr is back: the next pull request builds normally.
    world.fakes.copr.faults.failUntil = 0;
    const next = randomSha();
    await openPr(world, 9, next);
    await waitForChecks(world, next, (c) => c[name] === "completed:success", "the next build");
  });

  it("ends a job in error when a backend hangs beyond its timeout, and no worker stays stuck: a later job still runs", async () => {
    world = await startWorld(ONE_BUILD, { settings: { ...SHORT_RETRIES, backends: { copr: { timeoutMs: 200 } } } });
    expect(world.settings.backends.copr.url).toBe(world.fakes.copr.url);
    world.fakes.copr.faults.delayMs = 4000;
    const sha = randomSha();
    const t0 = Date.now();
    await openPr(world, 10, sha);
    const name = "rpm-build:fedora-rawhide-x86_64";
    await waitForChecks(world, sha, (c) => c[name] === "completed:failure", "the build to end in error", 10_000);
    expect(Date.now() - t0, "3 attempts of 200 ms, not 3 × 4 s").toBeLessThan(3500);
    const run = world.sim.checkRuns("acme", "widget", sha).find((c) => c.name === name)!;
    expect(run.output?.title).toMatch(/^Error: /);
    expect(run.output?.summary).toMatch(/timed out after 200 ms/);
    expect(run.output?.summary).toMatch(/gave up after 3 attempts/);
    expect(world.fakes.copr.calls.length).toBeGreaterThan(1);

    world.fakes.copr.faults.delayMs = 0;
    const next = randomSha();
    await openPr(world, 11, next);
    await waitForChecks(world, next, (c) => c[name] === "completed:success", "a later build");
    await waitFor(async () => (await count(world!, "tasks", "status = 'doing'")) === 0, 5000, "no task left running");
  });
});
