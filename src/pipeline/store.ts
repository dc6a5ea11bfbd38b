import { randomUUID } from "node:crypto";
import { idIn, idList, type Db } from "../db/types.js";
import type { BackendName } from "../backends/types.js";
import { canTransition, IllegalJobTransition, isFinal, type JobState } from "./job-state.js";
import { SAVING_SAMPLE, savingEstimate } from "../metrics/time-saved.js";

export type Trigger = "pull_request" | "push" | "release";

/** A repository as the app knows it. */
export interface RepoRow {
  id: number;
  installation_id: number;
  owner: string;
  name: string;
  node_id: string | null;
  default_branch: string | null;
  clone_url: string | null;
  /** 1 private, 0 public, null not known yet (shown only to those who can read it). */
  private: number | null;
}

export interface PipelineRow {
  id: number;
  repo_id: number;
  installation_id: number;
  trigger: Trigger;
  pr_number: number | null;
  branch: string | null;
  head_sha: string;
  before_sha: string | null;
  /** Where the head is cloned from when not the repository itself (a fork's pull request). */
  source_clone_url: string | null;
  delivery_id: string | null;
  created_at: number;
  superseded_by: number | null;
  /** GitHub's time of the event that made it (epoch ms; the order of heads when `before` does not link them). */
  event_at: number | null;
}

export interface JobRow {
  id: number;
  token: string;
  pipeline_id: number;
  /** The pipeline's repository (copied: the "busy project" count reads it without a join). */
  repo_id: number | null;
  key: string;
  type: string;
  backend: BackendName;
  target: string;
  depends_on: number | null;
  state: JobState;
  submit_attempted: number;
  /** 1: the backend answered the last sent submission (with an error), so none of it is still in flight. */
  submit_answered: number;
  external_id: string | null;
  url: string | null;
  message: string | null;
  artifacts: string | null;
  options: string;
  manual_trigger: number;
  cancel_superseded: number;
  cancel_reason: string | null;
  ignore_result: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  /** When it was first submitted to its backend. */
  started_at: number | null;
  /** The job this one runs again (a re-run). */
  rerun_of: number | null;
  /** Cancelled: the backend time it did not use, estimated (see `savingEstimate`); null when nothing went by. */
  saved_ms: number | null;
  saved_basis: string | null;
}

/** What an event tells about a repository; fields it lacks keep what is stored. */
export interface RepoFacts {
  id: number;
  installationId: number;
  owner: string;
  name: string;
  nodeId?: string | null;
  defaultBranch?: string | null;
  cloneUrl?: string | null;
  private?: boolean | null;
}

/** One state a job entered. */
export interface JobEvent {
  at: number;
  state: JobState;
  message: string | null;
}

/** A job with the pipeline and repository it belongs to: what handlers usually need. */
export interface JobInContext {
  job: JobRow;
  pipeline: PipelineRow;
  repo: RepoRow;
}

/** What the previous-head lookup reads of a pipeline: no more. */
export type LinePipeline = Pick<PipelineRow, "id" | "head_sha" | "before_sha" | "created_at" | "event_at">;

/** A PR (by number) or a branch and trigger: the line of heads one after another. */
export interface Line {
  repoId: number;
  trigger: Trigger;
  prNumber?: number | null;
  branch?: string | null;
}

export interface NewJob {
  key: string;
  type: string;
  backend: BackendName;
  target: string;
  /** Key of the job in the same pipeline this one waits for. */
  after?: string;
  /** A job of an earlier pipeline this one waits for (re-runs of tests after a build that succeeded). */
  dependsOnJobId?: number;
  options: Record<string, unknown>;
  manualTrigger: boolean;
  cancelSuperseded: boolean;
  /** The job this one runs again. */
  rerunOf?: number;
}

type Fields = {
  externalId?: string;
  url?: string | null;
  message?: string | null;
  artifacts?: Record<string, unknown>;
  cancelReason?: string;
  ignoreResult?: boolean;
  /** Only from this state (a claim: of two concurrent callers that saw it, one wins). Default: whatever it is now. */
  from?: JobState;
};

/** Typed queries over installations, repositories, pipelines and jobs. */
export class PipelineStore {
  constructor(
    readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async upsertInstallation(i: { id: number; login: string; type?: string; createdAt?: number }): Promise<void> {
    const now = this.now();
    await this.db.run(
      `INSERT INTO installations (id, account_login, account_type, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET account_login = excluded.account_login, account_type = excluded.account_type,
         deleted_at = NULL, updated_at = excluded.updated_at`,
      [i.id, i.login, i.type ?? "User", i.createdAt ?? now, now],
    );
  }

  async upsertRepo(r: RepoFacts): Promise<RepoRow> {
    return this.db.tx(async () => {
      // Another repository that had this name (deleted and re-created, or renamed away) no longer has it.
      await this.db.run("UPDATE repositories SET removed_at = ? WHERE owner = ? AND name = ? AND id != ? AND removed_at IS NULL", [
        this.now(),
        r.owner,
        r.name,
        r.id,
      ]);
      await this.db.run(
        `INSERT INTO repositories (id, installation_id, owner, name, node_id, default_branch, clone_url, private, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET installation_id = excluded.installation_id, owner = excluded.owner, name = excluded.name,
           node_id = COALESCE(excluded.node_id, repositories.node_id), default_branch = COALESCE(excluded.default_branch, repositories.default_branch),
           clone_url = COALESCE(excluded.clone_url, repositories.clone_url), private = COALESCE(excluded.private, repositories.private), removed_at = NULL`,
        [
          r.id,
          r.installationId,
          r.owner,
          r.name,
          r.nodeId ?? null,
          r.defaultBranch ?? null,
          r.cloneUrl ?? null,
          r.private == null ? null : Number(r.private),
          this.now(),
        ],
      );
      return (await this.repo(r.id))!;
    });
  }

  /**
   * The repository of an event, written only when new or changed (an event from an
   * unconfigured repository should cost a read, not a write). A new repository's
   * installation is recorded too.
   */
  async ensureRepo(r: RepoFacts): Promise<RepoRow> {
    const known = await this.repo(r.id);
    const same =
      known &&
      known.installation_id === r.installationId &&
      known.owner === r.owner &&
      known.name === r.name &&
      (r.nodeId == null || known.node_id === r.nodeId) &&
      (r.defaultBranch == null || known.default_branch === r.defaultBranch) &&
      (r.cloneUrl == null || known.clone_url === r.cloneUrl) &&
      (r.private == null || known.private === Number(r.private));
    if (same) return known;
    return this.db.tx(async () => {
      if (!known) await this.upsertInstallation({ id: r.installationId, login: r.owner });
      return this.upsertRepo(r);
    });
  }

  async repo(id: number): Promise<RepoRow | undefined> {
    return this.db.get<RepoRow>(
      "SELECT id, installation_id, owner, name, node_id, default_branch, clone_url, private FROM repositories WHERE id = ?",
      [id],
    );
  }

  async repoByName(owner: string, name: string): Promise<RepoRow | undefined> {
    return this.db.get<RepoRow>(
      `SELECT id, installation_id, owner, name, node_id, default_branch, clone_url, private FROM repositories
       WHERE owner = ? AND name = ? ORDER BY CASE WHEN removed_at IS NULL THEN 0 ELSE 1 END, added_at DESC LIMIT 1`,
      [owner, name],
    );
  }

  /** Create a pipeline and its jobs in one transaction; dependencies are resolved by key. */
  async createPipeline(
    p: {
      repoId: number;
      installationId: number;
      trigger: Trigger;
      prNumber?: number | null;
      branch?: string | null;
      headSha: string;
      beforeSha?: string | null;
      sourceCloneUrl?: string | null;
      deliveryId?: string | null;
      eventAt?: number | null;
    },
    jobs: readonly NewJob[],
  ): Promise<{ pipeline: PipelineRow; jobs: JobRow[] }> {
    return this.db.tx(async () => {
      const now = this.now();
      const pipeline = (await this.db.get<PipelineRow>(
        `INSERT INTO pipelines (repo_id, installation_id, trigger, pr_number, branch, head_sha, before_sha, source_clone_url, delivery_id, created_at, event_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [
          p.repoId,
          p.installationId,
          p.trigger,
          p.prNumber ?? null,
          p.branch ?? null,
          p.headSha,
          p.beforeSha ?? null,
          p.sourceCloneUrl ?? null,
          p.deliveryId ?? null,
          now,
          p.eventAt ?? null,
        ],
      ))!;
      const idByKey = new Map<string, number>();
      // Dependencies first: the planner orders jobs so, but do not rely on it.
      const ordered = [...jobs].sort((a, b) => Number(Boolean(a.after)) - Number(Boolean(b.after)));
      const created: JobRow[] = [];
      for (const j of ordered) {
        const row = (await this.db.get<JobRow>(
          `INSERT INTO jobs (token, pipeline_id, repo_id, key, type, backend, target, depends_on, state, options, manual_trigger, cancel_superseded, rerun_of, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?) RETURNING *`,
          [
            randomUUID(),
            pipeline.id,
            p.repoId,
            j.key,
            j.type,
            j.backend,
            j.target,
            j.after ? (idByKey.get(j.after) ?? null) : (j.dependsOnJobId ?? null),
            JSON.stringify(j.options),
            j.manualTrigger ? 1 : 0,
            j.cancelSuperseded ? 1 : 0,
            j.rerunOf ?? null,
            now,
            now,
          ],
        ))!;
        idByKey.set(j.key, row.id);
        created.push(row);
      }
      return { pipeline, jobs: created.sort((a, b) => a.id - b.id) };
    });
  }

  async pipeline(id: number): Promise<PipelineRow | undefined> {
    return this.db.get<PipelineRow>("SELECT * FROM pipelines WHERE id = ?", [id]);
  }

  async job(id: number): Promise<JobRow | undefined> {
    return this.db.get<JobRow>("SELECT * FROM jobs WHERE id = ?", [id]);
  }

  /** A job with its pipeline and repository, or undefined when any is gone. */
  async jobInContext(id: number): Promise<JobInContext | undefined> {
    const job = await this.job(id);
    const pipeline = job && (await this.pipeline(job.pipeline_id));
    const repo = pipeline && (await this.repo(pipeline.repo_id));
    return job && pipeline && repo ? { job, pipeline, repo } : undefined;
  }

  async jobsOfPipeline(pipelineId: number): Promise<JobRow[]> {
    return this.db.all<JobRow>("SELECT * FROM jobs WHERE pipeline_id = ? ORDER BY id", [pipelineId]);
  }

  /** The job a backend submission carries the token of. */
  async jobByToken(token: string): Promise<JobRow | undefined> {
    return this.db.get<JobRow>("SELECT * FROM jobs WHERE token = ?", [token]);
  }

  /** The job a backend knows as `externalId` (the newest, should a re-run reuse it). */
  async jobByExternalId(backend: BackendName, externalId: string): Promise<JobRow | undefined> {
    return this.db.get<JobRow>("SELECT * FROM jobs WHERE backend = ? AND external_id = ? ORDER BY id DESC LIMIT 1", [backend, externalId]);
  }

  async dependants(jobId: number): Promise<JobRow[]> {
    return this.db.all<JobRow>("SELECT * FROM jobs WHERE depends_on = ? ORDER BY id", [jobId]);
  }

  async unfinishedJobsOfPr(repoId: number, prNumber: number): Promise<JobRow[]> {
    return this.db.all<JobRow>(
      `SELECT j.* FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id
       WHERE j.repo_id = ? AND j.finished_at IS NULL AND p.pr_number = ? ORDER BY j.id`,
      [repoId, prNumber],
    );
  }

  /** Every job run for a pull request's head (automatic, re-runs and commands), oldest first. */
  async jobsOfPrHead(repoId: number, prNumber: number, headSha: string): Promise<JobRow[]> {
    return this.db.all<JobRow>(
      `SELECT j.* FROM pipelines p JOIN jobs j ON j.pipeline_id = p.id
       WHERE p.repo_id = ? AND p.head_sha = ? AND p.pr_number = ? ORDER BY j.id`,
      [repoId, headSha, prNumber],
    );
  }

  /** The newest job with this check name at a head, in any repository (the demo's narration). */
  async latestJobAtHead(headSha: string, key: string): Promise<JobRow | undefined> {
    return this.db.get<JobRow>(
      "SELECT j.* FROM pipelines p JOIN jobs j ON j.pipeline_id = p.id WHERE p.head_sha = ? AND j.key = ? ORDER BY j.id DESC LIMIT 1",
      [headSha, key],
    );
  }

  /** The newest successful Copr build of a branch for a chroot (the base of a differential scan). */
  async latestBranchBuild(repoId: number, branch: string, target: string): Promise<JobRow | undefined> {
    return this.db.get<JobRow>(
      `SELECT j.* FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id
       WHERE j.repo_id = ? AND j.type = 'copr_build' AND j.target = ? AND j.state = 'success' AND p.trigger = 'push' AND p.branch = ?
       ORDER BY j.finished_at DESC LIMIT 1`,
      [repoId, target, branch],
    );
  }

  /**
   * The earlier pipelines of a line that a new head `headSha` can concern, oldest
   * first: those not yet superseded and those with unfinished jobs (what a supersede
   * may mark or cancel; none when the line is exempt), those that name `headSha`
   * as their `before` (a late event), and those of `headSha` itself (an identical
   * delivery). Everything else of the line's history has been
   * dealt with, so the cost does not grow with it.
   */
  async previousHeads(line: Line, headSha: string, opts: { exempt: boolean }): Promise<LinePipeline[]> {
    const cols = "p.id, p.head_sha, p.before_sha, p.created_at, p.event_at";
    const parts: string[] = [];
    const params: (string | number)[] = [];
    const add = (sql: string, values: (string | number)[]) => (parts.push(sql), params.push(...values));
    if (line.prNumber) {
      if (!opts.exempt) {
        add(`SELECT ${cols} FROM pipelines p WHERE p.repo_id = ? AND p.pr_number = ? AND p.superseded_by IS NULL`, [
          line.repoId,
          line.prNumber,
        ]);
        add(
          `SELECT ${cols} FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id WHERE j.repo_id = ? AND j.finished_at IS NULL AND p.pr_number = ?`,
          [line.repoId, line.prNumber],
        );
      }
      add(`SELECT ${cols} FROM pipelines p WHERE p.repo_id = ? AND p.before_sha = ? AND p.pr_number = ?`, [
        line.repoId,
        headSha,
        line.prNumber,
      ]);
      add(`SELECT ${cols} FROM pipelines p WHERE p.repo_id = ? AND p.head_sha = ? AND p.pr_number = ?`, [
        line.repoId,
        headSha,
        line.prNumber,
      ]);
    } else if (line.branch) {
      const sameBranch = "p.branch = ? AND p.trigger = ? AND p.pr_number IS NULL";
      if (!opts.exempt) {
        add(`SELECT ${cols} FROM pipelines p WHERE p.repo_id = ? AND ${sameBranch} AND p.superseded_by IS NULL`, [
          line.repoId,
          line.branch,
          line.trigger,
        ]);
        add(
          `SELECT ${cols} FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id WHERE j.repo_id = ? AND j.finished_at IS NULL AND ${sameBranch}`,
          [line.repoId, line.branch, line.trigger],
        );
      }
      add(`SELECT ${cols} FROM pipelines p WHERE p.repo_id = ? AND p.before_sha = ? AND ${sameBranch}`, [
        line.repoId,
        headSha,
        line.branch,
        line.trigger,
      ]);
      add(`SELECT ${cols} FROM pipelines p WHERE p.repo_id = ? AND p.head_sha = ? AND ${sameBranch}`, [
        line.repoId,
        headSha,
        line.branch,
        line.trigger,
      ]);
    } else {
      return [];
    }
    return this.db.all<LinePipeline>(`${parts.join(" UNION ")} ORDER BY id`, params);
  }

  /**
   * Unfinished jobs of a repository, counted up to `upTo` (the priority function's
   * "busy project" input only asks whether there are more than its threshold: a
   * project with thousands queued costs no more than one with a few).
   */
  async unfinishedJobsOfRepo(repoId: number, upTo: number): Promise<number> {
    return (await this.db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM (SELECT 1 FROM jobs WHERE repo_id = ? AND finished_at IS NULL LIMIT ?) unfinished",
      [repoId, upTo],
    ))!.n;
  }

  /** Whether the repository had a pipeline before `pipelineId`, created since `since`. */
  async activeSince(repoId: number, pipelineId: number, since: number): Promise<boolean> {
    return (
      (await this.db.get("SELECT 1 AS x FROM pipelines WHERE repo_id = ? AND created_at >= ? AND id < ? LIMIT 1", [
        repoId,
        since,
        pipelineId,
      ])) !== undefined
    );
  }

  async markSuperseded(pipelineId: number, by: number): Promise<void> {
    await this.db.run("UPDATE pipelines SET superseded_by = ? WHERE id = ? AND superseded_by IS NULL", [by, pipelineId]);
  }

  /**
   * Move a job to `state` unless it is already final (final states never change).
   * Returns the updated row, or undefined when the job is final or no longer in
   * `fields.from`. A change `JOB_TRANSITIONS` forbids throws `IllegalJobTransition`.
   */
  async transition(jobId: number, state: JobState, fields: Fields = {}): Promise<JobRow | undefined> {
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

  /** Every state a job entered after it was planned, oldest first. */
  async jobEvents(jobId: number): Promise<JobEvent[]> {
    return this.db.all<JobEvent>("SELECT at, state, message FROM job_events WHERE job_id = ? ORDER BY id", [jobId]);
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

  /**
   * Jobs whose submission may have reached their backend with its id never stored
   * (`submit_attempted` set, no `external_id`): the intents to reconcile at start.
   */
  async unresolvedIntents(): Promise<Pick<JobRow, "id" | "state">[]> {
    return this.db.all("SELECT id, state FROM jobs WHERE submit_attempted > 0 AND external_id IS NULL ORDER BY id");
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

  /**
   * Retention: delete pipelines created before `before` whose jobs have all finished,
   * with their jobs and those jobs' check-run rows, `batch` at a time. A pipeline one
   * of whose jobs a younger job still depends on is kept. Returns how many went.
   */
  async pruneFinished(before: number, batch = 500): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.db.tx(async () => {
        const ids = (
          await this.db.all<{ id: number }>(
            `SELECT p.id FROM pipelines p WHERE p.created_at < ?
               AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.pipeline_id = p.id AND j.finished_at IS NULL)
               AND NOT EXISTS (SELECT 1 FROM jobs j JOIN jobs d ON d.depends_on = j.id JOIN pipelines dp ON dp.id = d.pipeline_id
                               WHERE j.pipeline_id = p.id AND dp.created_at >= ?)
             ORDER BY p.created_at LIMIT ?`,
            [before, before, batch],
          )
        ).map((r) => r.id);
        if (ids.length === 0) return 0;
        const list = idList(this.db, ids);
        const jobsIn = `SELECT id FROM jobs WHERE ${idIn(this.db, "pipeline_id")}`;
        await this.db.run(`DELETE FROM check_runs WHERE job_id IN (${jobsIn})`, [list]);
        await this.db.run(`DELETE FROM job_events WHERE job_id IN (${jobsIn})`, [list]);
        // Old dependants of pruned jobs (in pipelines pruned later) keep no dangling reference.
        await this.db.run(`UPDATE jobs SET depends_on = NULL WHERE depends_on IN (${jobsIn}) AND NOT ${idIn(this.db, "pipeline_id")}`, [
          list,
          list,
        ]);
        await this.db.run(
          `UPDATE pipelines SET superseded_by = NULL WHERE ${idIn(this.db, "superseded_by")} AND NOT ${idIn(this.db, "id")}`,
          [list, list],
        );
        await this.db.run(`DELETE FROM pr_approvals WHERE ${idIn(this.db, "pipeline_id")}`, [list]);
        await this.db.run(`DELETE FROM jobs WHERE ${idIn(this.db, "pipeline_id")}`, [list]);
        await this.db.run(`DELETE FROM pipelines WHERE ${idIn(this.db, "id")}`, [list]);
        return ids.length;
      });
      total += n;
      if (n < batch) return total;
    }
  }
}
