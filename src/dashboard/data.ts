/**
 * What each dashboard page shows, as plain data: the pages render it and `/api/…`
 * answers it as JSON, so both always agree. Reads go through `DashboardStore`
 * (SQL only there); decisions (why a job waits, the sweep's next candidates) are
 * made here from what the store returns.
 */
import type { JobRow, PipelineRow, RepoRow } from "../pipeline/store.js";
import type { Settings } from "../settings.js";
import { backendPage, BACKEND_TITLES, jobPath, pipelinePath, projectPath } from "./links.js";
import type { CancelledSummary, DashboardStore, Page, PipelineSummary, Viewer } from "./store.js";

export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
/** How many weeks the project page's chart of builder time saved covers. */
const CHART_WEEKS = 12;

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

export const repoView = (r: Pick<RepoRow, "owner" | "name" | "private">): RepoView => ({
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
function weeklySavings(
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
