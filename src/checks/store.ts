import type { Db } from "../db/types.js";
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

/** Desired check-run states, durable in the database: the reporter sends whatever is newer than what was sent. */
export class CheckRunStore {
  constructor(
    readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Record the state a check run should have. Returns true when it differs from the
   * last recorded one (only then does anything need sending).
   */
  async record(c: {
    installationId: number;
    repoId: number;
    headSha: string;
    name: string;
    jobId?: number;
    state: CheckRunState;
  }): Promise<boolean> {
    // One check run per job (a re-run is a new job: a new check run); job-less ones per head and name.
    const target = c.jobId === undefined ? "(repo_id, head_sha, name) WHERE job_id IS NULL" : "(job_id) WHERE job_id IS NOT NULL";
    const changed = await this.db.run(
      `INSERT INTO check_runs (installation_id, repo_id, head_sha, name, job_id, desired, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT ${target} DO UPDATE SET
         desired = excluded.desired, desired_version = check_runs.desired_version + 1, next_attempt_at = 0, attempts = 0, updated_at = excluded.updated_at
       WHERE check_runs.desired != excluded.desired`,
      [c.installationId, c.repoId, c.headSha, c.name, c.jobId ?? null, JSON.stringify(c.state), this.now()],
    );
    return changed > 0;
  }

  async pending(installationId: number, limit: number): Promise<PendingCheckRun[]> {
    return this.db.all<PendingCheckRun>(
      `SELECT c.id, c.installation_id, c.repo_id, c.head_sha, c.name, c.job_id, c.github_id, c.github_node_id, c.desired, c.desired_version,
         c.sent_version, c.create_sent, c.attempts, c.next_attempt_at, c.last_error, r.owner AS owner, r.name AS repo, r.node_id AS repo_node_id
       FROM check_runs c JOIN repositories r ON r.id = c.repo_id
       WHERE c.installation_id = ? AND c.desired_version > c.sent_version AND c.next_attempt_at <= ?
       ORDER BY c.id LIMIT ?`,
      [installationId, this.now(), limit],
    );
  }

  /** When the earliest postponed write of an installation is due, or null when nothing is pending. */
  async nextAttemptAt(installationId: number): Promise<number | null> {
    const row = await this.db.get<{ t: number | null }>(
      "SELECT MIN(next_attempt_at) AS t FROM check_runs WHERE installation_id = ? AND desired_version > sent_version",
      [installationId],
    );
    return row?.t ?? null;
  }

  async installationsWithPending(): Promise<number[]> {
    return (
      await this.db.all<{ id: number }>("SELECT DISTINCT installation_id AS id FROM check_runs WHERE desired_version > sent_version")
    ).map((r) => r.id);
  }

  async markCreateSent(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.run(`UPDATE check_runs SET create_sent = 1 WHERE id IN (${ids.map(() => "?").join(", ")})`, ids);
  }

  async markSent(id: number, version: number, github?: { id?: number | null; nodeId?: string | null }): Promise<void> {
    await this.db.run(
      `UPDATE check_runs SET sent_version = CASE WHEN sent_version > ? THEN sent_version ELSE ? END, github_id = COALESCE(?, github_id),
         github_node_id = COALESCE(?, github_node_id), attempts = 0, last_error = NULL WHERE id = ?`,
      [version, version, github?.id ?? null, github?.nodeId ?? null, id],
    );
  }

  async markFailed(id: number, error: string, retryAt: number): Promise<void> {
    await this.db.run("UPDATE check_runs SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?", [
      retryAt,
      error.slice(0, 500),
      id,
    ]);
  }

  async byJob(jobId: number): Promise<CheckRunRow | undefined> {
    return this.db.get<CheckRunRow>("SELECT * FROM check_runs WHERE job_id = ?", [jobId]);
  }

  async byGithubId(githubId: number): Promise<CheckRunRow | undefined> {
    return this.db.get<CheckRunRow>("SELECT * FROM check_runs WHERE github_id = ?", [githubId]);
  }

  /** How many check runs have a write postponed by an error (tests, the demo). */
  async countPostponed(): Promise<number> {
    return (await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM check_runs WHERE last_error IS NOT NULL"))!.n;
  }
}
