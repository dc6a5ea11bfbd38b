import { randomUUID } from "node:crypto";
import { idIn, idList } from "../db/types.js";
import { JobTransitions } from "./job-transitions.js";
import type { JobRow, Line, LinePipeline, NewJob, PipelineRow, RepoFacts, RepoRow, Trigger } from "./rows.js";

export type * from "./rows.js";

/**
 * Typed queries over installations, repositories, pipelines and jobs: writes, the
 * previous-head (supersede) lookup and retention here; reads by id and relation in
 * `PipelineReads`, job transitions in `JobTransitions`.
 */
export class PipelineStore extends JobTransitions {
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

  /**
   * The earlier pipelines of a line that a new head `headSha` can concern, oldest
   * first: those not yet superseded and those with unfinished jobs not already being
   * cancelled (what a supersede may mark or cancel; none when the line is exempt), those that name `headSha`
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
          `SELECT ${cols} FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id WHERE j.repo_id = ? AND j.finished_at IS NULL AND j.state <> 'cancel_requested' AND p.pr_number = ?`,
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
          `SELECT ${cols} FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id WHERE j.repo_id = ? AND j.finished_at IS NULL AND j.state <> 'cancel_requested' AND ${sameBranch}`,
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
   * Retention: delete pipelines created before `before` whose jobs have all finished,
   * with their jobs, those jobs' check-run rows and history, and the job-less check
   * runs of heads no pipeline is left at, `batch` at a time. A pipeline one
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
        // Job-less check runs (invalid config, "not run") belong to a head: they go with its last pipeline.
        await this.db.run(
          `DELETE FROM check_runs WHERE job_id IS NULL AND (repo_id, head_sha) IN (
             SELECT p.repo_id, p.head_sha FROM pipelines p WHERE ${idIn(this.db, "p.id")}
               AND NOT EXISTS (SELECT 1 FROM pipelines k WHERE k.repo_id = p.repo_id AND k.head_sha = p.head_sha AND NOT ${idIn(this.db, "k.id")}))`,
          [list, list],
        );
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
