import { randomUUID } from "node:crypto";
import type { Db } from "../db/open.js";
import type { BackendName } from "../backends/types.js";
import { isFinal, type JobState } from "./job-state.js";

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
}

export interface JobRow {
  id: number;
  token: string;
  pipeline_id: number;
  key: string;
  type: string;
  backend: BackendName;
  target: string;
  depends_on: number | null;
  state: JobState;
  submit_attempted: number;
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
}

/** A job with the pipeline and repository it belongs to: what handlers usually need. */
export interface JobInContext {
  job: JobRow;
  pipeline: PipelineRow;
  repo: RepoRow;
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
}

/** Typed queries over installations, repositories, pipelines and jobs. */
export class PipelineStore {
  private readonly sql;
  constructor(readonly db: Db, private readonly now: () => number = Date.now) {
    this.sql = {
      upsertInstallation: db.prepare(
        `INSERT INTO installations (id, account_login, account_type, created_at, updated_at)
         VALUES (@id, @login, @type, @createdAt, @now)
         ON CONFLICT(id) DO UPDATE SET account_login = excluded.account_login, account_type = excluded.account_type,
           deleted_at = NULL, updated_at = excluded.updated_at`,
      ),
      upsertRepo: db.prepare(
        `INSERT INTO repositories (id, installation_id, owner, name, node_id, default_branch, clone_url, added_at)
         VALUES (@id, @installationId, @owner, @name, @nodeId, @defaultBranch, @cloneUrl, @now)
         ON CONFLICT(id) DO UPDATE SET installation_id = excluded.installation_id, owner = excluded.owner, name = excluded.name,
           node_id = COALESCE(excluded.node_id, node_id), default_branch = COALESCE(excluded.default_branch, default_branch),
           clone_url = COALESCE(excluded.clone_url, clone_url), removed_at = NULL`,
      ),
      repo: db.prepare("SELECT * FROM repositories WHERE id = ?"),
      repoByName: db.prepare("SELECT * FROM repositories WHERE owner = ? AND name = ? ORDER BY removed_at IS NOT NULL, added_at DESC LIMIT 1"),
      retireNamesake: db.prepare("UPDATE repositories SET removed_at = ? WHERE owner = ? AND name = ? AND id != ? AND removed_at IS NULL"),
      insertPipeline: db.prepare(
        `INSERT INTO pipelines (repo_id, installation_id, trigger, pr_number, branch, head_sha, before_sha, source_clone_url, delivery_id, created_at)
         VALUES (@repoId, @installationId, @trigger, @prNumber, @branch, @headSha, @beforeSha, @sourceCloneUrl, @deliveryId, @now)`,
      ),
      pipeline: db.prepare("SELECT * FROM pipelines WHERE id = ?"),
      insertJob: db.prepare(
        `INSERT INTO jobs (token, pipeline_id, key, type, backend, target, depends_on, state, options, manual_trigger,
           cancel_superseded, created_at, updated_at)
         VALUES (@token, @pipelineId, @key, @type, @backend, @target, @dependsOn, @state, @options, @manualTrigger,
           @cancelSuperseded, @now, @now)`,
      ),
      job: db.prepare("SELECT * FROM jobs WHERE id = ?"),
      jobsOfPipeline: db.prepare("SELECT * FROM jobs WHERE pipeline_id = ? ORDER BY id"),
      byExternalId: db.prepare("SELECT * FROM jobs WHERE backend = ? AND external_id = ? ORDER BY id DESC LIMIT 1"),
      dependants: db.prepare("SELECT * FROM jobs WHERE depends_on = ? ORDER BY id"),
      unfinishedOfPr: db.prepare(
        `SELECT j.* FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id
         WHERE p.repo_id = ? AND p.pr_number = ? AND j.finished_at IS NULL ORDER BY j.id`,
      ),
      jobsOfPrHead: db.prepare(
        `SELECT j.* FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id
         WHERE p.repo_id = ? AND p.pr_number = ? AND p.head_sha = ? ORDER BY j.id`,
      ),
      latestBranchBuild: db.prepare(
        `SELECT j.* FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id
         WHERE p.repo_id = ? AND p.trigger = 'push' AND p.branch = ? AND j.type = 'copr_build' AND j.target = ? AND j.state = 'success'
         ORDER BY j.finished_at DESC LIMIT 1`,
      ),
      pipelinesOfPr: db.prepare("SELECT * FROM pipelines WHERE repo_id = ? AND pr_number = ? ORDER BY id"),
      pipelinesOfBranch: db.prepare(
        "SELECT * FROM pipelines WHERE repo_id = ? AND branch = ? AND trigger = ? AND pr_number IS NULL ORDER BY id",
      ),
      unfinishedOfRepo: db.prepare(
        "SELECT COUNT(*) AS n FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id WHERE p.repo_id = ? AND j.finished_at IS NULL",
      ),
      activeSince: db.prepare("SELECT 1 FROM pipelines WHERE repo_id = ? AND id < ? AND created_at >= ? LIMIT 1"),
      markSubmitAttempted: db.prepare("UPDATE jobs SET submit_attempted = ? WHERE id = ?"),
      markSuperseded: db.prepare("UPDATE pipelines SET superseded_by = ? WHERE id = ? AND superseded_by IS NULL"),
    };
  }

  upsertInstallation(i: { id: number; login: string; type?: string; createdAt?: number }): void {
    const now = this.now();
    this.sql.upsertInstallation.run({ id: i.id, login: i.login, type: i.type ?? "User", createdAt: i.createdAt ?? now, now });
  }

  upsertRepo(r: { id: number; installationId: number; owner: string; name: string; nodeId?: string | null; defaultBranch?: string | null; cloneUrl?: string | null }): RepoRow {
    // Another repository that had this name (deleted and re-created, or renamed away) no longer has it.
    this.sql.retireNamesake.run(this.now(), r.owner, r.name, r.id);
    this.sql.upsertRepo.run({
      id: r.id,
      installationId: r.installationId,
      owner: r.owner,
      name: r.name,
      nodeId: r.nodeId ?? null,
      defaultBranch: r.defaultBranch ?? null,
      cloneUrl: r.cloneUrl ?? null,
      now: this.now(),
    });
    return this.repo(r.id)!;
  }

  /**
   * The repository of an event, written only when new or changed (an event from an
   * unconfigured repository should cost a read, not a write). A new repository's
   * installation is recorded too.
   */
  ensureRepo(r: { id: number; installationId: number; owner: string; name: string; nodeId?: string | null; defaultBranch?: string | null; cloneUrl?: string | null }): RepoRow {
    const known = this.repo(r.id);
    const same =
      known &&
      known.installation_id === r.installationId &&
      known.owner === r.owner &&
      known.name === r.name &&
      (r.nodeId == null || known.node_id === r.nodeId) &&
      (r.defaultBranch == null || known.default_branch === r.defaultBranch) &&
      (r.cloneUrl == null || known.clone_url === r.cloneUrl);
    if (same) return known;
    if (!known) this.upsertInstallation({ id: r.installationId, login: r.owner });
    return this.upsertRepo(r);
  }

  repo(id: number): RepoRow | undefined {
    return this.sql.repo.get(id) as RepoRow | undefined;
  }

  repoByName(owner: string, name: string): RepoRow | undefined {
    return this.sql.repoByName.get(owner, name) as RepoRow | undefined;
  }

  /** Create a pipeline and its jobs in one transaction; dependencies are resolved by key. */
  createPipeline(
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
    },
    jobs: readonly NewJob[],
  ): { pipeline: PipelineRow; jobs: JobRow[] } {
    return this.db.transaction(() => {
      const now = this.now();
      const id = Number(
        this.sql.insertPipeline.run({
          repoId: p.repoId,
          installationId: p.installationId,
          trigger: p.trigger,
          prNumber: p.prNumber ?? null,
          branch: p.branch ?? null,
          headSha: p.headSha,
          beforeSha: p.beforeSha ?? null,
          sourceCloneUrl: p.sourceCloneUrl ?? null,
          deliveryId: p.deliveryId ?? null,
          now,
        }).lastInsertRowid,
      );
      const idByKey = new Map<string, number>();
      // Dependencies first: the planner orders jobs so, but do not rely on it.
      const ordered = [...jobs].sort((a, b) => Number(Boolean(a.after)) - Number(Boolean(b.after)));
      for (const j of ordered) {
        const jobId = Number(
          this.sql.insertJob.run({
            token: randomUUID(),
            pipelineId: id,
            key: j.key,
            type: j.type,
            backend: j.backend,
            target: j.target,
            dependsOn: j.after ? (idByKey.get(j.after) ?? null) : (j.dependsOnJobId ?? null),
            state: "pending",
            options: JSON.stringify(j.options),
            manualTrigger: j.manualTrigger ? 1 : 0,
            cancelSuperseded: j.cancelSuperseded ? 1 : 0,
            now,
          }).lastInsertRowid,
        );
        idByKey.set(j.key, jobId);
      }
      return { pipeline: this.pipeline(id)!, jobs: this.jobsOfPipeline(id) };
    })();
  }

  pipeline(id: number): PipelineRow | undefined {
    return this.sql.pipeline.get(id) as PipelineRow | undefined;
  }

  job(id: number): JobRow | undefined {
    return this.sql.job.get(id) as JobRow | undefined;
  }

  /** A job with its pipeline and repository, or undefined when any is gone. */
  jobInContext(id: number): JobInContext | undefined {
    const job = this.job(id);
    const pipeline = job && this.pipeline(job.pipeline_id);
    const repo = pipeline && this.repo(pipeline.repo_id);
    return job && pipeline && repo ? { job, pipeline, repo } : undefined;
  }

  jobsOfPipeline(pipelineId: number): JobRow[] {
    return this.sql.jobsOfPipeline.all(pipelineId) as JobRow[];
  }

  /** The job a backend knows as `externalId` (the newest, should a re-run reuse it). */
  jobByExternalId(backend: BackendName, externalId: string): JobRow | undefined {
    return this.sql.byExternalId.get(backend, externalId) as JobRow | undefined;
  }

  dependants(jobId: number): JobRow[] {
    return this.sql.dependants.all(jobId) as JobRow[];
  }

  unfinishedJobsOfPr(repoId: number, prNumber: number): JobRow[] {
    return this.sql.unfinishedOfPr.all(repoId, prNumber) as JobRow[];
  }

  /** Every job run for a pull request's head (automatic, re-runs and commands), oldest first. */
  jobsOfPrHead(repoId: number, prNumber: number, headSha: string): JobRow[] {
    return this.sql.jobsOfPrHead.all(repoId, prNumber, headSha) as JobRow[];
  }

  /** The newest successful Copr build of a branch for a chroot (the base of a differential scan). */
  latestBranchBuild(repoId: number, branch: string, target: string): JobRow | undefined {
    return this.sql.latestBranchBuild.get(repoId, branch, target) as JobRow | undefined;
  }

  /** Earlier pipelines of the same PR, or of the same branch and trigger for pushes, oldest first. */
  pipelinesOfSameLine(p: { repoId: number; trigger: Trigger; prNumber?: number | null; branch?: string | null }): PipelineRow[] {
    if (p.prNumber) return this.sql.pipelinesOfPr.all(p.repoId, p.prNumber) as PipelineRow[];
    if (p.branch) return this.sql.pipelinesOfBranch.all(p.repoId, p.branch, p.trigger) as PipelineRow[];
    return [];
  }

  /** Unfinished jobs of a repository (the priority function's "busy project" input). */
  unfinishedJobsOfRepo(repoId: number): number {
    return (this.sql.unfinishedOfRepo.get(repoId) as { n: number }).n;
  }

  /** Whether the repository had a pipeline before `pipelineId`, created since `since`. */
  activeSince(repoId: number, pipelineId: number, since: number): boolean {
    return this.sql.activeSince.get(repoId, pipelineId, since) !== undefined;
  }

  markSuperseded(pipelineId: number, by: number): void {
    this.sql.markSuperseded.run(by, pipelineId);
  }

  /**
   * Move a job to `state` unless it is already final (final states never change).
   * Returns the updated row, or undefined when the transition was refused.
   */
  transition(
    jobId: number,
    state: JobState,
    fields: { externalId?: string; url?: string | null; message?: string | null; artifacts?: Record<string, unknown>; cancelReason?: string; ignoreResult?: boolean } = {},
  ): JobRow | undefined {
    const current = this.job(jobId);
    if (!current || isFinal(current.state)) return undefined;
    const now = this.now();
    const sets = ["state = @state", "updated_at = @now"];
    const params: Record<string, unknown> = { id: jobId, state, now };
    if (isFinal(state)) sets.push("finished_at = @now");
    if (fields.externalId !== undefined) (sets.push("external_id = @externalId"), (params.externalId = fields.externalId));
    if (fields.url !== undefined) (sets.push("url = @url"), (params.url = fields.url));
    if (fields.message !== undefined) (sets.push("message = @message"), (params.message = fields.message));
    if (fields.artifacts !== undefined) (sets.push("artifacts = @artifacts"), (params.artifacts = JSON.stringify(fields.artifacts)));
    if (fields.cancelReason !== undefined) (sets.push("cancel_reason = @cancelReason"), (params.cancelReason = fields.cancelReason));
    if (fields.ignoreResult) sets.push("ignore_result = 1");
    // The state guard makes the check-and-set atomic against another worker.
    const res = this.db
      .prepare(`UPDATE jobs SET ${sets.join(", ")} WHERE id = @id AND finished_at IS NULL AND state = @from`)
      .run({ ...params, from: current.state });
    return res.changes === 1 ? this.job(jobId) : undefined;
  }

  /** Note, before calling the backend, that a submission may reach it (see `submitJob`). */
  markSubmitAttempted(jobId: number): void {
    this.sql.markSubmitAttempted.run(this.now(), jobId);
  }

  /** Store the backend id of a submission before anything else happens, so a crash cannot lose it. */
  recordSubmission(jobId: number, externalId: string, url: string | null): JobRow | undefined {
    return this.transition(jobId, "submitted", { externalId, url });
  }
}
