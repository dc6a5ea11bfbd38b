import { canTransition, IllegalJobTransition, isFinal, type JobState } from "./job-state.js";
import { SAVING_SAMPLE, savingEstimate } from "../metrics/time-saved.js";
import { PipelineReads } from "./pipeline-reads.js";
import type { JobFields, JobRow } from "./rows.js";

/** A job's state changes and the submission-intent bookkeeping around its backend call. */
export class JobTransitions extends PipelineReads {
  /**
   * Move a job to `state` unless it is already final (final states never change).
   * Returns the updated row, or undefined when the job is final or no longer in
   * `fields.from`. A change `JOB_TRANSITIONS` forbids throws `IllegalJobTransition`.
   */
  async transition(jobId: number, state: JobState, fields: JobFields = {}): Promise<JobRow | undefined> {
    const current = await this.job(jobId);
    if (!current || isFinal(current.state) || (fields.from !== undefined && current.state !== fields.from)) return undefined;
    if (!canTransition(current.state, state)) throw new IllegalJobTransition(jobId, current.state, state);
    const now = this.now();
    const sets = ["state = ?", "updated_at = ?"];
    const params: (string | number | null)[] = [state, now];
    const set = (column: string, value: string | number | null) => (sets.push(`${column} = ?`), params.push(value));
    if (isFinal(state)) set("finished_at", now);
    if ((state === "submitted" || state === "running") && current.started_at === null) set("started_at", now);
    if (state === "cancelled") {
      const saving = savingEstimate(
        await this.recentDurations(current.repo_id, current.key),
        current.started_at === null ? 0 : now - current.started_at,
      );
      set("saved_ms", saving.savedMs);
      set("saved_basis", saving.basis);
    }
    if (fields.externalId !== undefined) set("external_id", fields.externalId);
    if (fields.url !== undefined) set("url", fields.url);
    if (fields.message !== undefined) set("message", fields.message);
    if (fields.artifacts !== undefined) set("artifacts", JSON.stringify(fields.artifacts));
    if (fields.cancelReason !== undefined) set("cancel_reason", fields.cancelReason);
    if (fields.ignoreResult) sets.push("ignore_result = 1");
    // The state guard makes the check-and-set atomic against another worker.
    const updated = await this.db.get<JobRow>(
      `UPDATE jobs SET ${sets.join(", ")} WHERE id = ? AND finished_at IS NULL AND state = ? RETURNING *`,
      [...params, jobId, current.state],
    );
    if (updated && (updated.state !== current.state || updated.message !== current.message)) {
      await this.db.run("INSERT INTO job_events (job_id, at, state, message) VALUES (?, ?, ?, ?)", [jobId, now, state, updated.message]);
    }
    return updated;
  }

  /**
   * How long the last runs of a check took in a repository (success or failure,
   * newest first, at most `SAVING_SAMPLE`): what a cancelled run of it would have taken.
   */
  async recentDurations(repoId: number | null, key: string): Promise<number[]> {
    if (repoId === null) return [];
    const rows = await this.db.all<{ ms: number }>(
      `SELECT finished_at - started_at AS ms FROM jobs
       WHERE repo_id = ? AND key = ? AND started_at IS NOT NULL AND state IN ('success', 'failure') ORDER BY finished_at DESC LIMIT ?`,
      [repoId, key, SAVING_SAMPLE],
    );
    return rows.map((r) => r.ms);
  }

  /**
   * Note, before calling the backend, that a submission may reach it (see `submitJob`).
   * The time noted, or null when the job moved on or another run noted one since the caller read `seen`.
   */
  async markSubmitAttempted(jobId: number, seen = 0): Promise<number | null> {
    const at = this.now();
    // Compare-and-set: of two runs of one submission (a lease expired under a live worker), one submits.
    const claimed = await this.db.run(
      "UPDATE jobs SET submit_attempted = ?, submit_answered = 0 WHERE id = ? AND state = 'pending' AND submit_attempted = ?",
      [at, jobId, seen],
    );
    return claimed === 1 ? at : null;
  }

  /** The backend answered the submission noted at `attemptedAt` (with an error): nothing of it can still arrive. */
  async markSubmitAnswered(jobId: number, attemptedAt: number): Promise<void> {
    await this.db.run("UPDATE jobs SET submit_answered = 1 WHERE id = ? AND submit_attempted = ? AND external_id IS NULL", [
      jobId,
      attemptedAt,
    ]);
  }

  /** A finished job owns the backend work its cut-short submission made after all (found by its token). */
  async adoptSubmission(jobId: number, externalId: string, url: string | null): Promise<boolean> {
    return (
      (await this.db.run("UPDATE jobs SET external_id = ?, url = COALESCE(url, ?) WHERE id = ? AND external_id IS NULL", [
        externalId,
        url,
        jobId,
      ])) === 1
    );
  }

  /** Nothing reached the backend: the intent is settled (never made). */
  async settleIntent(jobId: number): Promise<void> {
    await this.db.run("UPDATE jobs SET submit_attempted = 0 WHERE id = ? AND external_id IS NULL", [jobId]);
  }

  /** Store the backend id of a submission before anything else happens, so a crash cannot lose it. */
  async recordSubmission(jobId: number, externalId: string, url: string | null): Promise<JobRow | undefined> {
    return this.transition(jobId, "submitted", { externalId, url });
  }
}
