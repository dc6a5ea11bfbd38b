import type { AppDeps } from "../deps.js";
import { isFinal } from "./job-state.js";
import { startJobs } from "./lifecycle.js";
import type { JobRow, NewJob } from "./store.js";

/**
 * Run a finished job again, with everything that depends on it, in a new pipeline
 * of the same head. Each new job is a new attempt with a check run of its own, as
 * GitHub and Packit do it: the old check runs keep their conclusions, and the new
 * ones link them (`rerun_of`). A job whose own dependency did not succeed re-runs
 * that dependency too. Returns the new job ids, or null when the job is unknown or
 * still running.
 */
export async function rerunJob(deps: AppDeps, jobId: number, actor: string): Promise<number[] | null> {
  const start = await deps.pipelines.jobInContext(jobId);
  if (!start || !isFinal(start.job.state)) return null;
  const { pipelines } = deps;
  let root: JobRow = start.job;
  for (
    let dep = root.depends_on ? await pipelines.job(root.depends_on) : undefined;
    dep && dep.state !== "success";
    dep = dep.depends_on ? await pipelines.job(dep.depends_on) : undefined
  ) {
    root = dep;
  }
  const fresh: NewJob[] = [];
  const visit = async (job: JobRow, parentKey?: string): Promise<void> => {
    fresh.push({
      key: job.key,
      type: job.type,
      backend: job.backend,
      target: job.target,
      options: JSON.parse(job.options) as Record<string, unknown>,
      manualTrigger: false,
      cancelSuperseded: job.cancel_superseded === 1,
      rerunOf: job.id,
      ...(parentKey ? { after: parentKey } : job.depends_on ? { dependsOnJobId: job.depends_on } : {}),
    });
    for (const d of await pipelines.dependants(job.id)) if (d.pipeline_id === job.pipeline_id) await visit(d, job.key);
  };
  await visit(root);
  const old = start.pipeline;
  // Stored and started together: jobs without their checks and submissions would never run.
  return deps.db.tx(async () => {
    const { pipeline, jobs } = await pipelines.createPipeline(
      {
        repoId: old.repo_id,
        installationId: old.installation_id,
        trigger: old.trigger,
        prNumber: old.pr_number,
        branch: old.branch,
        headSha: old.head_sha,
        sourceCloneUrl: old.source_clone_url,
        deliveryId: `rerun by ${actor}`,
      },
      fresh,
    );
    await startJobs(deps, { pipeline, repo: start.repo }, jobs);
    return jobs.map((j) => j.id);
  });
}
