import { reportJob } from "../checks/index.js";
import type { AppDeps } from "../deps.js";
import { priorityFor } from "../priorities/index.js";
import { enqueueTask } from "../tasks.js";
import { IllegalJobTransition, isFinal, type JobState } from "./job-state.js";
import type { JobInContext, JobRow, PipelineStore } from "./store.js";

type Fields = Parameters<PipelineStore["transition"]>[2];

/** Head start of a new job's queued check over its submission, ms. */
const QUEUED_FIRST_MS = 250;

/**
 * Move a job to a new state and do what follows from it: record its check run, and
 * when it is final, start or settle the jobs waiting for it. This is the one way a
 * job changes state (`JOB_TRANSITIONS`). Returns the updated job, or undefined when
 * the job was already final or the change is not allowed (refused and logged).
 */
export async function moveJob(deps: AppDeps, jobId: number, state: JobState, fields: Fields = {}): Promise<JobRow | undefined> {
  // One transaction: the state, its check run and its dependants' fate are stored together.
  const moved = await deps.db.tx(async () => {
    const updated = await deps.pipelines.transition(jobId, state, fields).catch((err: unknown) => {
      // A stale decision (e.g. a poll's "running" for a job whose cancel was just requested): refused, and said.
      if (!(err instanceof IllegalJobTransition)) throw err;
      deps.log.warn({ jobId, from: err.from, to: err.to }, "job state change refused");
      return undefined;
    });
    if (!updated) return undefined;
    const ctx = (await deps.pipelines.jobInContext(jobId))!;
    await reportJob(deps, ctx);
    if (isFinal(state)) {
      await settleDependants(deps, ctx);
      // Ended while a submission of it may have reached the backend unrecorded: find and cancel it.
      if (updated.submit_attempted && !updated.external_id) await enqueueReconcile(deps, jobId);
    }
    return ctx;
  });
  if (!moved) return undefined;
  const { job, repo } = moved;
  deps.metrics.jobTransitions.inc({ backend: job.backend, state });
  if (job.saved_ms) deps.metrics.builderTimeSaved.inc({ backend: job.backend, project: `${repo.owner}/${repo.name}` }, job.saved_ms / 1000);
  return job;
}

/**
 * A finished job's dependants: submitted when it succeeded (and its result counts),
 * cancelled with it, or skipped when it failed. A build whose cancel was requested
 * and which then finished never starts its tests: they were cancelled with it.
 */
async function settleDependants(deps: AppDeps, parent: JobInContext): Promise<void> {
  for (const d of await deps.pipelines.dependants(parent.job.id)) {
    if (d.state !== "pending") continue;
    const p = parent.job;
    if (p.state === "success" && !p.ignore_result) await enqueueSubmits(deps, parent, [d]);
    else if (p.state === "cancelled")
      await moveJob(deps, d.id, "cancelled", { cancelReason: p.cancel_reason ?? "Cancelled", message: `Cancelled with \`${p.key}\`.` });
    else await moveJob(deps, d.id, "skipped", { message: `Not run: \`${p.key}\` ${p.state === "skipped" ? "was skipped" : "failed"}.` });
  }
}

/**
 * The queue priority of a pipeline's tasks (submissions and polls alike): it
 * depends on the project and trigger, not on the job. Jobs already queued count as
 * unfinished, so a project that queues 100 jobs at once is busy.
 */
async function pipelinePriority(deps: AppDeps, ctx: Omit<JobInContext, "job">): Promise<number> {
  return priorityFor(
    {
      trigger: ctx.pipeline.trigger,
      project: `${ctx.repo.owner}/${ctx.repo.name}`,
      // Counted no further than the threshold needs.
      unfinishedJobsOfProject: await deps.pipelines.unfinishedJobsOfRepo(ctx.repo.id, deps.settings.priorities.busyThreshold + 1),
      activeRecently: await deps.pipelines.activeSince(ctx.repo.id, ctx.pipeline.id, deps.now() - 30 * 86_400_000),
    },
    deps.settings.priorities,
  );
}

/**
 * Queue the submission of jobs of one pipeline, in one transaction, with one
 * priority computed for all. They start a little after the check reporter's window
 * so that the "queued" check reliably goes out before "in progress" (otherwise the
 * two would be coalesced and users would never see the job queued); a quarter
 * second is nothing next to a build.
 */
export async function enqueueSubmits(deps: AppDeps, ctx: Omit<JobInContext, "job">, jobs: readonly JobRow[]): Promise<void> {
  if (jobs.length === 0) return;
  const priority = await pipelinePriority(deps, ctx);
  const fairnessKey = `${ctx.repo.owner}/${ctx.repo.name}`;
  const runAt = deps.now() + deps.settings.checks.flushWindowMs + QUEUED_FIRST_MS;
  await deps.db.tx(async () => {
    for (const job of jobs) {
      await enqueueTask(deps, "submit-job", { jobId: job.id }, { lockKey: `submit:${job.id}`, fairnessKey, priority, runAt });
    }
  });
}

/**
 * Start the jobs of a new pipeline: report each one's check run as queued, and queue
 * the submission of those that wait for nothing or for a build that already
 * succeeded (the others start when their dependency ends).
 */
export async function startJobs(deps: AppDeps, ctx: Omit<JobInContext, "job">, jobs: readonly JobRow[]): Promise<void> {
  const ready: JobRow[] = [];
  for (const job of jobs) {
    await reportJob(deps, { ...ctx, job });
    const dep = job.depends_on ? await deps.pipelines.job(job.depends_on) : undefined;
    if (!dep || dep.state === "success") ready.push(job);
  }
  await enqueueSubmits(deps, ctx, ready);
}

/**
 * Queue the reconciliation (`reconcileJob` in `runner.ts`) of a job that ended
 * while a submission of it may have reached its backend unrecorded — else that
 * work would run on, owned by nobody.
 */
export async function enqueueReconcile(deps: AppDeps, jobId: number, delayMs = 0): Promise<void> {
  await enqueueTask(deps, "reconcile-job", { jobId }, { lockKey: `reconcile:${jobId}`, priority: 60, runAt: deps.now() + delayMs });
}

/**
 * Queue a status poll of a submitted job (one queued poll per job at most), at its
 * pipeline's priority. `unreadableSince`: when the backend first failed to answer.
 */
export async function enqueuePoll(deps: AppDeps, j: JobInContext, delayMs: number, unreadableSince?: number): Promise<void> {
  await enqueueTask(
    deps,
    "poll-job",
    { jobId: j.job.id, intervalMs: delayMs, ...(unreadableSince !== undefined ? { unreadableSince } : {}) },
    {
      lockKey: `poll:${j.job.id}`,
      fairnessKey: `${j.repo.owner}/${j.repo.name}`,
      priority: await pipelinePriority(deps, j),
      runAt: deps.now() + delayMs,
    },
  );
}
