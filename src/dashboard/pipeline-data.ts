/** The pipeline and job pages' data (`data.ts` has the shared views): a pipeline's jobs, a job's events, cancels and what it waits for. */
import type { JobCancelResult } from "../cancel/report.js";
import { CANCEL_CODE_MEANINGS, CANCEL_CODES } from "../cancel/report.js";
import type { JobEvent, JobRow } from "../pipeline/store.js";
import { jobPath, pipelinePath } from "./links.js";
import type { Viewer } from "./store.js";
import { type DashboardContext, type JobView, type RepoView, jobView, pipelineSubject, repoView } from "./data.js";

interface PipelineRef {
  id: number;
  page: string;
  headSha: string;
  subject: string;
}

export interface PipelineData {
  id: number;
  repo: RepoView;
  subject: string;
  headSha: string;
  createdAt: number;
  deliveryId: string | null;
  /** The newer head that superseded this one, with its pipeline. */
  supersededBy: PipelineRef | null;
  /** Other pipelines of the same head (re-runs, commands). */
  sameHead: { id: number; page: string; createdAt: number }[];
  jobs: JobView[];
}

async function pipelineRef(c: DashboardContext, viewer: Viewer, id: number | null): Promise<PipelineRef | null> {
  if (id === null) return null;
  const found = await c.store.pipeline(viewer, id);
  return found ? { id, page: pipelinePath(id), headSha: found.pipeline.head_sha, subject: pipelineSubject(found.pipeline) } : null;
}

export async function pipelineData(c: DashboardContext, viewer: Viewer, id: number): Promise<PipelineData | undefined> {
  const found = await c.store.pipeline(viewer, id);
  if (!found) return undefined;
  const { pipeline: p, repo } = found;
  const [jobs, sameHead, supersededBy] = await Promise.all([
    c.store.jobsOf(p.id),
    c.store.pipelinesAtHead(p.repo_id, p.head_sha),
    pipelineRef(c, viewer, p.superseded_by),
  ]);
  return {
    id: p.id,
    repo: repoView(repo),
    subject: pipelineSubject(p),
    headSha: p.head_sha,
    createdAt: p.created_at,
    deliveryId: p.delivery_id,
    supersededBy,
    sameHead: sameHead.filter((o) => o.id !== p.id).map((o) => ({ id: o.id, page: pipelinePath(o.id), createdAt: o.created_at })),
    jobs: jobs.map((j) => jobView(j, c.settings)),
  };
}

// --- /jobs/<id> ------------------------------------------------------------------------

export interface JobData {
  job: JobView;
  repo: RepoView;
  pipeline: PipelineRef;
  history: JobEvent[];
  /** Why a pending job has not started, in words; null when it is not waiting. */
  waitingFor: string | null;
  /** Why and by whom it was cancelled, and what superseded it. */
  cancellation: {
    reason: string | null;
    supersededBy: PipelineRef | null;
    results: (JobCancelResult & { by: string; source: string; at: number; meaning: string })[];
  } | null;
  dependency: { id: number; check: string; state: string; page: string } | null;
  dependants: { id: number; check: string; state: string; page: string }[];
  rerunOf: { id: number; page: string } | null;
  reruns: { id: number; state: string; page: string }[];
  checkRun: { name: string; githubId: number | null; lastError: string | null } | null;
}

interface CancelDetail {
  results?: JobCancelResult[];
}

export async function jobData(c: DashboardContext, viewer: Viewer, id: number): Promise<JobData | undefined> {
  const job = await c.store.job(id);
  if (!job) return undefined;
  const found = await c.store.pipeline(viewer, job.pipeline_id);
  if (!found) return undefined;
  const { pipeline: p, repo } = found;
  const [history, dependency, dependants, reruns, checkRun, queued, reports, supersededBy] = await Promise.all([
    c.store.events(id),
    job.depends_on ? c.store.job(job.depends_on) : undefined,
    c.store.dependants(id),
    c.store.rerunsOf(id),
    c.store.checkRunOf(id),
    job.state === "pending" ? c.store.queuedSubmission(id) : undefined,
    job.state === "cancelled" || job.state === "cancel_requested" ? c.store.cancelReportsOfRepo(p.repo_id, job.created_at) : [],
    pipelineRef(c, viewer, p.superseded_by),
  ]);
  const results = reports.flatMap((a) =>
    ((a.detail as CancelDetail | null)?.results ?? [])
      .filter((r) => r.jobId === id)
      .map((r) => ({
        ...r,
        by: a.actor,
        source: a.action.replace(/^cancel\./, ""),
        at: a.at,
        meaning: `${CANCEL_CODES[r.code]}: ${CANCEL_CODE_MEANINGS[r.code]}`,
      })),
  );
  return {
    job: jobView(job, c.settings),
    repo: repoView(repo),
    pipeline: { id: p.id, page: pipelinePath(p.id), headSha: p.head_sha, subject: pipelineSubject(p) },
    history,
    waitingFor: waitingFor(job, dependency, queued, c.now()),
    cancellation:
      job.cancel_reason !== null || results.length > 0
        ? { reason: job.cancel_reason, supersededBy: job.cancel_reason?.startsWith("Superseded") ? supersededBy : null, results }
        : null,
    dependency: dependency ? { id: dependency.id, check: dependency.key, state: dependency.state, page: jobPath(dependency.id) } : null,
    dependants: dependants.map((d) => ({ id: d.id, check: d.key, state: d.state, page: jobPath(d.id) })),
    rerunOf: job.rerun_of ? { id: job.rerun_of, page: jobPath(job.rerun_of) } : null,
    reruns: reruns.map((r) => ({ id: r.id, state: r.state, page: jobPath(r.id) })),
    checkRun: checkRun ? { name: checkRun.name, githubId: checkRun.github_id, lastError: checkRun.last_error } : null,
  };
}

/** Why a pending job waits (pure): for the job it depends on, for a free slot, or to be planned. */
function waitingFor(
  job: Pick<JobRow, "state">,
  dependency: Pick<JobRow, "key" | "state"> | undefined,
  queued: { scheduled_at: number; attempts: number; last_error: string | null } | undefined,
  now: number,
): string | null {
  if (job.state !== "pending") return null;
  if (dependency && dependency.state !== "success") return `for ${dependency.key} to succeed (it is ${dependency.state})`;
  if (queued) {
    const retry =
      queued.attempts > 0
        ? ` after ${queued.attempts} failed attempt${queued.attempts === 1 ? "" : "s"}${queued.last_error ? ` (${queued.last_error})` : ""}`
        : "";
    return queued.scheduled_at > now
      ? `to be submitted again at ${new Date(queued.scheduled_at).toISOString()}${retry}`
      : `for a free worker slot to be submitted${retry}`;
  }
  return "to be submitted";
}

// --- /cancellations, /maintenance, /queue ----------------------------------------------
