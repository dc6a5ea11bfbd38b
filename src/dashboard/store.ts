import type { AuditEntry } from "../audit/index.js";
import { idIn, idList, type Db, type SqlValue } from "../db/types.js";
import type { JobEvent, JobRow, PipelineRow, RepoRow } from "../pipeline/store.js";

/**
 * Who is looking: anonymous visitors see public repositories only; a signed-in
 * visitor also those of `repoIds` (read from GitHub at sign-in).
 */
export interface Viewer {
  login: string | null;
  repoIds: readonly number[];
}

export const ANONYMOUS: Viewer = { login: null, repoIds: [] };

/** A page of rows, newest first, and the cursor of the next (older) page. */
export interface Page<T> {
  items: T[];
  /** Pass as `before` for the next page; null on the last one. */
  next: number | null;
}

export interface PipelineSummary extends Pick<
  PipelineRow,
  "id" | "repo_id" | "trigger" | "pr_number" | "branch" | "head_sha" | "created_at" | "superseded_by" | "delivery_id"
> {
  owner: string;
  name: string;
  /** Jobs by state. */
  states: Record<string, number>;
}

export interface QueueView {
  /** Tasks waiting and running, by queue. */
  depth: { queue: string; status: string; n: number }[];
  /** Tasks that ended in the last 24 hours, by status. */
  finishedToday: { status: string; n: number }[];
  /** The task of each queue that has been due longest. */
  oldestDue: { queue: string; name: string; scheduled_at: number }[];
  /** Running tasks by worker. */
  workers: { worker_id: string; queue: string; n: number; oldest_started_at: number; lease_until: number }[];
}

export interface CancelledSummary {
  jobs: number;
  /** Of those, the ones with an estimate (an earlier run of the same check to go by). */
  estimated: number;
  savedMs: number;
}

/** A maintenance candidate: what the next sweep would decide from what is known now. */
export interface InstallationFacts {
  id: number;
  account_login: string;
  created_at: number;
  suspended_at: number | null;
  repos: number;
  configured: number;
  unknown: number;
}

export interface Session {
  id: string;
  login: string;
  repoIds: number[];
  expiresAt: number;
}

type RawAudit = Omit<AuditEntry, "detail"> & { detail: string; repo_id: number | null; owner?: string | null; name?: string | null };
export type AuditWithRepo = AuditEntry & { repo_id: number | null; owner: string | null; name: string | null };

const NO_CURSOR = Number.MAX_SAFE_INTEGER;
const DAY_MS = 86_400_000;

/**
 * The dashboard's reads, each answered from an index (newest-first pages stop at
 * the page size), with what a viewer may see filtered in SQL: a repository that is
 * public, or one the signed-in viewer can read. Sign-in sessions are kept here too.
 */
export class DashboardStore {
  constructor(
    readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** `r` is a repository the viewer may see. */
  private visible(viewer: Viewer): { sql: string; params: SqlValue[] } {
    return { sql: `(r.private = 0 OR ${idIn(this.db, "r.id")})`, params: [idList(this.db, viewer.repoIds)] };
  }

  private page<T extends { id: number }>(rows: T[], limit: number): Page<T> {
    const items = rows.slice(0, limit);
    return { items, next: rows.length > limit ? items[items.length - 1]!.id : null };
  }

  private async withStates<P extends { id: number }>(pipelines: P[]): Promise<(P & { states: Record<string, number> })[]> {
    if (pipelines.length === 0) return [];
    const rows = await this.db.all<{ pipeline_id: number; state: string; n: number }>(
      `SELECT pipeline_id, state, COUNT(*) AS n FROM jobs WHERE ${idIn(this.db, "pipeline_id")} GROUP BY pipeline_id, state`,
      [
        idList(
          this.db,
          pipelines.map((p) => p.id),
        ),
      ],
    );
    return pipelines.map((p) => ({
      ...p,
      states: Object.fromEntries(rows.filter((r) => r.pipeline_id === p.id).map((r) => [r.state, r.n])),
    }));
  }

  /** The newest pipelines across the projects the viewer may see. */
  async recentPipelines(viewer: Viewer, opts: { limit: number; before?: number }): Promise<Page<PipelineSummary>> {
    const v = this.visible(viewer);
    const rows = await this.db.all<Omit<PipelineSummary, "states">>(
      `SELECT p.id, p.repo_id, r.owner, r.name, p.trigger, p.pr_number, p.branch, p.head_sha, p.created_at, p.superseded_by, p.delivery_id
       FROM pipelines p JOIN repositories r ON r.id = p.repo_id
       WHERE p.id < ? AND ${v.sql} ORDER BY p.id DESC LIMIT ?`,
      [opts.before ?? NO_CURSOR, ...v.params, opts.limit + 1],
    );
    const page = this.page(rows, opts.limit);
    return { items: await this.withStates(page.items), next: page.next };
  }

  /** Jobs cancelled since `since` in projects the viewer may see, and the builder time they saved. */
  async cancelledSince(viewer: Viewer, since: number): Promise<CancelledSummary> {
    const v = this.visible(viewer);
    const row = await this.db.get<{ n: number; estimated: number; saved: number | null }>(
      `SELECT COUNT(*) AS n, COUNT(j.saved_ms) AS estimated, CAST(SUM(j.saved_ms) AS BIGINT) AS saved FROM jobs j JOIN repositories r ON r.id = j.repo_id
       WHERE j.state = 'cancelled' AND j.finished_at >= ? AND ${v.sql}`,
      [since, ...v.params],
    );
    return { jobs: Number(row?.n ?? 0), estimated: Number(row?.estimated ?? 0), savedMs: Number(row?.saved ?? 0) };
  }

  /** A repository by name, if the viewer may see it (otherwise as if it did not exist). */
  async repo(viewer: Viewer, owner: string, name: string): Promise<RepoRow | undefined> {
    const v = this.visible(viewer);
    return this.db.get<RepoRow>(
      `SELECT r.id, r.installation_id, r.owner, r.name, r.node_id, r.default_branch, r.clone_url, r.private FROM repositories r
       WHERE r.owner = ? AND r.name = ? AND ${v.sql} ORDER BY CASE WHEN r.removed_at IS NULL THEN 0 ELSE 1 END, r.added_at DESC LIMIT 1`,
      [owner, name, ...v.params],
    );
  }

  /** A project's pipelines, newest first, with their jobs. */
  async projectPipelines(repoId: number, opts: { limit: number; before?: number }): Promise<Page<PipelineRow & { jobs: JobRow[] }>> {
    const rows = await this.db.all<PipelineRow>("SELECT * FROM pipelines WHERE repo_id = ? AND id < ? ORDER BY id DESC LIMIT ?", [
      repoId,
      opts.before ?? NO_CURSOR,
      opts.limit + 1,
    ]);
    const page = this.page(rows, opts.limit);
    const jobs = page.items.length
      ? await this.db.all<JobRow>(`SELECT * FROM jobs WHERE ${idIn(this.db, "pipeline_id")} ORDER BY id`, [
          idList(
            this.db,
            page.items.map((p) => p.id),
          ),
        ])
      : [];
    return { items: page.items.map((p) => ({ ...p, jobs: jobs.filter((j) => j.pipeline_id === p.id) })), next: page.next };
  }

  /** When each job of a project cancelled since `since` ended, and what it saved (the weekly chart). */
  async savingsOfRepo(repoId: number, since: number): Promise<{ finished_at: number; saved_ms: number }[]> {
    return this.db.all(
      "SELECT finished_at, saved_ms FROM jobs WHERE repo_id = ? AND saved_ms IS NOT NULL AND finished_at >= ? ORDER BY finished_at",
      [repoId, since],
    );
  }

  /** A pipeline with its repository, if the viewer may see it. */
  async pipeline(viewer: Viewer, id: number): Promise<{ pipeline: PipelineRow; repo: RepoRow } | undefined> {
    const v = this.visible(viewer);
    const row = await this.db.get<
      PipelineRow & {
        r_owner: string;
        r_name: string;
        r_private: number | null;
        r_installation_id: number;
        r_default_branch: string | null;
      }
    >(
      `SELECT p.*, r.owner AS r_owner, r.name AS r_name, r.private AS r_private, r.installation_id AS r_installation_id, r.default_branch AS r_default_branch
       FROM pipelines p JOIN repositories r ON r.id = p.repo_id WHERE p.id = ? AND ${v.sql}`,
      [id, ...v.params],
    );
    if (!row) return undefined;
    const { r_owner, r_name, r_private, r_installation_id, r_default_branch, ...pipeline } = row;
    return {
      pipeline,
      repo: {
        id: pipeline.repo_id,
        installation_id: r_installation_id,
        owner: r_owner,
        name: r_name,
        private: r_private,
        default_branch: r_default_branch,
        node_id: null,
        clone_url: null,
      },
    };
  }

  /** Other pipelines of the same head (re-runs and commands), oldest first. */
  async pipelinesAtHead(repoId: number, headSha: string): Promise<Pick<PipelineRow, "id" | "created_at" | "delivery_id">[]> {
    return this.db.all("SELECT id, created_at, delivery_id FROM pipelines WHERE repo_id = ? AND head_sha = ? ORDER BY id", [
      repoId,
      headSha,
    ]);
  }

  async jobsOf(pipelineId: number): Promise<JobRow[]> {
    return this.db.all<JobRow>("SELECT * FROM jobs WHERE pipeline_id = ? ORDER BY id", [pipelineId]);
  }

  async job(id: number): Promise<JobRow | undefined> {
    return this.db.get<JobRow>("SELECT * FROM jobs WHERE id = ?", [id]);
  }

  async jobsById(ids: readonly number[]): Promise<JobRow[]> {
    if (ids.length === 0) return [];
    return this.db.all<JobRow>(`SELECT * FROM jobs WHERE ${idIn(this.db, "id")}`, [idList(this.db, ids)]);
  }

  async events(jobId: number): Promise<JobEvent[]> {
    return this.db.all<JobEvent>("SELECT at, state, message FROM job_events WHERE job_id = ? ORDER BY id", [jobId]);
  }

  /** Jobs that run this one again. */
  async rerunsOf(jobId: number): Promise<Pick<JobRow, "id" | "state" | "created_at">[]> {
    return this.db.all("SELECT id, state, created_at FROM jobs WHERE rerun_of = ? ORDER BY id", [jobId]);
  }

  async dependants(jobId: number): Promise<Pick<JobRow, "id" | "key" | "state">[]> {
    return this.db.all("SELECT id, key, state FROM jobs WHERE depends_on = ? ORDER BY id", [jobId]);
  }

  /** The GitHub check run of a job, once created there. */
  async checkRunOf(jobId: number): Promise<{ github_id: number | null; name: string; last_error: string | null } | undefined> {
    return this.db.get("SELECT github_id, name, last_error FROM check_runs WHERE job_id = ?", [jobId]);
  }

  /** A job's queued submission (why a pending job without a dependency waits: for a worker slot). */
  async queuedSubmission(jobId: number): Promise<{ scheduled_at: number; attempts: number; last_error: string | null } | undefined> {
    return this.db.get("SELECT scheduled_at, attempts, last_error FROM tasks WHERE lock_key = ? AND status = 'todo'", [`submit:${jobId}`]);
  }

  /** Cancel reports of a repository since `since`, oldest first (the job page finds its own result in them). */
  async cancelReportsOfRepo(repoId: number, since: number): Promise<AuditEntry[]> {
    const rows = await this.db.all<RawAudit>(
      "SELECT id, at, actor, action, subject, detail, repo_id FROM audit WHERE repo_id = ? AND at >= ? ORDER BY at, id LIMIT 1000",
      [repoId, since],
    );
    return rows.filter((r) => r.action.startsWith("cancel.")).map(parseAudit);
  }

  /** Audit rows of one kind (`cancel.` or `maintenance.`), newest first; cancels only of repositories the viewer may see. */
  async audit(viewer: Viewer, prefix: "cancel." | "maintenance.", opts: { limit: number; before?: number }): Promise<Page<AuditWithRepo>> {
    const like = `${prefix}%`;
    const rows =
      prefix === "cancel."
        ? await (() => {
            const v = this.visible(viewer);
            return this.db.all<RawAudit>(
              `SELECT a.id, a.at, a.actor, a.action, a.subject, a.detail, a.repo_id, r.owner, r.name FROM audit a JOIN repositories r ON r.id = a.repo_id
               WHERE a.id < ? AND a.action LIKE ? AND ${v.sql} ORDER BY a.id DESC LIMIT ?`,
              [opts.before ?? NO_CURSOR, like, ...v.params, opts.limit + 1],
            );
          })()
        : await this.db.all<RawAudit>(
            "SELECT id, at, actor, action, subject, detail, repo_id FROM audit WHERE id < ? AND action LIKE ? ORDER BY id DESC LIMIT ?",
            [opts.before ?? NO_CURSOR, like, opts.limit + 1],
          );
    const page = this.page(rows, opts.limit);
    return {
      items: page.items.map((r) => ({ ...parseAudit(r), repo_id: r.repo_id, owner: r.owner ?? null, name: r.name ?? null })),
      next: page.next,
    };
  }

  /** Cancel requests since `since` by entry point, in repositories the viewer may see. */
  async cancelsBySource(viewer: Viewer, since: number): Promise<{ action: string; n: number }[]> {
    const v = this.visible(viewer);
    return this.db.all(
      `SELECT a.action, COUNT(*) AS n FROM audit a JOIN repositories r ON r.id = a.repo_id WHERE a.at >= ? AND a.action LIKE 'cancel.%' AND ${v.sql} GROUP BY a.action ORDER BY a.action`,
      [since, ...v.params],
    );
  }

  /**
   * Every live installation with how many of its repositories are known to have a
   * config (valid or not) or not to be known: what the sweep's decision is made from.
   */
  async installationFacts(): Promise<InstallationFacts[]> {
    return this.db
      .all<InstallationFacts>(
        `SELECT i.id, i.account_login, i.created_at, i.suspended_at,
         COUNT(r.id) AS repos,
         SUM(CASE WHEN c.state IN ('present', 'invalid') THEN 1 ELSE 0 END) AS configured,
         SUM(CASE WHEN r.id IS NOT NULL AND (c.state IS NULL OR c.state = 'unknown') THEN 1 ELSE 0 END) AS unknown
       FROM installations i
       LEFT JOIN repositories r ON r.installation_id = i.id AND r.removed_at IS NULL
       LEFT JOIN config_state c ON c.repo_id = r.id AND c.ref = r.default_branch
       WHERE i.deleted_at IS NULL GROUP BY i.id, i.account_login, i.created_at, i.suspended_at ORDER BY i.id`,
      )
      .then((rows) => rows.map((r) => ({ ...r, configured: Number(r.configured ?? 0), unknown: Number(r.unknown ?? 0) })));
  }

  async queue(): Promise<QueueView> {
    const now = this.now();
    const [todo, doing, finishedToday, oldestDue] = await Promise.all([
      this.db.all<{ queue: string; n: number }>(
        "SELECT queue, COUNT(*) AS n FROM tasks WHERE status = 'todo' GROUP BY queue ORDER BY queue",
      ),
      this.db.all<QueueView["workers"][number]>(
        "SELECT worker_id, queue, COUNT(*) AS n, MIN(started_at) AS oldest_started_at, MAX(lease_until) AS lease_until FROM tasks WHERE status = 'doing' GROUP BY worker_id, queue ORDER BY worker_id",
      ),
      this.db.all<{ status: string; n: number }>(
        "SELECT status, COUNT(*) AS n FROM tasks WHERE finished_at >= ? AND status IN ('succeeded','failed','cancelled','aborted') GROUP BY status ORDER BY status",
        [now - DAY_MS],
      ),
      this.db.all<{ queue: string; name: string; scheduled_at: number }>(
        `SELECT t.queue, t.name, t.scheduled_at FROM tasks t WHERE t.status = 'todo' AND t.id = (
           SELECT o.id FROM tasks o WHERE o.status = 'todo' AND o.queue = t.queue ORDER BY o.scheduled_at, o.id LIMIT 1) ORDER BY t.queue`,
      ),
    ]);
    const depth = [
      ...todo.map((t) => ({ queue: t.queue, status: "todo", n: t.n })),
      ...Object.values(
        doing.reduce<Record<string, { queue: string; status: string; n: number }>>((acc, w) => {
          (acc[w.queue] ??= { queue: w.queue, status: "doing", n: 0 }).n += w.n;
          return acc;
        }, {}),
      ),
    ];
    return { depth, finishedToday, oldestDue, workers: doing };
  }

  // --- sign-in sessions -------------------------------------------------------------

  async createSession(s: Session): Promise<void> {
    await this.db.run("INSERT INTO dashboard_sessions (id, login, repo_ids, created_at, expires_at) VALUES (?, ?, ?, ?, ?)", [
      s.id,
      s.login,
      JSON.stringify(s.repoIds),
      this.now(),
      s.expiresAt,
    ]);
  }

  /** A live session; expired ones are forgotten. */
  async session(id: string): Promise<Session | undefined> {
    const row = await this.db.get<{ id: string; login: string; repo_ids: string; expires_at: number }>(
      "SELECT id, login, repo_ids, expires_at FROM dashboard_sessions WHERE id = ?",
      [id],
    );
    if (!row) return undefined;
    if (row.expires_at <= this.now()) {
      await this.deleteSession(id);
      return undefined;
    }
    return { id: row.id, login: row.login, repoIds: JSON.parse(row.repo_ids) as number[], expiresAt: row.expires_at };
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.run("DELETE FROM dashboard_sessions WHERE id = ?", [id]);
  }

  /** Retention: forget expired sessions. */
  async pruneSessions(): Promise<number> {
    return this.db.run("DELETE FROM dashboard_sessions WHERE expires_at <= ?", [this.now()]);
  }
}

function parseAudit(r: RawAudit): AuditEntry {
  return { id: r.id, at: r.at, actor: r.actor, action: r.action, subject: r.subject, detail: JSON.parse(r.detail) };
}
