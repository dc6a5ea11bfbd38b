import type { BackendName, RemoteStatus, SubmitRequest } from "../backends/types.js";
import { reportJob } from "../checks/index.js";
import type { AppDeps } from "../deps.js";
import { BackendError, toError } from "../errors.js";
import type { TaskContext } from "../queue/index.js";
import { enqueueTask, type AppTasks } from "../tasks.js";
import type { JobState } from "./job-state.js";
import { enqueuePoll, enqueueReconcile, moveJob } from "./lifecycle.js";
import type { JobInContext, JobRow } from "./store.js";

/** How often a job whose earlier submission may still be in flight looks for it again, ms. */
const IN_FLIGHT_RECHECK_MS = 1000;

/** The per-call timeout of a backend: an earlier request cannot still be in flight after it. */
function backendTimeoutMs(deps: AppDeps, backend: BackendName): number {
  const key = (
    { copr: "copr", "testing-farm": "testingFarm", koji: "koji", "image-builder": "imageBuilder", openscanhub: "openscanhub" } as const
  )[backend];
  return deps.settings.backends[key].timeoutMs;
}

function artifactsOf(job: JobRow | undefined): Record<string, unknown> | undefined {
  return job?.artifacts ? (JSON.parse(job.artifacts) as Record<string, unknown>) : undefined;
}

/** What a backend needs to run a job (pure). */
export function submitRequestFor(j: JobInContext, dependency?: JobRow): SubmitRequest {
  return {
    token: j.job.token,
    target: j.job.target,
    source: {
      owner: j.repo.owner,
      repo: j.repo.name,
      cloneUrl: j.pipeline.source_clone_url ?? j.repo.clone_url ?? `https://github.com/${j.repo.owner}/${j.repo.name}.git`,
      sha: j.pipeline.head_sha,
      ref: j.pipeline.branch ?? undefined,
      pr: j.pipeline.pr_number ?? undefined,
    },
    options: JSON.parse(j.job.options) as Record<string, unknown>,
    dependency: dependency?.external_id ? { externalId: dependency.external_id, artifacts: artifactsOf(dependency) } : undefined,
  };
}

/**
 * The job state a backend status calls for (pure), or null for "no change". A job
 * whose cancel was requested stays so until the backend reports an end.
 */
function nextJobState(current: JobState, remote: RemoteStatus["state"]): JobState | null {
  const next: JobState = remote === "queued" ? "submitted" : remote;
  if (current === "cancel_requested" && (next === "submitted" || next === "running")) return null;
  if (current === "running" && next === "submitted") return null;
  return next === current ? null : next;
}

/** Worth trying again: a backend's 5xx or timeout, a connection error — not a bug in our code. */
function isTransient(e: Error): boolean {
  return e instanceof BackendError ? e.transient : !(e instanceof TypeError);
}

/**
 * A backend failure ends the job as `error` when it is permanent or when the task's
 * retry budget is spent; otherwise it is rethrown so the queue retries with backoff.
 */
async function failOrRetry(deps: AppDeps, job: JobRow, err: unknown, ctx: TaskContext, what: string): Promise<void> {
  const e = toError(err);
  // Cut short by shutdown or an operator's abort: the queue decides (released, or aborted); the job is not at fault.
  if (ctx.signal.aborted) throw e;
  const transient = isTransient(e);
  if (transient && ctx.attempt < ctx.maxAttempts) throw e;
  const suffix = transient ? ` (gave up after ${ctx.attempt} attempts)` : "";
  deps.log.warn({ jobId: job.id, backend: job.backend, err: e.message }, `job ended in error: ${what}`);
  await moveJob(deps, job.id, "error", { message: `${what}: ${e.message}${suffix}` });
}

/**
 * Packit's differential scan compares with the newest build of the PR's target
 * branch: its SRPM becomes `base_srpm_url`. Without one the scan is a full scan.
 */
async function addScanBase(deps: AppDeps, j: JobInContext, req: SubmitRequest): Promise<void> {
  const branch = req.options.base_branch;
  const base = typeof branch === "string" ? await deps.pipelines.latestBranchBuild(j.repo.id, branch, j.job.target) : undefined;
  const srpm = artifactsOf(base)?.srpmUrl;
  if (typeof srpm === "string") req.options.base_srpm_url = srpm;
}

/** The submission an earlier, cut-short attempt of this job made, found by the job's token; null when none reached the backend. */
function findEarlierSubmission(deps: AppDeps, j: JobInContext, req: SubmitRequest, ctx: TaskContext) {
  return deps.backends[j.job.backend].findByToken(req, {
    signal: ctx.signal,
    submittedAfter: j.job.submit_attempted,
    // A look-alike another job recorded (a rebuild of the same commit) is not this job's.
    isRecorded: async (id) => {
      const owner = await deps.pipelines.jobByExternalId(j.job.backend, id);
      return owner !== undefined && owner.id !== j.job.id;
    },
  });
}

/**
 * Whether an earlier submission request may still be on its way through the backend:
 * it got no answer and its call has not timed out yet.
 */
function mayStillArrive(deps: AppDeps, job: JobRow): boolean {
  return !job.submit_answered && deps.now() - job.submit_attempted < backendTimeoutMs(deps, job.backend);
}

/**
 * At start (after a crash): every intent without a recorded outcome is reconciled.
 * A pending job's submission is run again (it looks for the earlier one first); a
 * finished job's is found, adopted and cancelled (`reconcileJob`).
 */
export async function reconcileIntents(deps: AppDeps): Promise<number> {
  const intents = await deps.pipelines.unresolvedIntents();
  for (const job of intents) {
    if (job.state === "pending") {
      const j = (await deps.pipelines.jobInContext(job.id))!;
      await enqueueTask(
        deps,
        "submit-job",
        { jobId: job.id },
        { lockKey: `submit:${job.id}`, fairnessKey: `${j.repo.owner}/${j.repo.name}` },
      );
    } else await enqueueReconcile(deps, job.id);
  }
  return intents.length;
}

/**
 * Task "reconcile-job": the job ended while a submission of it may have reached its
 * backend unrecorded. Find it by the job's token; if found, the job adopts it (its
 * id is stored, so it is owned) and it is cancelled — nobody wants it any more.
 * Found nothing: looked again while the request may still arrive, then settled.
 */
export async function reconcileJob(deps: AppDeps, jobId: number, ctx: TaskContext): Promise<void> {
  const j = await deps.pipelines.jobInContext(jobId);
  if (!j || j.job.external_id || !j.job.submit_attempted || !j.job.finished_at) return;
  const dependency = j.job.depends_on ? await deps.pipelines.job(j.job.depends_on) : undefined;
  const req = submitRequestFor(j, dependency);
  const found = await findEarlierSubmission(deps, j, req, ctx);
  if (!found) {
    if (mayStillArrive(deps, j.job)) await enqueueReconcile(deps, jobId, IN_FLIGHT_RECHECK_MS);
    else await deps.pipelines.settleIntent(jobId);
    return;
  }
  // Cancelled before it is adopted: a crash in between finds it again (cancelled by then) and adopts it.
  const outcome = await deps.backends[j.job.backend].cancel(found.externalId, { signal: ctx.signal });
  if (outcome.kind === "error")
    throw new BackendError(j.job.backend, `cancel of ${found.externalId}, which a cut-short submission made: ${outcome.message}`, {
      transient: true,
    });
  await deps.pipelines.adoptSubmission(jobId, found.externalId, found.url ?? null);
  deps.log.info(
    { jobId, backend: j.job.backend, externalId: found.externalId, state: j.job.state, cancel: outcome.kind },
    "adopted and cancelled the submission a cut-short attempt made",
  );
}

/** Task "submit-job": submit once; after a crash, find the earlier submission instead of submitting twice. */
export async function submitJob(deps: AppDeps, jobId: number, ctx: TaskContext): Promise<void> {
  const j = await deps.pipelines.jobInContext(jobId);
  if (!j || j.job.finished_at) return; // gone, or cancelled
  if (j.job.external_id) {
    // Submitted already: an attempt cut short after storing the backend id (a kill, a lost lease)
    // may not have queued the first poll; queue it (at most one is queued) and never submit again.
    await startPolling(deps, j);
    return;
  }
  if (j.job.state !== "pending") return;
  const dependency = j.job.depends_on ? await deps.pipelines.job(j.job.depends_on) : undefined;
  if (dependency && dependency.state !== "success") return; // started when the dependency succeeds
  const client = deps.backends[j.job.backend];
  const req = submitRequestFor(j, dependency);
  if (j.job.type === "osh_scan") await addScanBase(deps, j, req);
  const lookAgainShortly = () =>
    enqueueTask(
      deps,
      "submit-job",
      { jobId },
      {
        lockKey: `submit:${jobId}`,
        fairnessKey: `${j.repo.owner}/${j.repo.name}`,
        runAt: deps.now() + IN_FLIGHT_RECHECK_MS,
      },
    );
  let submitted;
  try {
    // A submission that was sent before (then a crash, shutdown or timeout came before its id was
    // stored) may have reached the backend: find it instead of submitting twice.
    submitted = j.job.submit_attempted ? await findEarlierSubmission(deps, j, req, ctx) : null;
    if (!submitted && j.job.submit_attempted && mayStillArrive(deps, j.job)) {
      // The earlier request may still be on its way through the backend.
      await lookAgainShortly();
      return;
    }
    if (!submitted) {
      const attemptedAt = await deps.pipelines.markSubmitAttempted(jobId, j.job.submit_attempted);
      if (attemptedAt === null) {
        // Another run of this submission is sending it right now: see what it made, shortly.
        await lookAgainShortly();
        return;
      }
      submitted = await client.submit(req, { signal: ctx.signal }).catch(async (err: unknown) => {
        // An answer (an error status) ends the request: the next attempt looks once, then sends again.
        if (err instanceof BackendError && err.status !== undefined) await deps.pipelines.markSubmitAnswered(jobId, attemptedAt);
        throw err;
      });
    }
  } catch (err) {
    return failOrRetry(deps, j.job, err, ctx, "submission failed");
  }
  // Stored before anything else: from here on a crash cannot lose the backend id.
  const updated = await deps.pipelines.recordSubmission(jobId, submitted.externalId, submitted.url ?? null);
  if (!updated) {
    // Cancelled while we were submitting: stop what we just started.
    await client.cancel(submitted.externalId, { signal: ctx.signal }).catch(() => undefined);
    return;
  }
  deps.metrics.jobTransitions.inc({ backend: updated.backend, state: "submitted" });
  await startPolling(deps, { ...j, job: updated });
}

/** A submitted job's check run reported and its first poll queued, together. */
async function startPolling(deps: AppDeps, j: JobInContext): Promise<void> {
  await deps.db.tx(async () => {
    await reportJob(deps, j);
    await enqueuePoll(deps, j, deps.settings.polling.intervalMs);
  });
}

/**
 * Task "poll-job": read the backend state, move the job, poll again with backoff
 * until final. A backend that cannot be read (5xx, timeouts) is polled on at the same
 * pace — the build goes on without us — and the job ends in `error` only after
 * `polling.giveUpAfterMs` without an answer, or at once on a permanent error.
 */
export async function pollJob(deps: AppDeps, payload: AppTasks["poll-job"], ctx: TaskContext): Promise<void> {
  const j = await deps.pipelines.jobInContext(payload.jobId);
  if (!j || !j.job.external_id || j.job.finished_at) return;
  const interval = Math.min(
    deps.settings.polling.maxIntervalMs,
    Math.round((payload.intervalMs ?? deps.settings.polling.intervalMs) * 1.5),
  );
  let status: RemoteStatus;
  try {
    status = await deps.backends[j.job.backend].status(j.job.external_id, { signal: ctx.signal });
  } catch (err) {
    const e = toError(err);
    if (ctx.signal.aborted || !isTransient(e)) return failOrRetry(deps, j.job, e, ctx, "status check failed");
    const since = payload.unreadableSince ?? deps.now();
    if (deps.now() - since >= deps.settings.polling.giveUpAfterMs) {
      await moveJob(deps, j.job.id, "error", {
        message: `status check failed: ${e.message} (no answer for ${Math.round((deps.now() - since) / 60_000)} min)`,
      });
      return;
    }
    deps.log.warn({ jobId: j.job.id, backend: j.job.backend, err: e.message }, "status check failed; polling on");
    await enqueuePoll(deps, j, interval, since);
    return;
  }
  const next = nextJobState(j.job.state, status.state);
  if (next) {
    await moveJob(deps, j.job.id, next, {
      url: status.url ?? j.job.url,
      message: status.message ?? null,
      ...(status.artifacts ? { artifacts: status.artifacts } : {}),
      ...(next === "cancelled" && !j.job.cancel_reason ? { cancelReason: "Cancelled in the backend" } : {}),
    });
  }
  const after = (await deps.pipelines.job(j.job.id))!;
  if (!after.finished_at) await enqueuePoll(deps, { ...j, job: after }, interval);
}
