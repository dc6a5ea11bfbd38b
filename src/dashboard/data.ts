/**
 * What each dashboard page shows, as plain data: the pages render it and `/api/…`
 * answers it as JSON, so both always agree. Reads go through `DashboardStore`
 * (SQL only there); decisions (why a job waits, the sweep's next candidates) are
 * made here from what the store returns.
 */
import type { JobCancelResult } from "../cancel/report.js";
import { CANCEL_CODE_MEANINGS, CANCEL_CODES } from "../cancel/report.js";
import { sweepDecision } from "../maintenance/decide.js";
import type { JobEvent, JobRow, PipelineRow, RepoRow } from "../pipeline/store.js";
import type { Settings } from "../settings.js";
import { backendPage, BACKEND_TITLES, jobPath, pipelinePath, projectPath } from "./links.js";
import type { AuditWithRepo, CancelledSummary, DashboardStore, Page, PipelineSummary, QueueView, Viewer } from "./store.js";

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** How many weeks the project page's chart of builder time saved covers. */
export const CHART_WEEKS = 12;

/**
 * Installations and pull requests waiting for approval (outside contributors): the
 * approval feature provides it; until then the section is left out.
 */
export interface PendingApprovals {
  list(viewer: Viewer): Promise<{ owner: string; name: string; prNumber: number | null; author: string; since: number; reason: string }[]>;
}

export interface DashboardContext {
  store: DashboardStore;
  settings: Settings;
  now: () => number;
  approvals?: PendingApprovals;
}

/** A job as the pages show it: with its links and duration. */
export interface JobView {
  id: number;
  check: string;
  type: string;
  backend: string;
  backendTitle: string;
  target: string;
  state: string;
  message: string | null;
  cancelReason: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  savedMs: number | null;
  savedBasis: string | null;
  rerunOf: number | null;
  dependsOn: number | null;
  page: string;
  backendPage: { url: string; label: string } | null;
}

export function jobView(j: JobRow, settings: Settings): JobView {
  return {
    id: j.id,
    check: j.key,
    type: j.type,
    backend: j.backend,
    backendTitle: BACKEND_TITLES[j.backend] ?? j.backend,
    target: j.target,
    state: j.state,
    message: j.message,
    cancelReason: j.cancel_reason,
    createdAt: j.created_at,
    startedAt: j.started_at,
    finishedAt: j.finished_at,
    durationMs: j.started_at !== null && j.finished_at !== null ? j.finished_at - j.started_at : null,
    savedMs: j.saved_ms,
    savedBasis: j.saved_basis,
    rerunOf: j.rerun_of,
    dependsOn: j.depends_on,
    page: jobPath(j.id),
    backendPage: backendPage(j, { testingFarmArtifactsUrl: settings.backends.testingFarm.artifactsUrl }) ?? null,
  };
}

export interface RepoView {
  owner: string;
  name: string;
  private: boolean;
  page: string;
}

const repoView = (r: Pick<RepoRow, "owner" | "name" | "private">): RepoView => ({
  owner: r.owner,
  name: r.name,
  private: r.private !== 0,
  page: projectPath(r.owner, r.name),
});

/** What a pipeline was started for, in words: "pull request #3", "push to main", "release". */
export function pipelineSubject(p: Pick<PipelineRow, "trigger" | "pr_number" | "branch">): string {
  if (p.trigger === "pull_request") return `pull request #${p.pr_number}`;
  if (p.trigger === "push") return `push to ${p.branch ?? "?"}`;
  return "release";
}

// --- / -------------------------------------------------------------------------------

export interface HomeData {
  pipelines: Page<PipelineSummary & { page: string; project: string; subject: string }>;
  queue: { waiting: number; running: number };
  cancelled: { day: CancelledSummary; week: CancelledSummary };
  approvals: Awaited<ReturnType<PendingApprovals["list"]>> | null;
}

export async function homeData(c: DashboardContext, viewer: Viewer, page: { limit: number; before?: number }): Promise<HomeData> {
  const now = c.now();
  const [pipelines, queue, day, week, approvals] = await Promise.all([
    c.store.recentPipelines(viewer, page),
    c.store.queue(),
    c.store.cancelledSince(viewer, now - DAY_MS),
    c.store.cancelledSince(viewer, now - WEEK_MS),
    c.approvals?.list(viewer) ?? null,
  ]);
  const sum = (status: string) => queue.depth.filter((d) => d.status === status).reduce((n, d) => n + d.n, 0);
  return {
    pipelines: {
      next: pipelines.next,
      items: pipelines.items.map((p) => ({
        ...p,
        page: pipelinePath(p.id),
        project: projectPath(p.owner, p.name),
        subject: pipelineSubject(p),
      })),
    },
    queue: { waiting: sum("todo"), running: sum("doing") },
    cancelled: { day, week },
    approvals,
  };
}

// --- /projects/<owner>/<repo> ----------------------------------------------------------

export interface ProjectData {
  repo: RepoView;
  pipelines: Page<{
    id: number;
    page: string;
    subject: string;
    headSha: string;
    createdAt: number;
    supersededBy: number | null;
    jobs: JobView[];
  }>;
  /** Builder time saved per week, oldest first, `CHART_WEEKS` weeks ending this week. */
  savedPerWeek: { weekStart: number; savedMs: number; jobs: number }[];
}

/** Sums per week (pure): weeks start `weekStart + k·7 days`, the last one containing `now`. */
export function weeklySavings(
  rows: readonly { finished_at: number; saved_ms: number }[],
  now: number,
  weeks = CHART_WEEKS,
): ProjectData["savedPerWeek"] {
  const first = now - (now % WEEK_MS) - (weeks - 1) * WEEK_MS;
  const out = Array.from({ length: weeks }, (_, k) => ({ weekStart: first + k * WEEK_MS, savedMs: 0, jobs: 0 }));
  for (const r of rows) {
    const k = Math.floor((r.finished_at - first) / WEEK_MS);
    if (k < 0 || k >= weeks) continue;
    out[k]!.savedMs += r.saved_ms;
    out[k]!.jobs += 1;
  }
  return out;
}

export async function projectData(
  c: DashboardContext,
  viewer: Viewer,
  owner: string,
  name: string,
  page: { limit: number; before?: number },
): Promise<ProjectData | undefined> {
  const repo = await c.store.repo(viewer, owner, name);
  if (!repo) return undefined;
  const now = c.now();
  const weekStart = now - (now % WEEK_MS) - (CHART_WEEKS - 1) * WEEK_MS;
  const [pipelines, savings] = await Promise.all([c.store.projectPipelines(repo.id, page), c.store.savingsOfRepo(repo.id, weekStart)]);
  return {
    repo: repoView(repo),
    pipelines: {
      next: pipelines.next,
      items: pipelines.items.map((p) => ({
        id: p.id,
        page: pipelinePath(p.id),
        subject: pipelineSubject(p),
        headSha: p.head_sha,
        createdAt: p.created_at,
        supersededBy: p.superseded_by,
        jobs: p.jobs.map((j) => jobView(j, c.settings)),
      })),
    },
    savedPerWeek: weeklySavings(savings, now),
  };
}

// --- /pipelines/<id> -------------------------------------------------------------------

export interface PipelineRef {
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
export function waitingFor(
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

export interface CancellationsData {
  /** Cancel requests of the last 7 days by entry point (supersede, closed, comment, button, cli). */
  bySource: { source: string; n: number }[];
  saved: { day: CancelledSummary; week: CancelledSummary };
  reports: Page<{
    id: number;
    at: number;
    by: string;
    source: string;
    repo: RepoView | null;
    overall: string;
    reason: string;
    results: (JobCancelResult & { page: string })[];
  }>;
}

export async function cancellationsData(
  c: DashboardContext,
  viewer: Viewer,
  page: { limit: number; before?: number },
): Promise<CancellationsData> {
  const now = c.now();
  const [bySource, day, week, audit] = await Promise.all([
    c.store.cancelsBySource(viewer, now - WEEK_MS),
    c.store.cancelledSince(viewer, now - DAY_MS),
    c.store.cancelledSince(viewer, now - WEEK_MS),
    c.store.audit(viewer, "cancel.", page),
  ]);
  return {
    bySource: bySource.map((s) => ({ source: s.action.replace(/^cancel\./, ""), n: s.n })),
    saved: { day, week },
    reports: {
      next: audit.next,
      items: audit.items.map((a: AuditWithRepo) => {
        const d = (a.detail ?? {}) as { overall?: string; reason?: string; results?: JobCancelResult[] };
        return {
          id: a.id,
          at: a.at,
          by: a.actor,
          source: a.action.replace(/^cancel\./, ""),
          repo: a.owner && a.name ? { owner: a.owner, name: a.name, private: false, page: projectPath(a.owner, a.name) } : null,
          overall: d.overall ?? "?",
          reason: d.reason ?? "",
          results: (d.results ?? []).map((r) => ({ ...r, page: jobPath(r.jobId) })),
        };
      }),
    },
  };
}

export interface MaintenanceData {
  decisions: Page<{ id: number; at: number; by: string; action: string; subject: string; detail: unknown }>;
  /** What the next sweep would decide for each installation, from what is known now. */
  candidates: { id: number; account: string; action: string; reason: string }[];
  mode: string;
}

export async function maintenanceData(c: DashboardContext, page: { limit: number; before?: number }): Promise<MaintenanceData> {
  const [audit, facts] = await Promise.all([
    c.store.audit({ login: null, repoIds: [] }, "maintenance.", page),
    c.store.installationFacts(),
  ]);
  const now = c.now();
  return {
    decisions: {
      next: audit.next,
      items: audit.items.map((a) => ({
        id: a.id,
        at: a.at,
        by: a.actor,
        action: a.action.replace(/^maintenance\./, ""),
        subject: a.subject,
        detail: a.detail,
      })),
    },
    candidates: facts.map((f) => {
      const states = [
        ...Array<"present">(f.configured).fill("present"),
        ...Array<"unknown">(f.unknown).fill("unknown"),
        ...Array<"absent">(Math.max(0, f.repos - f.configured - f.unknown)).fill("absent"),
      ];
      const d = sweepDecision(
        { id: f.id, login: f.account_login, createdAt: f.created_at, suspendedAt: f.suspended_at, repoStates: states },
        now,
        c.settings.maintenance,
      );
      return { id: f.id, account: f.account_login, ...d };
    }),
    mode: c.settings.maintenance.mode,
  };
}

export type QueueData = QueueView;

export const queueData = (c: DashboardContext): Promise<QueueData> => c.store.queue();
