import type { Probot } from "probot";
import { withLease } from "../db/locks.js";
import type { AppDeps } from "../deps.js";
import type { JobInContext } from "../pipeline/store.js";
import { enqueueTask } from "../tasks.js";
import { flushCheckRuns } from "./reporter.js";
import { absolute, backendPage, pipelinePath } from "../dashboard/links.js";
import { checkRunForJob, type CheckRunState } from "./state.js";

const LEASE_BUSY_RETRY_MS = 50;

/** Registers the check-run reporter task and resumes sending anything left pending by a previous run. */
export function setupChecks(_app: Probot, deps: AppDeps): void {
  deps.taskHandlers["flush-checks"] = async ({ installationId }, ctx) => {
    // One flush per installation at a time (any process): two would send the same creates twice.
    const res = await withLease(
      deps.db,
      `flush-checks:${installationId}`,
      deps.settings.worker.leaseMs,
      () => flushCheckRuns({ ...deps, batchSize: deps.settings.checks.batchSize }, installationId, ctx.signal),
      deps.now,
    );
    if (res && res.failed > 0) deps.log.info({ installationId, ...res }, "check runs flushed with some postponed");
    const next = await deps.checks.nextAttemptAt(installationId);
    // Skipped because another flush holds the lease: look again shortly, not in a tight loop.
    if (next !== null) await scheduleFlush(deps, installationId, res ? next : deps.now() + LEASE_BUSY_RETRY_MS);
  };
}

/** Queue a flush for every installation with check-run writes left pending by a previous run. */
export async function resumePendingFlushes(deps: AppDeps): Promise<void> {
  for (const installationId of await deps.checks.installationsWithPending()) await scheduleFlush(deps, installationId);
}

/**
 * Make sure a flush of this installation's check runs is queued. The short window
 * lets the state changes of one event (20 targets created at once) go out together;
 * the queueing lock keeps it to one queued flush per installation.
 */
export async function scheduleFlush(deps: AppDeps, installationId: number, at?: number): Promise<void> {
  const runAt = Math.max(at ?? 0, deps.now() + deps.settings.checks.flushWindowMs);
  await enqueueTask(
    deps,
    "flush-checks",
    { installationId },
    {
      lockKey: `flush-checks:${installationId}`,
      fairnessKey: `installation:${installationId}`,
      priority: 100,
      runAt,
      maxAttempts: 20,
    },
  );
}

/**
 * Record the check run for a job's current state and queue a flush. Each job has a
 * check run of its own: a re-run (a new job) gets a new one, linked to the old.
 */
export async function reportJob(deps: AppDeps, j: JobInContext): Promise<void> {
  const dependency = j.job.depends_on ? await deps.pipelines.job(j.job.depends_on) : undefined;
  const previous = j.job.rerun_of ? await deps.pipelines.job(j.job.rerun_of) : undefined;
  const page = backendPage(j.job, { testingFarmArtifactsUrl: deps.settings.backends.testingFarm.artifactsUrl });
  const state = checkRunForJob(j.job, {
    publicUrl: deps.publicUrl,
    ...(dependency ? { dependencyKey: dependency.key } : {}),
    ...(previous ? { rerunOf: { id: previous.id, state: previous.state } } : {}),
    ...(page ? { backendPage: page } : {}),
  });
  await recordCheck(deps, j, j.job.key, state, j.job.id);
}

/** Record any check run (e.g. the invalid-config check) for a pipeline's head; one without a job links its pipeline's page. */
export async function recordCheck(
  deps: AppDeps,
  j: Omit<JobInContext, "job">,
  name: string,
  state: CheckRunState,
  jobId?: number,
): Promise<void> {
  const desired = state.detailsUrl ? state : { ...state, detailsUrl: absolute(deps.publicUrl, pipelinePath(j.pipeline.id)) };
  const changed = await deps.checks.record({
    installationId: j.pipeline.installation_id,
    repoId: j.repo.id,
    headSha: j.pipeline.head_sha,
    name,
    jobId,
    state: desired,
  });
  if (changed) await scheduleFlush(deps, j.pipeline.installation_id);
}
