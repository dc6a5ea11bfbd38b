import type { Db } from "../db/types.js";
import type { BackendName } from "../backends/types.js";
import type { JobEvent, JobInContext, JobRow, PipelineRow, RepoRow } from "./rows.js";

/** Reads of repositories, pipelines and jobs by id or relation (the base of `PipelineStore`). */
export class PipelineReads {
  constructor(
    readonly db: Db,
    protected readonly now: () => number = Date.now,
  ) {}

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

  /** Every state a job entered after it was planned, oldest first. */
  async jobEvents(jobId: number): Promise<JobEvent[]> {
    return this.db.all<JobEvent>("SELECT at, state, message FROM job_events WHERE job_id = ? ORDER BY id", [jobId]);
  }

  /**
   * Jobs whose submission may have reached their backend with its id never stored
   * (`submit_attempted` set, no `external_id`): the intents to reconcile at start.
   */
  async unresolvedIntents(): Promise<Pick<JobRow, "id" | "state">[]> {
    return this.db.all("SELECT id, state FROM jobs WHERE submit_attempted > 0 AND external_id IS NULL ORDER BY id");
  }
}
