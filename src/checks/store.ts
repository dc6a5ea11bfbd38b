import type { Db } from "../db/open.js";
import type { CheckRunState } from "./state.js";

export interface CheckRunRow {
  id: number;
  installation_id: number;
  repo_id: number;
  head_sha: string;
  name: string;
  job_id: number | null;
  github_id: number | null;
  github_node_id: string | null;
  desired: string;
  desired_version: number;
  sent_version: number;
  create_sent: number;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
}

/** A pending check-run write, with what the reporter needs to send it. */
export interface PendingCheckRun extends CheckRunRow {
  owner: string;
  repo: string;
  repo_node_id: string | null;
}

/** Desired check-run states, durable in SQLite: the reporter sends whatever is newer than what was sent. */
export class CheckRunStore {
  private readonly sql;
  constructor(readonly db: Db, private readonly now: () => number = Date.now) {
    this.sql = {
      upsert: db.prepare(
        `INSERT INTO check_runs (installation_id, repo_id, head_sha, name, job_id, desired, updated_at)
         VALUES (@installationId, @repoId, @headSha, @name, @jobId, @desired, @now)
         ON CONFLICT(repo_id, head_sha, name) DO UPDATE SET
           desired = excluded.desired, job_id = COALESCE(excluded.job_id, job_id),
           desired_version = desired_version + 1, next_attempt_at = 0, attempts = 0, updated_at = excluded.updated_at
         WHERE desired != excluded.desired`,
      ),
      pending: db.prepare(
        `SELECT c.*, r.owner AS owner, r.name AS repo, r.node_id AS repo_node_id
         FROM check_runs c JOIN repositories r ON r.id = c.repo_id
         WHERE c.installation_id = ? AND c.desired_version > c.sent_version AND c.next_attempt_at <= ?
         ORDER BY c.id LIMIT ?`,
      ),
      nextAttempt: db.prepare(
        `SELECT MIN(next_attempt_at) AS t FROM check_runs WHERE installation_id = ? AND desired_version > sent_version`,
      ),
      installationsWithPending: db.prepare(
        "SELECT DISTINCT installation_id AS id FROM check_runs WHERE desired_version > sent_version",
      ),
      markCreateSent: db.prepare("UPDATE check_runs SET create_sent = 1 WHERE id = ?"),
      markSent: db.prepare(
        `UPDATE check_runs SET sent_version = MAX(sent_version, @version), github_id = COALESCE(@githubId, github_id),
           github_node_id = COALESCE(@nodeId, github_node_id), attempts = 0, last_error = NULL WHERE id = @id`,
      ),
      markFailed: db.prepare(
        "UPDATE check_runs SET attempts = attempts + 1, next_attempt_at = @at, last_error = @error WHERE id = @id",
      ),
      byJob: db.prepare("SELECT * FROM check_runs WHERE job_id = ?"),
      byGithubId: db.prepare("SELECT * FROM check_runs WHERE github_id = ?"),
      byName: db.prepare("SELECT * FROM check_runs WHERE repo_id = ? AND head_sha = ? AND name = ?"),
    };
  }

  /**
   * Record the state a check run should have. Returns true when it differs from the
   * last recorded one (only then does anything need sending).
   */
  record(c: { installationId: number; repoId: number; headSha: string; name: string; jobId?: number; state: CheckRunState }): boolean {
    const res = this.sql.upsert.run({
      installationId: c.installationId,
      repoId: c.repoId,
      headSha: c.headSha,
      name: c.name,
      jobId: c.jobId ?? null,
      desired: JSON.stringify(c.state),
      now: this.now(),
    });
    return res.changes > 0;
  }

  pending(installationId: number, limit: number): PendingCheckRun[] {
    return this.sql.pending.all(installationId, this.now(), limit) as PendingCheckRun[];
  }

  /** When the earliest postponed write of an installation is due, or null when nothing is pending. */
  nextAttemptAt(installationId: number): number | null {
    return (this.sql.nextAttempt.get(installationId) as { t: number | null }).t;
  }

  installationsWithPending(): number[] {
    return (this.sql.installationsWithPending.all() as { id: number }[]).map((r) => r.id);
  }

  markCreateSent(ids: readonly number[]): void {
    this.db.transaction(() => ids.forEach((id) => this.sql.markCreateSent.run(id)))();
  }

  markSent(id: number, version: number, github?: { id?: number | null; nodeId?: string | null }): void {
    this.sql.markSent.run({ id, version, githubId: github?.id ?? null, nodeId: github?.nodeId ?? null });
  }

  markFailed(id: number, error: string, retryAt: number): void {
    this.sql.markFailed.run({ id, error: error.slice(0, 500), at: retryAt });
  }

  byJob(jobId: number): CheckRunRow | undefined {
    return this.sql.byJob.get(jobId) as CheckRunRow | undefined;
  }

  byGithubId(githubId: number): CheckRunRow | undefined {
    return this.sql.byGithubId.get(githubId) as CheckRunRow | undefined;
  }

  byName(repoId: number, headSha: string, name: string): CheckRunRow | undefined {
    return this.sql.byName.get(repoId, headSha, name) as CheckRunRow | undefined;
  }
}
