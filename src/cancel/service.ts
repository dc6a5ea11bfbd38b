import type { AppDeps } from "../deps.js";
import { BackendError, toError } from "../errors.js";
import type { CancelOutcome } from "../backends/types.js";
import { isFinal } from "../pipeline/job-state.js";
import { enqueuePoll, moveJob } from "../pipeline/lifecycle.js";
import type { JobRow } from "../pipeline/store.js";
import { concurrencyLimit, sleep } from "../util/concurrency.js";
import { overallOf, CANCEL_CODES, type CancelReport, type JobCancelResult } from "./report.js";

export type CancelSource = "supersede" | "closed" | "comment" | "button" | "cli";

/** Tries of a backend cancel call that fails transiently (5xx, timeout). */
const CANCEL_TRIES = 3;

/**
 * The one cancel service behind every entry point. Takes jobs (their dependants come
 * along), cancels each the cheapest way its state allows, calls backends in
 * parallel (bounded per backend), and returns one report. A job's backend call starts
 * as soon as the job is claimed, and a slot is held only for the call itself (the state
 * write after it does not hold back the next call): 2,000 jobs cost about the
 * concurrency bound, not it plus the claims plus the writes.
 */
export async function cancelJobs(
  deps: AppDeps,
  jobIds: readonly number[],
  opts: { reason: string; source: CancelSource; signal?: AbortSignal },
): Promise<CancelReport> {
  const jobs = await withDependants(deps, jobIds);
  const gates = new Map<string, <R>(fn: () => Promise<R>) => Promise<R>>();
  const remote: Promise<void>[] = [];
  const cancelOnBackend = (job: JobRow) => {
    const client = deps.backends[job.backend];
    let gate = gates.get(job.backend);
    if (!gate) gates.set(job.backend, (gate = client.batchesCancels ? (fn) => fn() : concurrencyLimit(deps.settings.cancel.concurrency)));
    const settled = gate(() => cancelRemote(deps, job, opts.signal)).then((outcome) =>
      applyOutcome(deps, job, outcome, opts.reason, result),
    );
    settled.catch(() => undefined); // awaited below; not an unhandled rejection while the claims go on
    remote.push(settled);
  };
  const results = new Map<number, JobCancelResult>();
  const result = (job: JobRow, code: JobCancelResult["code"], text: string = CANCEL_CODES[code]) => {
    results.set(job.id, { jobId: job.id, check: job.key, backend: job.backend, code, text });
    deps.metrics.cancellations.inc({ backend: job.backend, code: String(code), source: opts.source });
  };

  // A job that is already cancelled is what the user asked for (a second press, two entry points at once).
  const settled = (job: JobRow, state: JobRow["state"]) =>
    state === "cancelled" ? result(job, 0, "already cancelled") : result(job, 1, `${CANCEL_CODES[1]} (${state})`);
  for (const job of jobs) {
    if (isFinal(job.state)) settled(job, job.state);
    else if (job.state === "cancel_requested") result(job, 0, "cancellation already requested");
    else if (job.state === "pending" || !job.external_id) {
      // Not submitted yet: cancel locally, no backend call.
      await deps.tasks.cancelByLockKey(`submit:${job.id}`);
      if (await moveJob(deps, job.id, "cancelled", { cancelReason: opts.reason, message: `${opts.reason}. It had not started.` }))
        result(job, 0);
      else settled(job, (await deps.pipelines.job(job.id))!.state);
    } else if (await moveJob(deps, job.id, "cancel_requested", { cancelReason: opts.reason, from: job.state })) {
      // Claimed atomically: a concurrent cancel of the same job now sees "already requested" and makes no call.
      cancelOnBackend(job);
    } else {
      const now = (await deps.pipelines.job(job.id))!;
      if (now.state === "cancel_requested") result(job, 0, "cancellation already requested");
      else settled(job, now.state);
    }
  }

  await Promise.all(remote);

  const ordered = jobs.map((j) => results.get(j.id)!).filter(Boolean);
  return { overall: overallOf(ordered), reason: opts.reason, results: ordered, repoId: jobs[0]?.repo_id ?? null };
}

/**
 * The selected jobs plus everything that waits on them, each once, in id order. A
 * job that has already finished brings no dependants: its tests (or their re-runs)
 * are work of their own by now.
 */
async function withDependants(deps: AppDeps, jobIds: readonly number[]): Promise<JobRow[]> {
  const seen = new Map<number, JobRow>();
  const queue = [...jobIds];
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    const job = await deps.pipelines.job(id);
    if (!job) continue;
    seen.set(id, job);
    if (!isFinal(job.state)) for (const d of await deps.pipelines.dependants(id)) queue.push(d.id);
  }
  // Parents before dependants, so a dependant cancelled with its parent is reported as such.
  return [...seen.values()].sort((a, b) => a.id - b.id);
}

async function cancelRemote(deps: AppDeps, job: JobRow, signal?: AbortSignal): Promise<CancelOutcome> {
  const client = deps.backends[job.backend];
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.cancel(job.external_id!, { signal });
    } catch (err) {
      const e = toError(err);
      if (!(e instanceof BackendError && e.transient) || attempt >= CANCEL_TRIES || signal?.aborted) {
        return { kind: "error", message: e.message };
      }
      await sleep(200 * attempt, signal).catch(() => undefined);
    }
  }
}

/** Settle a job claimed as `cancel_requested` according to what its backend answered. */
async function applyOutcome(
  deps: AppDeps,
  job: JobRow,
  outcome: CancelOutcome,
  reason: string,
  result: (job: JobRow, code: JobCancelResult["code"], text?: string) => void,
): Promise<void> {
  const ctx = () => deps.pipelines.jobInContext(job.id);
  switch (outcome.kind) {
    case "cancelled":
      await moveJob(deps, job.id, "cancelled", { cancelReason: reason, message: `${reason}.` });
      return result(job, 0);
    case "cancel_requested": {
      // Its dependants were cancelled locally above, so they never start whatever the backend does next.
      const c = await ctx();
      if (c) await enqueuePoll(deps, c, 1000);
      return result(job, 0, "cancellation requested");
    }
    case "already_finished": {
      // Learn its real final state soon rather than at the next scheduled poll.
      const c = await ctx();
      if (c) await enqueuePoll(deps, c, 0);
      return result(job, 1, `${CANCEL_CODES[1]}${outcome.state ? ` (${outcome.state})` : ""}`);
    }
    case "not_supported":
      await moveJob(deps, job.id, "cancelled", { cancelReason: reason, ignoreResult: true, message: `${reason}. ${outcome.message}` });
      return result(job, 2);
    case "error":
      // Not cancelled after all: the job goes on as it was.
      await moveJob(deps, job.id, job.state, { message: `Cancel failed: ${outcome.message}` });
      return result(job, 3, `backend error: ${outcome.message}`);
  }
}
