import { afterEach, describe, expect, inject, it } from "vitest";
import { enqueueSubmits } from "../../src/pipeline/lifecycle.js";
import { reconcileIntents, submitJob, submitRequestFor } from "../../src/pipeline/runner.js";
import type { NewJob, PipelineRow, RepoRow } from "../../src/pipeline/store.js";
import type { AppTasks } from "../../src/tasks.js";
import { pullRequestEvent } from "../../testing/github-sim/index.js";
import { allCompleted, randomSha, startWorld, waitFor, waitForChecks, type World } from "../support/env.js";
import { ONE_BUILD, ONE_BUILD_CHECK as BUILD } from "../support/reliability.js";

describe("Copr: recovery of a submission cut short submits no build twice", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  /** One Copr build job of PR 9 at `sha`, in a pipeline of its own (a re-run makes another of the same head). */
  async function buildJob(w: World, repo: RepoRow, sha: string): Promise<{ pipeline: PipelineRow; jobId: number }> {
    const job: NewJob = {
      key: BUILD,
      type: "copr_build",
      backend: "copr",
      target: "fedora-rawhide-x86_64",
      options: {},
      manualTrigger: false,
      cancelSuperseded: true,
    };
    const { pipeline, jobs } = await w.deps.pipelines.createPipeline(
      { repoId: repo.id, installationId: 100, trigger: "pull_request", prNumber: 9, branch: "main", headSha: sha },
      [job],
    );
    return { pipeline, jobId: jobs[0]!.id };
  }
  const submitted = async (w: World, jobId: number) => (await w.deps.pipelines.job(jobId))!;

  it("adopts the build its own cut-short attempt made, and never an identical build another job recorded", async () => {
    // Copr's timeout bounds how long an attempt may still be in flight.
    world = await startWorld(null, { phaseMs: 3_600_000, settings: { backends: { copr: { timeoutMs: 500 } } } });
    const w = world;
    await w.deps.pipelines.upsertInstallation({ id: 100, login: "acme" });
    const repo = await w.deps.pipelines.upsertRepo({
      id: w.repo.id,
      installationId: 100,
      owner: "acme",
      name: "widget",
      nodeId: w.repo.node_id,
      cloneUrl: w.repo.clone_url,
    });
    const sha = randomSha();

    // Job A builds the head normally: build X, recorded as A's.
    const a = await buildJob(w, repo, sha);
    await enqueueSubmits(w.deps, { pipeline: a.pipeline, repo }, [await submitted(w, a.jobId)]);
    await waitFor(async () => (await submitted(w, a.jobId)).external_id !== null, 10_000, "A's build");
    const x = (await submitted(w, a.jobId)).external_id!;

    // Job B, a re-run of the same head: its attempt was cut short before the request left (a crash).
    // Build X looks exactly like B's would — same project, chroot, commit, submitter — but it is A's.
    const b = await buildJob(w, repo, sha);
    await w.deps.pipelines.markSubmitAttempted(b.jobId);
    await enqueueSubmits(w.deps, { pipeline: b.pipeline, repo }, [await submitted(w, b.jobId)]);
    await waitFor(async () => (await submitted(w, b.jobId)).external_id !== null, 10_000, "B's build");
    expect((await submitted(w, b.jobId)).external_id).not.toBe(x);
    expect(w.fakes.copr.submissions).toBe(2);

    // Job C: its request reached Copr (build Y) but the process died before Y was recorded.
    const c = await buildJob(w, repo, sha);
    await w.deps.pipelines.markSubmitAttempted(c.jobId);
    const y = await w.deps.backends.copr.submit(submitRequestFor((await w.deps.pipelines.jobInContext(c.jobId))!));
    await enqueueSubmits(w.deps, { pipeline: c.pipeline, repo }, [await submitted(w, c.jobId)]);
    await waitFor(async () => (await submitted(w, c.jobId)).external_id !== null, 10_000, "C's build");
    expect((await submitted(w, c.jobId)).external_id).toBe(y.externalId);
    expect(w.fakes.copr.submissions).toBe(3); // no build submitted twice
    expect(new Set([x, (await submitted(w, b.jobId)).external_id, y.externalId]).size).toBe(3);
  });

  it("sends again after one look when Copr answered the earlier attempt with 500, not after the call's timeout", async () => {
    // A 10-minute timeout: an unanswered attempt would be waited for that long before the job is sent again.
    world = await startWorld(ONE_BUILD, { settings: { backends: { copr: { timeoutMs: 600_000 } } } });
    world.fakes.copr.faults.failWhen = (r) => r.method === "POST" && r.path.startsWith("/api_3/build/create/");
    world.fakes.copr.faults.failNext = 1;
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 6, headSha: sha, author: "contributor" }));
    const checks = await waitForChecks(world, sha, (c) => allCompleted(c, 1), "the build's check to complete");
    expect(checks).toEqual({ [BUILD]: "completed:success" });
    expect(world.fakes.copr.faults.failNext).toBe(0); // the first submission was refused
    expect(world.fakes.copr.submissions).toBe(1);
    const lookups = world.fakes.copr.calls.filter((c) => c.method === "GET" && c.path.startsWith("/api_3/build/list"));
    expect(lookups).toHaveLength(1);
  });
});

describe("intents reconciled: a kill after the backend accepted, before the id was stored (issue 23 item 2)", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  const JOBS: { backend: NewJob["backend"]; type: string; key: string; options: Record<string, unknown> }[] = [
    { backend: "copr", type: "copr_build", key: BUILD, options: {} },
    {
      backend: "testing-farm",
      type: "tests",
      key: "testing-farm:fedora-rawhide-x86_64",
      options: { fmf_url: "https://github.com/acme/widget" },
    },
    { backend: "koji", type: "upstream_koji_build", key: "koji-build:fedora-rawhide-x86_64", options: {} },
  ];

  /** A job whose submission reached its backend while the process died before the id was stored. */
  async function cutShort(w: World, spec: (typeof JOBS)[number]) {
    await w.deps.pipelines.upsertInstallation({ id: 100, login: "acme" });
    const repo = await w.deps.pipelines.upsertRepo({
      id: w.repo.id,
      installationId: 100,
      owner: "acme",
      name: "widget",
      nodeId: w.repo.node_id,
      cloneUrl: w.repo.clone_url,
    });
    const sha = randomSha();
    w.sim.addCommit("acme", "widget", sha);
    const job: NewJob = { ...spec, target: "fedora-rawhide-x86_64", manualTrigger: false, cancelSuperseded: true };
    const { pipeline, jobs } = await w.deps.pipelines.createPipeline(
      { repoId: repo.id, installationId: 100, trigger: "pull_request", prNumber: 9, branch: "main", headSha: sha },
      [job],
    );
    const jobId = jobs[0]!.id;
    await w.deps.pipelines.markSubmitAttempted(jobId);
    const made = await w.deps.backends[spec.backend].submit(submitRequestFor((await w.deps.pipelines.jobInContext(jobId))!));
    return { pipeline, repo, jobId, made };
  }
  const submissions = (w: World, backend: NewJob["backend"]) =>
    backend === "copr" ? w.fakes.copr.submissions : backend === "koji" ? w.fakes.koji.submissions : w.fakes.testingFarm.requests().length;

  it.each(JOBS)(
    "superseded meanwhile, the $backend submission is found by its token, adopted and cancelled — never submitted again",
    async (spec) => {
      world = await startWorld(null, { phaseMs: 3_600_000 });
      const w = world;
      const { jobId, made } = await cutShort(w, spec);
      expect(submissions(w, spec.backend)).toBe(1);
      // A newer head supersedes the job before any retry of its submission ran.
      await w.deps.tasks.enqueue(
        "cancel-jobs",
        { jobIds: [jobId], reason: "Superseded by abcdef0", actor: "packit-probot", source: "supersede" },
        { queue: "short" },
      );
      await waitFor(async () => (await w.deps.pipelines.job(jobId))!.external_id !== null, 10_000, "the orphan adopted");
      const job = (await w.deps.pipelines.job(jobId))!;
      expect(job).toMatchObject({ state: "cancelled", external_id: made.externalId });
      // Testing Farm stops a request asynchronously: asked to cancel is what it says first.
      expect((await w.deps.backends[spec.backend].status(made.externalId)).state).toMatch(/^cancel(led|_requested)$/);
      expect(submissions(w, spec.backend)).toBe(1);
    },
  );

  it.each(JOBS)("at start, a pending $backend job adopts what its cut-short attempt made and polls it", async (spec) => {
    world = await startWorld(null, { phaseMs: 3_600_000 });
    const w = world;
    const { jobId, made } = await cutShort(w, spec);
    expect(await reconcileIntents(w.deps)).toBe(1);
    await waitFor(async () => (await w.deps.pipelines.job(jobId))!.external_id !== null, 10_000, "the submission adopted");
    expect((await w.deps.pipelines.job(jobId))!.external_id).toBe(made.externalId);
    await waitFor(
      async () => (await w.deps.tasks.list({ name: "poll-job" })).some((t) => (t.payload as { jobId: number }).jobId === jobId),
      5000,
      "a poll of it queued",
    );
    expect(submissions(w, spec.backend)).toBe(1);
  });
});

describe("a kill after the backend id was stored, before the first poll was queued (issue 18)", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it("the retried submission queues the poll instead of submitting again: the job ends as its build does", async () => {
    world = await startWorld(null);
    const w = world;
    await w.deps.pipelines.upsertInstallation({ id: 100, login: "acme" });
    const repo = await w.deps.pipelines.upsertRepo({
      id: w.repo.id,
      installationId: 100,
      owner: "acme",
      name: "widget",
      nodeId: w.repo.node_id,
      cloneUrl: w.repo.clone_url,
    });
    const sha = randomSha();
    w.sim.addCommit("acme", "widget", sha);
    const job: NewJob = {
      key: BUILD,
      type: "copr_build",
      backend: "copr",
      target: "fedora-rawhide-x86_64",
      options: {},
      manualTrigger: false,
      cancelSuperseded: true,
    };
    const { pipeline, jobs } = await w.deps.pipelines.createPipeline(
      { repoId: repo.id, installationId: 100, trigger: "pull_request", prNumber: 9, branch: "main", headSha: sha },
      [job],
    );
    const jobId = jobs[0]!.id;
    // What the killed attempt did: submitted, and stored the build's id (job `submitted`); then the process died.
    await w.deps.pipelines.markSubmitAttempted(jobId);
    const made = await w.deps.backends.copr.submit(submitRequestFor((await w.deps.pipelines.jobInContext(jobId))!));
    await w.deps.pipelines.recordSubmission(jobId, made.externalId, made.url ?? null);

    // The submission task runs again (its lease expired).
    await enqueueSubmits(w.deps, { pipeline, repo }, [(await w.deps.pipelines.job(jobId))!]);
    await waitFor(async () => (await w.deps.pipelines.job(jobId))!.finished_at !== null, 10_000, "the job to end");
    expect((await w.deps.pipelines.job(jobId))!).toMatchObject({ state: "success", external_id: made.externalId });
    expect(w.fakes.copr.submissions).toBe(1);
    expect(await waitForChecks(w, sha, (c) => allCompleted(c, 1), "the check to complete")).toEqual({ [BUILD]: "completed:success" });
  });
});

describe("two runs of one submission at once (a lease expired under a live worker, issue 18)", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it("submit the build once; the job ends as its build does", async () => {
    world = await startWorld(null);
    const w = world;
    await w.deps.pipelines.upsertInstallation({ id: 100, login: "acme" });
    const repo = await w.deps.pipelines.upsertRepo({
      id: w.repo.id,
      installationId: 100,
      owner: "acme",
      name: "widget",
      nodeId: w.repo.node_id,
      cloneUrl: w.repo.clone_url,
    });
    const sha = randomSha();
    w.sim.addCommit("acme", "widget", sha);
    const { jobs } = await w.deps.pipelines.createPipeline(
      { repoId: repo.id, installationId: 100, trigger: "pull_request", prNumber: 9, branch: "main", headSha: sha },
      [
        {
          key: BUILD,
          type: "copr_build",
          backend: "copr",
          target: "fedora-rawhide-x86_64",
          options: {},
          manualTrigger: false,
          cancelSuperseded: true,
        },
      ],
    );
    const jobId = jobs[0]!.id;
    const ctx = (taskId: number) => ({
      taskId,
      attempt: 1,
      maxAttempts: 5,
      signal: new AbortController().signal,
      shouldAbort: () => false,
    });
    await Promise.all([submitJob(w.deps, jobId, ctx(1)), submitJob(w.deps, jobId, ctx(2))]);
    await waitFor(async () => (await w.deps.pipelines.job(jobId))!.finished_at !== null, 10_000, "the job to end");
    expect((await w.deps.pipelines.job(jobId))!.state).toBe("success");
    expect(w.fakes.copr.submissions).toBe(1);
  });
});

describe("two runs of one delivery's task at once on PostgreSQL (a lease expired under a live worker, issue 18)", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it("store one pipeline: the second run waits for the first and finds the delivery processed", async () => {
    // A web process only: the delivery's task stays queued, and the test runs it twice at once.
    world = await startWorld(ONE_BUILD, { postgresUrl: inject("postgresUrl"), settings: { role: "web" } });
    const w = world;
    const sha = randomSha();
    await w.send("pull_request", pullRequestEvent("opened", { repo: w.repo, number: 4, headSha: sha, author: "contributor" }));
    const [task] = await w.deps.tasks.list({ name: "process-trigger" });
    const payload = task!.payload as AppTasks["process-trigger"];
    const ctx = (taskId: number) => ({
      taskId,
      attempt: 1,
      maxAttempts: 5,
      signal: new AbortController().signal,
      shouldAbort: () => false,
    });
    const run = w.deps.taskHandlers["process-trigger"]!;
    await Promise.all([run(payload, ctx(1)), run(payload, ctx(2))]);
    const pipelines = await w.deps.db.all("SELECT id FROM pipelines WHERE head_sha = ?", [sha]);
    expect(pipelines).toHaveLength(1);
  });
});
