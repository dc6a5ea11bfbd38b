/**
 * Reliability and security of the whole service, end to end: the simulated GitHub,
 * the five fake backends and the real service over HTTP (see test/support/env.ts).
 * Every test answers one question a user or an operator would ask: what happens
 * when GitHub (or someone pretending to be GitHub) sends something odd, when a
 * backend is down, when the disk is full, and whether a secret can leak.
 */
import { sqliteOf } from "../support/db.js";
import { createHmac, randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FAKE_COPR_ACCOUNT } from "../../testing/fakes/copr.js";
import { FAKE_OFFLINE_TOKEN } from "../../testing/fakes/redhat-sso.js";
import { FAKE_TF_API_KEY } from "../../testing/fakes/testing-farm.js";
import {
  checkRunEvent,
  issueCommentEvent,
  pullRequestEvent,
  pushEvent,
  releaseEvent,
  type SimRepo,
} from "../../testing/github-sim/index.js";
import { createLogger } from "../../src/log.js";
import { allCompleted, checksOf, randomSha, startWorld, TWO_TARGET_CONFIG, waitFor, waitForChecks, type World } from "../support/env.js";

/** Fakes that never move on their own: jobs stay running until a test finishes or cancels them. */
const FROZEN = { phaseMs: 3_600_000 };
/** A short retry budget so that "gives up after retries" takes well under a second. */
const SHORT_RETRIES = { worker: { maxAttempts: 3, retryBaseMs: 20, retryMaxMs: 50 } };
const ONE_BUILD =
  "specfile_path: widget.spec\njobs:\n  - job: copr_build\n    trigger: pull_request\n    targets: [fedora-rawhide-x86_64]\n";
const MB = 1024 * 1024;

/** A real `gc()` so heap measurements are not noise from garbage not yet collected. */
const gc: () => void = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();

const count = async (w: World, table: string, where = "1=1") =>
  (await w.deps.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`))!.n;
const healthz = async (w: World) => (await fetch(`${w.service.url}/healthz`)).status;
const coprCancelCalls = (w: World) => w.fakes.copr.calls.filter((c) => c.method === "PUT" && c.path.includes("/build/cancel/")).length;
/**
 * Wait until the app has nothing running and nothing due: what earlier steps set off has
 * ended (an event the database shows, not a guess at how long the work takes).
 */
const settled = (w: World, timeoutMs = 10_000) =>
  waitFor(
    async () => (await count(w, "tasks", `status = 'doing' OR (status = 'todo' AND scheduled_at <= ${w.deps.now()})`)) === 0,
    timeoutMs,
    "the app to settle",
  );

/** POST to the webhook endpoint by hand (to send what `sendWebhook` never would). */
async function postRaw(
  w: World,
  o: { event: string; body: string; signature?: string | null; deliveryId?: string },
): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-github-event": o.event,
    "x-github-delivery": o.deliveryId ?? randomUUID(),
  };
  const signature = o.signature === undefined ? hmac(w.sim.webhookSecret, o.body) : o.signature;
  if (signature !== null) headers["x-hub-signature-256"] = signature;
  const res = await fetch(`${w.service.url}/api/github/webhooks`, { method: "POST", headers, body: o.body });
  return { status: res.status, body: await res.text() };
}
const hmac = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

/** Counts crashes the process would otherwise only print. */
const processErrors: string[] = [];
const onRejection = (reason: unknown) => processErrors.push(`unhandledRejection: ${String((reason as Error)?.stack ?? reason)}`);
const onException = (err: Error) => processErrors.push(`uncaughtException: ${err.stack ?? err.message}`);

/** A copy of a payload with the field at the dotted `path` deleted, or (given `value`) set: a payload GitHub would never send. */
function damaged(payload: object, path: string, ...value: [unknown?]): Record<string, unknown> {
  const copy = structuredClone(payload) as Record<string, unknown>;
  const keys = path.split(".");
  const last = keys.pop()!;
  let node = copy;
  for (const k of keys) node = node[k] as Record<string, unknown>;
  if (value.length === 0) delete node[last];
  else node[last] = value[0];
  return copy;
}

describe("reliability and security", () => {
  let world: World | undefined;
  beforeAll(() => {
    process.on("unhandledRejection", onRejection);
    process.on("uncaughtException", onException);
  });
  afterAll(() => {
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  });
  afterEach(async () => {
    await world?.stop();
    world = undefined;
    expect(processErrors.splice(0), "no unhandled rejection or exception in the process").toEqual([]);
  });

  const openPr = (w: World, number: number, sha: string, repo: SimRepo = w.repo) =>
    w.send("pull_request", pullRequestEvent("opened", { repo, number, headSha: sha, author: "contributor" }));

  // --- Signatures and odd bodies -------------------------------------------------------
  it("refuses webhooks with a wrong or missing signature (400/401) and stores nothing; a body that is not JSON gets 400, ping gets 200", async () => {
    world = await startWorld();
    const body = JSON.stringify(pullRequestEvent("opened", { repo: world.repo, number: 1, headSha: randomSha(), author: "contributor" }));
    const forged = [
      { what: "signed with another secret", signature: hmac("not-the-webhook-secret", body) },
      { what: "signature of another body", signature: hmac(world.sim.webhookSecret, `${body} `) },
      { what: "garbage signature", signature: "sha256=zz" },
      { what: "empty signature", signature: "" },
      { what: "no signature header", signature: null },
    ];
    for (const f of forged) {
      const res = await postRaw(world, { event: "pull_request", body, signature: f.signature });
      expect([400, 401], `${f.what}: ${res.status} ${res.body}`).toContain(res.status);
    }
    const notJson = await postRaw(world, { event: "pull_request", body: "{this is not JSON" });
    expect(notJson.status, notJson.body).toBe(400);
    const ping = await world.send("ping", {
      zen: "Keep it logically awesome.",
      hook_id: 1,
      hook: { type: "App", id: 1, active: true, events: ["pull_request"] },
    });
    expect(ping.status).toBe(200);

    // A delivery's tasks are queued in the transaction that answers it: none now means none later.
    expect(await count(world, "deliveries")).toBe(0);
    expect(await count(world, "pipelines")).toBe(0);
    expect(await count(world, "jobs")).toBe(0);
    expect(await count(world, "tasks")).toBe(0);
    expect(world.fakes.copr.submissions).toBe(0);
    expect(world.sim.requests).toHaveLength(0); // not even a config lookup
    expect(await healthz(world)).toBe(200);
  });

  // --- Duplicate and interrupted deliveries --------------------------------------------
  it("processes a delivery that arrives twice (or three times at once) with the same X-GitHub-Delivery only once", async () => {
    world = await startWorld();
    const a = randomSha();
    const pa = pullRequestEvent("opened", { repo: world.repo, number: 21, headSha: a, author: "contributor" });
    const idA = randomUUID();
    const first = await world.send("pull_request", pa, idA);
    const again = await world.send("pull_request", pa, idA);
    const b = randomSha();
    const pb = pullRequestEvent("opened", { repo: world.repo, number: 22, headSha: b, author: "contributor" });
    const idB = randomUUID();
    const burst = await Promise.all([1, 2, 3].map(() => world!.send("pull_request", pb, idB)));
    for (const r of [first, again, ...burst]) expect(r.status).toBe(200);

    await waitForChecks(world, a, (c) => allCompleted(c, 4), "PR 21 to finish");
    await waitForChecks(world, b, (c) => allCompleted(c, 4), "PR 22 to finish");
    await settled(world);
    expect(await count(world, "deliveries")).toBe(2);
    expect(await count(world, "pipelines")).toBe(2);
    expect(await count(world, "jobs")).toBe(8);
    expect(world.fakes.copr.submissions).toBe(4); // 2 builds per PR, each submitted once
    expect(world.fakes.testingFarm.requests()).toHaveLength(4);
    expect(world.sim.checkRuns("acme", "widget", a)).toHaveLength(4); // no twin check runs
    expect(world.sim.checkRuns("acme", "widget", b)).toHaveLength(4);
  });

  // --- Malformed payloads --------------------------------------------------------------
  it("answers payloads with missing fields, unknown actions and unknown events with a clear status, and keeps serving", async () => {
    world = await startWorld();
    const repo = world.repo;
    const pr = () => pullRequestEvent("opened", { repo, number: 31, headSha: randomSha(), author: "contributor" });
    const comment = issueCommentEvent({ repo, issueNumber: 31, isPullRequest: true, body: "/packit cancel", author: "maintainer" });
    const push = pushEvent({ repo, ref: "main", before: randomSha(), after: randomSha(), commits: [] });
    const release = releaseEvent("published", { repo, tagName: "v1.0", author: "maintainer" });
    type Case = { name: string; event: string; payload: unknown; mentions?: string; expect?: "2xx" };
    const cases: Case[] = [
      {
        name: "pull_request without installation",
        event: "pull_request",
        payload: damaged(pr(), "installation"),
        mentions: "installation",
      },
      {
        name: "pull_request without repository",
        event: "pull_request",
        payload: damaged(pr(), "repository"),
        mentions: "repository",
      },
      {
        name: "pull_request without head",
        event: "pull_request",
        payload: damaged(pr(), "pull_request.head"),
        mentions: "pull_request.head",
      },
      { name: "pull_request: null", event: "pull_request", payload: damaged(pr(), "pull_request", null), mentions: "pull_request" },
      {
        name: "head.sha a number",
        event: "pull_request",
        payload: damaged(pr(), "pull_request.head.sha", 42),
        mentions: "pull_request.head.sha",
      },
      {
        name: "installation.id a string",
        event: "pull_request",
        payload: damaged(pr(), "installation.id", "100"),
        mentions: "installation.id",
      },
      { name: "push without after", event: "push", payload: damaged(push, "after"), mentions: "after" },
      {
        name: "issue_comment without comment",
        event: "issue_comment",
        payload: damaged(comment, "comment"),
        mentions: "comment",
      },
      {
        name: "issue_comment without sender",
        event: "issue_comment",
        payload: damaged(comment, "sender"),
        mentions: "sender",
      },
      { name: "release without release", event: "release", payload: damaged(release, "release"), mentions: "release" },
      {
        name: "check_run without check_run",
        event: "check_run",
        payload: {
          action: "requested_action",
          requested_action: { identifier: "cancel" },
          repository: pr().repository,
          installation: { id: 100 },
          sender: { login: "maintainer" },
        },
        mentions: "check_run",
      },
      { name: "installation.created without installation", event: "installation", payload: { action: "created", sender: { login: "x" } } },
      {
        name: "installation_repositories.added with a nameless repository",
        event: "installation_repositories",
        payload: { action: "added", installation: { id: 100 }, repositories_added: [{ id: 5 }], sender: { login: "x" } },
      },
      { name: "unknown pull_request action", event: "pull_request", payload: { ...pr(), action: "teleported" }, expect: "2xx" },
      { name: "action that is not a string", event: "pull_request", payload: { ...pr(), action: { opened: true } }, expect: "2xx" },
      { name: "unknown event", event: "frobnicate", payload: pr(), expect: "2xx" },
      { name: "event named constructor", event: "constructor", payload: pr() },
      { name: "event named __proto__", event: "__proto__", payload: pr() },
      { name: "event named hasOwnProperty", event: "hasOwnProperty", payload: pr() },
      { name: "payload is a number", event: "pull_request", payload: 5 },
      { name: "payload is a string", event: "pull_request", payload: "opened" },
      { name: "payload is null", event: "pull_request", payload: null },
      { name: "payload is a list", event: "pull_request", payload: [pr()] },
      { name: "payload is empty", event: "push", payload: {} },
    ];
    const answers: string[] = [];
    for (const c of cases) {
      const res = await world.send(c.event, c.payload as object);
      answers.push(`${c.name}: ${res.status} ${res.body.slice(0, 160)}`);
      expect(res.status, c.name).toBeGreaterThanOrEqual(200);
      expect(res.status, c.name).toBeLessThan(600);
      expect(res.status, `${c.name}: 202 means "still processing" (a handler took longer than the webhook timeout)`).not.toBe(202);
      if (c.expect === "2xx") expect(res.status, c.name).toBeLessThan(300);
      if (c.mentions) {
        // A handled event without a field it needs is an error, and the answer says which field.
        expect(res.status, c.name).toBeGreaterThanOrEqual(400);
        expect(res.body, c.name).toContain(c.mentions);
      }
    }
    expect(await healthz(world)).toBe(200);
    expect(await count(world, "pipelines"), answers.join("\n")).toBe(0); // nothing half-made
    expect(await count(world, "jobs")).toBe(0);

    // A valid delivery afterwards runs its jobs.
    const sha = randomSha();
    expect((await openPr(world, 32, sha)).status).toBe(200);
    const checks = await waitForChecks(world, sha, (c) => allCompleted(c, 4), "the valid PR's checks");
    expect(Object.values(checks)).toEqual(Array(4).fill("completed:success"));
  });

  // --- Hostile sizes and bursts --------------------------------------------------------
  it("handles a 1 MB comment and a comment with 100 commands with bounded work and a handful of replies", async () => {
    world = await startWorld(undefined, FROZEN);
    const a = randomSha();
    await openPr(world, 41, a);
    await waitFor(() => world!.fakes.copr.submissions === 2, 10_000, "PR 41's builds");
    const cancelTasks = () => count(world!, "tasks", "name = 'cancel-jobs'");
    const cancelTasksOpen = () => count(world!, "tasks", "name = 'cancel-jobs' AND status IN ('todo','doing')");

    // 1 MB of prose with a help command on top.
    const filler = `${"lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(20)}\n`;
    const huge = `/packit help\n${filler.repeat(Math.ceil(MB / filler.length))}`;
    expect(huge.length).toBeGreaterThan(MB);
    const requestsBefore = world.sim.requests.length;
    let t0 = Date.now();
    const r1 = await world.send(
      "issue_comment",
      issueCommentEvent({
        repo: world.repo,
        issueNumber: 41,
        isPullRequest: true,
        body: huge,
        author: "maintainer",
        issueAuthor: "contributor",
      }),
    );
    expect(r1.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(5000);
    // One 1 MB line: a single enormous word after the command.
    t0 = Date.now();
    const r2 = await world.send(
      "issue_comment",
      issueCommentEvent({
        repo: world.repo,
        issueNumber: 41,
        isPullRequest: true,
        body: `/packit cancel ${"x".repeat(MB)}`,
        author: "maintainer",
        issueAuthor: "contributor",
      }),
    );
    expect(r2.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(5000);
    await waitFor(() => world!.sim.comments("acme", "widget", 41).length >= 2, 5000, "the replies to the big comments");
    await settled(world);
    const replies41 = world.sim.comments("acme", "widget", 41);
    expect(replies41.length).toBeLessThanOrEqual(2);
    for (const c of replies41) expect(c.body.length, "a reply never echoes the comment").toBeLessThan(10_000);
    expect(world.sim.requests.length - requestsBefore, "GitHub requests for two comments").toBeLessThanOrEqual(12);
    expect(await cancelTasks()).toBe(0); // the word after `cancel` is not a job: nothing was queued
    expect(coprCancelCalls(world)).toBe(0);

    // 100 commands in one comment: at most MAX_COMMANDS are run, plus one note.
    const b = randomSha();
    await openPr(world, 42, b);
    await waitFor(() => world!.fakes.copr.submissions === 4, 10_000, "PR 42's builds");
    const hundred = Array.from({ length: 100 }, () => "/packit cancel").join("\n");
    const r3 = await world.send(
      "issue_comment",
      issueCommentEvent({
        repo: world.repo,
        issueNumber: 42,
        isPullRequest: true,
        body: hundred,
        author: "maintainer",
        issueAuthor: "contributor",
      }),
    );
    expect(r3.status).toBe(200);
    // Octokit spaces comment writes 3 s apart (GitHub's guidance for requests that notify people),
    // so 5 reports and a note take about 15 s to go out.
    await waitFor(
      async () => world!.sim.comments("acme", "widget", 42).length >= 1 && (await cancelTasksOpen()) === 0,
      40_000,
      "the cancel reports",
    );
    await settled(world);
    const replies42 = world.sim.comments("acme", "widget", 42);
    expect(replies42.length).toBeGreaterThanOrEqual(1);
    expect(replies42.length).toBeLessThanOrEqual(6);
    expect(await cancelTasks()).toBeLessThanOrEqual(5);
    // At most one backend cancel per build per command run (2 builds × MAX_COMMANDS), never one per line.
    expect(coprCancelCalls(world), "backend cancel calls are bounded by the commands run, not by the lines").toBeLessThanOrEqual(10);
    await waitForChecks(world, b, (c) => allCompleted(c, 4), "PR 42's checks to conclude");
    expect(Object.values(checksOf(world, b))).toEqual(Array(4).fill("completed:cancelled"));
    expect(
      Object.values(checksOf(world, a)).every((s) => !s.startsWith("completed")),
      "PR 41 untouched",
    ).toBe(true);
    expect(await healthz(world)).toBe(200);
  }, 60_000);

  it("refuses a webhook body larger than GitHub ever sends (25 MB) without reading it all (413)", async () => {
    world = await startWorld();
    // Anyone can POST to the webhook URL; the signature can only be checked once the body is read.
    const body = Buffer.alloc(30 * MB, 0x20);
    const t0 = Date.now();
    let answer: number | string;
    try {
      const res = await fetch(`${world.service.url}/api/github/webhooks`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "push",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
        },
        body,
      });
      answer = res.status;
      await res.text();
    } catch (err) {
      answer = `connection closed early (${(err as Error).message})`; // also acceptable: the server stopped reading
    }
    expect(typeof answer === "string" || answer === 413, `answer to a 30 MB unsigned body: ${answer} after ${Date.now() - t0} ms`).toBe(
      true,
    );
    expect(await healthz(world)).toBe(200);
    expect(await count(world, "deliveries")).toBe(0);
  });

  it("answers a burst of `/packit` commands quickly: replies never hold up the webhook answer", async () => {
    world = await startWorld();
    const t0 = Date.now();
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map(async (n) => {
        const res = await world!.send(
          "issue_comment",
          issueCommentEvent({ repo: world!.repo, issueNumber: n, isPullRequest: true, body: "/packit help", author: "maintainer" }),
        );
        return { n, status: res.status, ms: Date.now() - t0 };
      }),
    );
    // GitHub gives a receiver 10 s; the architecture promises a fast 2xx with slow work in the worker.
    for (const a of answers) expect(a, `PR ${a.n}: ${JSON.stringify(answers)}`).toMatchObject({ status: 200, ms: expect.any(Number) });
    expect(Math.max(...answers.map((a) => a.ms)), `answer times ${answers.map((a) => a.ms).join(", ")} ms`).toBeLessThan(2000);
    await waitFor(
      () => [1, 2, 3, 4, 5].every((n) => world!.sim.comments("acme", "widget", n).length === 1),
      30_000,
      "every reply, eventually",
    );
  }, 60_000);

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
      // Octokit spaces an installation's comment writes 3 s apart: three replies take a while.
      40_000,
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
    const before = world.fakes.copr.calls.filter((c) => c.at < job.finished_at);
    const after = world.fakes.copr.calls.filter((c) => c.at >= job.finished_at);
    expect(before.length, "retried before giving up").toBeGreaterThan(1);
    expect(before.length, "bounded by the retry budget").toBeLessThanOrEqual(10);
    expect(
      after.filter((c) => c.method !== "GET"),
      "no submission after giving up",
    ).toEqual([]);
    // Every attempt was answered (500), so none can still arrive: the reconciliation's lookups
    // are bounded by its own retry budget, not repeated until the call's timeout.
    expect(after.length, "reconciliation lookups").toBeLessThanOrEqual(SHORT_RETRIES.worker.maxAttempts);

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

  // --- Secrets -------------------------------------------------------------------------
  it("never writes a secret to the logs, a comment or a check run (private key, webhook secret, backend tokens, installation tokens)", async () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        cb();
      },
    });
    const log = await createLogger({ level: "trace", destination });
    const config = `
specfile_path: widget.spec
jobs:
  - job: copr_build
    trigger: pull_request
    targets: [fedora-rawhide-x86_64, fedora-44-x86_64]
    osh_diff_scan_after_copr_build: true
  - job: copr_build
    trigger: commit
    branch: main
    targets: [fedora-rawhide-x86_64]
  - job: tests
    trigger: pull_request
    targets: [fedora-rawhide-x86_64, fedora-44-x86_64]
  - job: upstream_koji_build
    trigger: pull_request
    targets: [fedora-rawhide]
`;
    const notifyToken = "tf-notify-shared-secret-0123456789";
    world = await startWorld(config, {
      log,
      phaseMs: 300,
      settings: {
        ...SHORT_RETRIES,
        backends: { testingFarm: { notify: { url: "http://127.0.0.1:9/api/testing-farm/notify", token: notifyToken } } },
      },
    });
    const w = world;
    // Faults on every side: GitHub rate-limits the config lookup, Testing Farm is down
    // (its jobs end in error), Koji and OpenScanHub fail once, a check-run write fails.
    w.sim.rateLimitNext(1, { kind: "secondary", retryAfterSec: 1, routeGroup: "graphql" });
    w.fakes.testingFarm.faults.failUntil = Date.now() + 600_000;
    w.fakes.koji.faults.failNext = 1;
    w.fakes.openscanhub.faults.failNext = 1;
    w.fakes.copr.faults.failNext = 1;

    const a = randomSha();
    await openPr(w, 1, a);
    await waitFor(
      () => {
        const c = checksOf(w, a);
        return Object.keys(c).length >= 5 && Object.values(c).every((s) => s.startsWith("completed"));
      },
      20_000,
      `PR 1 to finish; checks ${JSON.stringify(checksOf(w, a))}`,
    );
    expect(Object.values(checksOf(w, a))).toContain("completed:failure"); // the Testing Farm errors

    // A second PR, cancelled by comment while its builds run; the comment path meets a 429 on GitHub.
    const b = randomSha();
    await openPr(w, 2, b);
    await waitFor(async () => (await count(w, "jobs", "state IN ('submitted','running')")) > 0, 10_000, "PR 2's first submission");
    w.sim.rateLimitNext(1, { kind: "429", retryAfterSec: 1, routeGroup: "comments" });
    await w.send(
      "issue_comment",
      issueCommentEvent({
        repo: w.repo,
        issueNumber: 2,
        isPullRequest: true,
        body: "/packit cancel",
        author: "maintainer",
        issueAuthor: "contributor",
      }),
    );
    await waitFor(() => w.sim.comments("acme", "widget", 2).some((c) => c.body.startsWith("**Cancel")), 10_000, "the cancel report");
    // And a request with a bad signature (logged by Probot) and a malformed payload (logged by us).
    await postRaw(w, { event: "pull_request", body: JSON.stringify({ x: 1 }), signature: hmac("wrong", "x") });
    await w.send("pull_request", { action: "opened", installation: { id: 100 } });
    // Testing Farm notifications: one forged, one genuine.
    for (const token of ["forged-token-forged-token", notifyToken]) {
      await fetch(`${w.service.url}/api/testing-farm/notify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ request_id: "nope", token }),
      });
    }
    await waitFor(async () => (await count(w, "jobs", "finished_at IS NULL")) === 0, 20_000, "every job to end");
    await settled(w);

    const logText = chunks.join("");
    expect(chunks.length, "the capture works").toBeGreaterThan(20);
    expect(logText).toMatch(/rate limit/i); // the scenario did meet GitHub's limits
    expect(logText).toMatch(/testing-farm/);
    const published = JSON.stringify([
      ...[1, 2].flatMap((n) => w.sim.comments("acme", "widget", n).map((c) => c.body)),
      ...w.sim.checkRuns("acme", "widget").map((c) => ({ output: c.output, history: c.history })),
    ]);

    const keyLines = w.sim.privateKey
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.length >= 16);
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const secrets: Record<string, string> = {
      "webhook secret": w.sim.webhookSecret,
      "Copr token": FAKE_COPR_ACCOUNT.token,
      "Copr Basic header": b64(`${FAKE_COPR_ACCOUNT.login}:${FAKE_COPR_ACCOUNT.token}`),
      "Testing Farm API key": FAKE_TF_API_KEY,
      "Red Hat offline token": FAKE_OFFLINE_TOKEN,
      "Testing Farm notification token": notifyToken,
    };
    keyLines.forEach((l, i) => (secrets[`private key line ${i + 1}`] = l));
    // Installation access tokens the simulator issued (its token store is private; read it for the test).
    const store = (w.sim as unknown as { tokens?: { tokens?: Map<string, unknown> } }).tokens?.tokens;
    const issued = [...(store?.keys() ?? [])];
    expect(issued.length, "the scenario used installation tokens").toBeGreaterThan(0);
    issued.forEach((t, i) => (secrets[`installation token ${i + 1}`] = t));
    w.fakes.imageBuilder.sso.issuedTokens().forEach((t, i) => (secrets[`Image Builder access token ${i + 1}`] = t));
    // Koji session keys (Koji-Session-Key) and OpenScanHub session cookies are credentials too.
    const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
    const sessionKeys = new Set(
      [
        ...w.fakes.koji.calls.map((c) => header(c.headers["koji-session-key"])),
        ...w.fakes.openscanhub.calls.map((c) => header(c.headers.cookie)?.replace(/^sessionid=/, "")),
      ].filter((k): k is string => !!k && k.length >= 8),
    );
    [...sessionKeys].forEach((k, i) => (secrets[`Koji/OSH session key ${i + 1}`] = k));

    for (const [where, text] of [
      ["logs", logText],
      ["comments and check runs", published],
    ] as const) {
      const leaked = Object.entries(secrets)
        .filter(([, s]) => text.includes(s))
        .map(([what]) => what);
      expect(leaked, `secrets in the ${where}`).toEqual([]);
      expect(text.match(/ghs_[A-Za-z0-9]{20,}/g) ?? [], `installation tokens in the ${where}`).toEqual([]);
      expect(text.match(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/g) ?? [], `app JWTs in the ${where}`).toEqual([]);
    }
  });

  // --- Disk full -----------------------------------------------------------------------
  // SQLite's own failure modes (a trigger refusing writes, max_page_count): on SQLite only.
  it.skipIf(process.env.TEST_ENGINE === "postgres")(
    "stores a trigger event all or nothing: a write refused half-way leaves nothing, and the retry stores it once",
    async () => {
      // Enough attempts that the refusal is still being retried when the test lifts it.
      world = await startWorld(undefined, { settings: { worker: { maxAttempts: 50 } } });
      const w = world;
      // The pipeline and its jobs are written, then the first check-run row is refused.
      sqliteOf(w.deps.db).exec(
        "CREATE TRIGGER refuse BEFORE INSERT ON check_runs BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END",
      );
      const sha = randomSha();
      const payload = pullRequestEvent("opened", { repo: w.repo, number: 77, headSha: sha, author: "contributor" });
      const id = randomUUID();
      // The delivery and its task are recorded: a 2xx; the task meets the refusal.
      expect((await w.send("pull_request", payload, id)).status).toBe(200);
      await waitFor(
        async () => (await count(w, "tasks", "name = 'process-trigger' AND last_error LIKE '%full%'")) === 1,
        5000,
        "the task to meet the refused write",
      );
      expect(await count(w, "pipelines", `head_sha = '${sha}'`)).toBe(0);
      expect(await count(w, "jobs")).toBe(0);

      sqliteOf(w.deps.db).exec("DROP TRIGGER refuse");
      await waitForChecks(w, sha, (c) => allCompleted(c, 4), "the retried task's jobs");
      expect((await w.send("pull_request", payload, id)).status).toBe(200); // GitHub's redelivery: a duplicate
      expect(await count(w, "pipelines", `head_sha = '${sha}'`)).toBe(1);
      expect(w.fakes.copr.submissions).toBe(2);
    },
  );

  it.skipIf(process.env.TEST_ENGINE === "postgres")(
    "with the database full, answers webhooks 5xx without corrupting stored work, and recovers when space is back",
    async () => {
      world = await startWorld();
      const w = world;
      const first = randomSha();
      await openPr(w, 1, first);
      await waitForChecks(w, first, (c) => allCompleted(c, 4), "PR 1 to finish");
      await settled(w);
      const snapshot = () => ({
        pipelines: sqliteOf(w.deps.db).prepare("SELECT id, head_sha, pr_number FROM pipelines ORDER BY id").all(),
        jobs: sqliteOf(w.deps.db).prepare("SELECT id, pipeline_id, key, state, external_id FROM jobs ORDER BY id").all(),
      });
      const before = snapshot();
      expect(before.jobs).toHaveLength(4);

      const pageCount = sqliteOf(w.deps.db).pragma("page_count", { simple: true }) as number;
      sqliteOf(w.deps.db).pragma(`max_page_count = ${pageCount + 2}`);
      let failed: { status: number; body: string; payload: object; id: string } | undefined;
      const answers: number[] = [];
      for (let n = 100; n < 400 && !failed; n++) {
        const payload = pullRequestEvent("opened", { repo: w.repo, number: n, headSha: randomSha(), author: "contributor" });
        const id = randomUUID();
        const res = await w.send("pull_request", payload, id);
        answers.push(res.status);
        if (res.status >= 500) failed = { ...res, payload, id };
        else expect(res.status, res.body).toBe(200);
      }
      expect(failed, `a delivery fails once the database is full; answers ${answers.join(",")}`).toBeDefined();
      expect(failed!.body).toMatch(/full/i);
      expect(await healthz(w)).toBe(200);
      expect(sqliteOf(w.deps.db).pragma("integrity_check", { simple: true })).toBe("ok");
      const during = snapshot();
      expect(during.pipelines.slice(0, before.pipelines.length)).toEqual(before.pipelines);
      expect(during.jobs.slice(0, before.jobs.length)).toEqual(before.jobs);

      // Space is back: new deliveries run, and GitHub's redelivery of the failed one is processed.
      sqliteOf(w.deps.db).pragma("max_page_count = 1073741823");
      const next = randomSha();
      expect((await openPr(w, 500, next)).status).toBe(200);
      await waitForChecks(w, next, (c) => allCompleted(c, 4), "a PR after the disk was freed", 20_000);
      expect(Object.values(checksOf(w, next))).toEqual(Array(4).fill("completed:success"));
      const redelivered = await w.send("pull_request", failed!.payload, failed!.id);
      expect(redelivered.status, redelivered.body).toBe(200);
      const sha = (failed!.payload as { pull_request: { head: { sha: string } } }).pull_request.head.sha;
      await waitFor(async () => (await count(w, "pipelines", `head_sha = '${sha}'`)) === 1, 5000, "the redelivered event's pipeline");
      expect(sqliteOf(w.deps.db).pragma("integrity_check", { simple: true })).toBe("ok");
    },
  );
});
