import { afterEach, describe, expect, it } from "vitest";
import { issueCommentEvent, pullRequestEvent, pushEvent } from "../../testing/github-sim/index.js";
import { servedSrpmUrl } from "../../testing/demo/environment.js";
import { AuditLog } from "../../src/audit/index.js";
import type { CancelReport } from "../../src/cancel/report.js";
import { enqueueSubmits } from "../../src/pipeline/lifecycle.js";
import { settled } from "../support/reliability.js";
import type { NewJob } from "../../src/pipeline/store.js";
import { allCompleted, checksOf, deliveriesSettled, randomSha, startWorld, waitFor, waitForChecks, type World } from "../support/env.js";

/** Fakes that never move on their own: jobs stay running until a test finishes or cancels them. */
const FROZEN = { phaseMs: 3_600_000 };

const calls = (world: World) => ({
  copr: world.fakes.copr.calls.filter((c) => c.method === "PUT" && c.path.includes("/build/cancel/")).length,
  tf: world.fakes.testingFarm.calls.filter((c) => c.method === "DELETE").length,
  koji: world.fakes.koji.calledMethods().filter((m) => m === "cancelTask").length,
  osh: world.fakes.openscanhub.calledMethods().filter((m) => m === "client.cancel_task").length,
  imageBuilder: world.fakes.imageBuilder.calls.filter((c) => c.method === "DELETE").length,
});

/** A pipeline at `sha` with one job on each of the five backends, submitted to the fakes. */
async function runningOnAllBackends(world: World, sha: string, pr: number) {
  // Stored directly, not from a webhook: the simulated GitHub must be told the head exists.
  world.sim.addCommit("acme", "widget", sha);
  const repo = await world.deps.pipelines.upsertRepo({
    id: world.repo.id,
    installationId: 100,
    owner: "acme",
    name: "widget",
    nodeId: world.repo.node_id,
  });
  await world.deps.pipelines.upsertInstallation({ id: 100, login: "acme" });
  const job = (key: string, type: string, backend: NewJob["backend"], options: Record<string, unknown> = {}): NewJob => ({
    key,
    type,
    backend,
    target: "fedora-rawhide-x86_64",
    options,
    manualTrigger: false,
    cancelSuperseded: true,
  });
  const { pipeline, jobs } = await world.deps.pipelines.createPipeline(
    { repoId: repo.id, installationId: 100, trigger: "pull_request", prNumber: pr, branch: "main", headSha: sha },
    [
      job("rpm-build:fedora-rawhide-x86_64", "copr_build", "copr"),
      job("testing-farm:fedora-rawhide-x86_64", "tests", "testing-farm", { fmf_url: "https://github.com/acme/widget" }),
      job("koji-build:fedora-rawhide-x86_64", "upstream_koji_build", "koji"),
      job("vm-image-build:fedora-rawhide-x86_64", "vm_image_build", "image-builder", {
        image_distribution: "fedora-42",
        image_request: { architecture: "x86_64", image_type: "aws", upload_request: { type: "aws", options: {} } },
      }),
      job("osh-diff-scan:fedora-rawhide-x86_64", "osh_scan", "openscanhub", { srpm_url: await servedSrpmUrl(world) }),
    ],
  );
  await enqueueSubmits(world.deps, { pipeline, repo }, jobs);
  await waitFor(
    async () => (await world.deps.pipelines.jobsOfPipeline(pipeline.id)).every((j) => j.state === "submitted"),
    10_000,
    "all five jobs submitted",
  );
  return pipeline;
}

describe("cancellation", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it("a synchronize with `before` cancels exactly the old head's unfinished jobs, on all five backends", async () => {
    world = await startWorld(null, FROZEN);
    const oldHead = randomSha();
    const other = randomSha();
    const old = await runningOnAllBackends(world, oldHead, 5);
    const unrelated = await runningOnAllBackends(world, other, 6); // another PR: must survive
    const newHead = randomSha();
    await world.send(
      "pull_request",
      pullRequestEvent("synchronize", { repo: world.repo, number: 5, headSha: newHead, before: oldHead, author: "contributor" }),
    );

    // Testing Farm only accepts the request; the job waits in cancel_requested until TF confirms.
    const tfJob = async () => (await world!.deps.pipelines.jobsOfPipeline(old.id)).find((j) => j.backend === "testing-farm")!;
    await waitFor(async () => (await tfJob()).state === "cancel_requested", 10_000, "TF cancel requested");
    world.fakes.testingFarm.finish((await tfJob()).external_id!, "canceled");
    await waitForChecks(world, oldHead, (c) => allCompleted(c, 5), "old head's checks to conclude");
    expect(Object.values(checksOf(world, oldHead))).toEqual(Array(5).fill("completed:cancelled"));
    for (const run of world.sim.checkRuns("acme", "widget", oldHead))
      expect(run.output?.title).toBe(`Cancelled: superseded by ${newHead.slice(0, 7)}`);
    // One real cancel call per backend that can cancel; VM Image Builder is only marked (its DELETE would just hide the compose).
    expect(calls(world)).toEqual({ copr: 1, tf: 1, koji: 1, osh: 1, imageBuilder: 0 });
    const states = (await world.deps.pipelines.jobsOfPipeline(old.id)).map((j) => [j.backend, j.state, j.ignore_result]);
    expect(states).toContainEqual(["image-builder", "cancelled", 1]);
    expect((await world.deps.pipelines.jobsOfPipeline(unrelated.id)).every((j) => j.state === "submitted")).toBe(true);
  });

  it("a push storm asks once for each job's cancel: later heads do not ask again for a job already being cancelled", async () => {
    world = await startWorld(null, FROZEN);
    const w = world;
    const first = randomSha();
    const old = await runningOnAllBackends(w, first, 7);
    const tfJob = async () => (await w.deps.pipelines.jobsOfPipeline(old.id)).find((j) => j.backend === "testing-farm")!;
    let before = first;
    for (let i = 0; i < 4; i++) {
      const head = randomSha();
      await w.send(
        "pull_request",
        pullRequestEvent("synchronize", { repo: w.repo, number: 7, headSha: head, before, author: "contributor" }),
      );
      before = head;
      // Dealt with: nothing due is left (the running jobs' next polls are a while away).
      await settled(w);
    }
    // Testing Farm has not confirmed: its job is still being cancelled, asked once.
    expect((await tfJob()).state).toBe("cancel_requested");
    const tf = (await tfJob()).id;
    const asked = (await new AuditLog(w.deps.db).list({ action: "cancel.supersede" })).filter((e) =>
      (e.detail as CancelReport).results.some((r) => r.jobId === tf),
    );
    expect(asked).toHaveLength(1);
    expect(calls(w).tf).toBe(1);
  });

  it("cancels queued tests that wait for a build locally, without any Testing Farm call", async () => {
    world = await startWorld(undefined, FROZEN);
    const a = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 3, headSha: a, author: "contributor" }));
    await waitFor(() => world!.fakes.copr.submissions === 2, 10_000, "builds submitted");
    const b = randomSha();
    await world.send(
      "pull_request",
      pullRequestEvent("synchronize", { repo: world.repo, number: 3, headSha: b, before: a, author: "contributor" }),
    );
    await waitForChecks(world, a, (c) => allCompleted(c, 4), "old head's checks to conclude");
    expect(Object.values(checksOf(world, a))).toEqual(Array(4).fill("completed:cancelled"));
    expect(world.fakes.testingFarm.calls).toHaveLength(0);
    expect(calls(world).copr).toBe(2);
    // The new head runs.
    await waitFor(() => world!.fakes.copr.submissions === 4, 10_000, "new head's builds");
  });

  it("a late event for an older head neither runs nor cancels the newer head's jobs; its checks say it was superseded", async () => {
    world = await startWorld(undefined, FROZEN);
    const a = randomSha();
    const b = randomSha();
    // B (whose before is A) arrives first; A's own event comes late.
    await world.send(
      "pull_request",
      pullRequestEvent("synchronize", { repo: world.repo, number: 4, headSha: b, before: a, author: "contributor" }),
    );
    await waitFor(() => world!.fakes.copr.submissions === 2, 10_000, "B's builds");
    await world.send(
      "pull_request",
      pullRequestEvent("synchronize", { repo: world.repo, number: 4, headSha: a, before: randomSha(), author: "contributor" }),
    );
    await waitForChecks(world, a, (c) => allCompleted(c, 4), "A's checks to conclude");
    expect(new Set(Object.values(checksOf(world, a)))).toEqual(new Set(["completed:cancelled"]));
    expect(Object.values(checksOf(world, b)).every((s) => s !== "completed:cancelled")).toBe(true);
    expect(world.fakes.copr.submissions).toBe(2);
    expect(calls(world).copr).toBe(0);
  });

  it("A → B → C with C's delivery before B's: C cancels A's jobs, B's late delivery starts nothing (issue 23 item 3)", async () => {
    world = await startWorld(undefined, FROZEN);
    const [a, b, c] = [randomSha(), randomSha(), randomSha()];
    // GitHub's times of the three events, one a second apart (the payloads carry them).
    const at = (sec: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, sec)).toISOString().replace(/\.\d+Z$/, "Z");
    const event = (action: "opened" | "synchronize", head: string, sec: number, before?: string) => {
      const e = pullRequestEvent(action, { repo: world!.repo, number: 12, headSha: head, before, author: "contributor" });
      e.pull_request.updated_at = at(sec);
      return e;
    };
    await world.send("pull_request", event("opened", a, 0));
    const buildsRunning = (s: Record<string, string>) =>
      Object.keys(s).length === 4 && Object.entries(s).every(([name, v]) => !name.startsWith("rpm-build:") || v === "in_progress");
    await waitForChecks(world, a, buildsRunning, "A's builds running");
    await world.send("pull_request", event("synchronize", c, 20, b));
    await waitForChecks(world, a, (s) => allCompleted(s, 4), "A's jobs cancelled by C");
    expect(new Set(Object.values(checksOf(world, a)))).toEqual(new Set(["completed:cancelled"]));
    expect(calls(world).copr).toBe(2);
    await waitForChecks(world, c, buildsRunning, "C's builds running");
    const submitted = world.fakes.copr.submissions;

    await world.send("pull_request", event("synchronize", b, 10, a));
    await waitForChecks(world, b, (s) => allCompleted(s, 4), "B's checks to conclude");
    expect(new Set(Object.values(checksOf(world, b)))).toEqual(new Set(["completed:cancelled"]));
    for (const run of world.sim.checkRuns("acme", "widget", b).filter((r) => r.name.startsWith("rpm-build:")))
      expect(run.output?.summary ?? "").toContain(`Superseded by ${c.slice(0, 7)}`);
    expect(world.fakes.copr.submissions).toBe(submitted);
    expect(Object.values(checksOf(world, c)).filter((v) => v.startsWith("completed"))).toEqual([]);
    expect(calls(world).copr).toBe(2);
  });

  it("a head's event processed after a `/packit build` at that head still plans its jobs and supersedes the older head", async () => {
    // The event's config lookup hangs (then times out and is retried 1 s later), so the command's pipeline comes first.
    world = await startWorld(undefined, { ...FROZEN, settings: { github: { requestTimeoutMs: 1500, retryBaseMs: 1000 } } });
    const w = world;
    const [a, b] = [randomSha(), randomSha()];
    await w.send("pull_request", pullRequestEvent("opened", { repo: w.repo, number: 13, headSha: a, author: "contributor" }));
    await waitForChecks(w, a, (s) => Object.values(s).filter((v) => v === "in_progress").length === 2, "A's builds running");

    // Only a query hangs (A's check-run writes are GraphQL mutations and may still be going out); the next is the event's lookup.
    const graphqlBefore = w.sim.requests.filter((r) => r.group === "graphql").length;
    w.sim.hangNext(1, { routeGroup: "graphql", reads: true });
    w.sim.addPullRequest({ owner: "acme", repo: "widget", number: 13, headSha: b, author: "contributor" });
    await w.send(
      "pull_request",
      pullRequestEvent("synchronize", { repo: w.repo, number: 13, headSha: b, before: a, author: "contributor" }),
    );
    const hung = () =>
      w.sim.requests
        .filter((r) => r.group === "graphql")
        .slice(graphqlBefore)
        .some((r) => r.status === 0);
    await waitFor(hung, 10_000, "the event's config lookup, hanging");
    await w.send(
      "issue_comment",
      issueCommentEvent({ repo: w.repo, issueNumber: 13, isPullRequest: true, body: "/packit build", author: "contributor" }),
    );
    await waitFor(
      () => w.sim.comments("acme", "widget", 13).some((c) => c.body.startsWith("Started 4 jobs")),
      10_000,
      "the command's reply",
    );

    // B's event still plans B's jobs in a pipeline of its own, which supersedes A's.
    await waitForChecks(w, a, (s) => allCompleted(s, 4), "A's jobs cancelled by B's event");
    expect(new Set(Object.values(checksOf(w, a)))).toEqual(new Set(["completed:cancelled"]));
    const pipelinesOfB = await w.deps.db.all<{ delivery_id: string }>("SELECT delivery_id FROM pipelines WHERE head_sha = ?", [b]);
    expect(pipelinesOfB.map((p) => p.delivery_id.startsWith("comment "))).toEqual([true, false]);
  });

  it("an exempt default-branch push cancels nothing", async () => {
    const config = "jobs:\n  - job: copr_build\n    trigger: commit\n    branch: main\n    targets: [fedora-rawhide-x86_64]\n";
    world = await startWorld(config, FROZEN);
    const a = randomSha();
    const b = randomSha();
    await world.send(
      "push",
      pushEvent({ repo: world.repo, ref: "main", before: randomSha(), after: a, commits: [{ id: a, modified: ["src/x.c"] }] }),
    );
    await waitFor(() => world!.fakes.copr.submissions === 1, 10_000, "first push's build");
    await world.send(
      "push",
      pushEvent({ repo: world.repo, ref: "main", before: a, after: b, commits: [{ id: b, modified: ["src/y.c"] }] }),
    );
    await waitFor(() => world!.fakes.copr.submissions === 2, 10_000, "second push's build");
    // Supersede is decided while the delivery is processed: once both have ended, any cancel would be queued.
    await deliveriesSettled(world);
    expect((await world.deps.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM tasks WHERE name = 'cancel-jobs'"))!.n).toBe(0);
    expect(calls(world).copr).toBe(0);
    expect(Object.values(checksOf(world, a))).toEqual(["in_progress"]);
  });

  it("refuses `/packit cancel` from a user without write access, politely, and cancels nothing", async () => {
    world = await startWorld(undefined, FROZEN);
    const a = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 9, headSha: a, author: "contributor" }));
    await waitFor(() => world!.fakes.copr.submissions === 2, 10_000, "builds");
    const res = await world.send(
      "issue_comment",
      issueCommentEvent({
        repo: world.repo,
        issueNumber: 9,
        isPullRequest: true,
        body: "/packit cancel",
        author: "stranger",
        issueAuthor: "contributor",
      }),
    );
    expect(res.status).toBe(200);
    await waitFor(() => world!.sim.comments("acme", "widget", 9).length === 1, 5000, "the refusal");
    expect(world.sim.comments("acme", "widget", 9)[0]!.body).toMatch(/^Sorry @stranger/);
    expect(calls(world).copr).toBe(0);
  });

  it("`/packit cancel` by the author reports a mix as partial, with a code per job", async () => {
    world = await startWorld(null, FROZEN);
    const sha = randomSha();
    await runningOnAllBackends(world, sha, 12);
    const jobs = await world.deps.pipelines.unfinishedJobsOfPr(world.repo.id, 12);
    // Koji finishes before the cancel arrives; so does Testing Farm. Only the cancel learns it: their status
    // polls (Koji's: a getTaskInfo call, not the cancel's multiCall) hang meanwhile, so none can conclude the job first.
    world.fakes.koji.faults.delayMs = (r) => (r.body.includes("<methodName>getTaskInfo</methodName>") ? 60_000 : 0);
    world.fakes.koji.finish(Number(jobs.find((j) => j.backend === "koji")!.external_id), "CLOSED");
    world.fakes.testingFarm.faults.delayMs = (r) => (r.method === "GET" ? 60_000 : 0);
    const tfId = jobs.find((j) => j.backend === "testing-farm")!.external_id!;
    world.fakes.testingFarm.finish(tfId, "complete", "passed");
    await world.deps.pipelines.transition(jobs.find((j) => j.backend === "testing-farm")!.id, "running");
    world.fakes.openscanhub.faults.failUntil = Date.now() + 60_000; // OSH down: error after retries

    await world.send(
      "issue_comment",
      issueCommentEvent({
        repo: world.repo,
        issueNumber: 12,
        isPullRequest: true,
        body: "Stop please\n/packit cancel all",
        author: "maintainer",
        issueAuthor: "contributor",
      }),
    );
    await waitFor(() => world!.sim.comments("acme", "widget", 12).length === 1, 10_000, "the report comment");
    const body = world.sim.comments("acme", "widget", 12)[0]!.body;
    expect(body).toContain("**Cancel: partial** — Cancelled by @maintainer");
    expect(body).toMatch(/rpm-build:fedora-rawhide-x86_64` \| Copr \| 0 \| cancelled/);
    // The codes in the table are explained in words under it.
    expect(body).toMatch(/- \*\*0\*\* cancelled: the backend stopped it/);
    expect(body).toMatch(/koji-build:fedora-rawhide-x86_64` \| Koji \| 1 \| could not be cancelled – already finished/);
    expect(body).toMatch(/testing-farm:fedora-rawhide-x86_64` \| Testing Farm \| 1 \|/);
    expect(body).toMatch(/vm-image-build:fedora-rawhide-x86_64` \| VM Image Builder \| 2 \| backend cannot cancel/);
    expect(body).toMatch(/osh-diff-scan:fedora-rawhide-x86_64` \| OpenScanHub \| 3 \| backend error: /);
    await waitForChecks(world, sha, (c) => c["rpm-build:fedora-rawhide-x86_64"] === "completed:cancelled", "copr check cancelled");
    const copr = world.sim.checkRuns("acme", "widget", sha).find((c) => c.name.startsWith("rpm-build"))!;
    expect(copr.output?.title).toBe("Cancelled by @maintainer");
  });
});
