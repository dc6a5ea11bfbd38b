import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { ApprovalStore } from "../../../src/approval/store.js";
import { AuditLog } from "../../../src/audit/index.js";
import { CheckRunStore } from "../../../src/checks/store.js";
import { withLease } from "../../../src/db/locks.js";
import type { Db, SqlValue } from "../../../src/db/types.js";
import { InstallationStore } from "../../../src/installations/store.js";
import { ConfigCache } from "../../../src/packit-config/cache.js";
import { PipelineStore } from "../../../src/pipeline/store.js";
import { TaskStore } from "../../../src/queue/index.js";
import { DeliveryLog } from "../../../src/webhooks/deliveries.js";
import { sqliteOf, tempDatabase, type TempDatabase } from "../../support/db.js";

/** Tables that grow with use: no hot query may read one of them from end to end. */
const GROWING = [
  "tasks",
  "task_keys",
  "jobs",
  "pipelines",
  "check_runs",
  "deliveries",
  "audit",
  "config_state",
  "repositories",
  "installations",
];

/** Statements that read a whole table by design, and why. */
const WHOLE_TABLE_BY_DESIGN = new Map([
  [
    "SELECT id, account_login, created_at, suspended_at FROM installations WHERE deleted_at IS NULL ORDER BY id",
    "the daily sweep visits every live installation",
  ],
  [
    "DELETE FROM task_keys WHERE head_id IS NULL AND NOT EXISTS ( SELECT 1 FROM tasks t WHERE t.queue = task_keys.queue AND t.fairness_key = task_keys.fairness_key AND t.status = 'todo')",
    "reads only idle keys (a partial index), the rows it deletes",
  ],
]);

/**
 * Partial indexes that hold only rows still in play (unfinished jobs, open heads,
 * queued or running tasks, pending check-run writes): their size follows the live
 * work, not the history, so any search of them is bounded.
 */
const LIVE_ROWS = new Set([
  "jobs_unfinished",
  "jobs_unfinished_repo",
  "jobs_unresolved_intents",
  "pipelines_open_pr",
  "pipelines_open_branch",
  "check_runs_pending",
  "tasks_lock",
  "tasks_leases",
  "tasks_due",
  "tasks_promote",
  "tasks_ready",
  "task_keys_claim",
  "task_keys_idle",
  "pr_approvals_waiting",
]);

/** Columns whose value picks a handful of rows however old the database (an id, a commit, a token, a lock). */
const KEYS = new Set([
  "rowid",
  "id",
  "job_id",
  "pipeline_id",
  "depends_on",
  "rerun_of",
  "superseded_by",
  "head_sha",
  "before_sha",
  "external_id",
  "github_id",
  "token",
  "lock_key",
  "name",
  "fairness_key",
]);

/**
 * Searches of a growing table through an index range that is not a key, and why the
 * range read stays small (statements are matched by their start).
 */
const BOUNDED_BY_DESIGN: [string, string][] = [
  [
    "SELECT 1 AS x FROM pipelines WHERE repo_id = ? AND created_at >= ? AND id < ? LIMIT 1",
    "LIMIT 1 in index order: the oldest pipeline of the window is earlier than the new one",
  ],
  [
    "SELECT finished_at - started_at AS ms FROM jobs WHERE repo_id = ? AND key = ?",
    "LIMIT SAVING_SAMPLE in index order (finished_at DESC), nothing filtered after the index",
  ],
  [
    "SELECT j.* FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id WHERE j.repo_id = ? AND j.type = 'copr_build'",
    "scan submissions only (not the delivery path): newest first, LIMIT 1, until a build of the branch",
  ],
  [
    "SELECT r.id AS repo_id, r.owner, r.name, r.default_branch, c.state, c.checked_at FROM repositories r",
    "the daily sweep visits every repository of an installation",
  ],
  ["DELETE FROM deliveries WHERE received_at < ?", "retention: reads the rows it deletes"],
  [
    "DELETE FROM tasks WHERE status IN ('succeeded','failed','cancelled','aborted') AND finished_at < ?",
    "retention: reads the rows it deletes",
  ],
  ["DELETE FROM audit WHERE at < ?", "retention: reads the rows it deletes"],
  ["SELECT p.id FROM pipelines p WHERE p.created_at < ?", "retention: reads the pipelines old enough to go, a batch at a time"],
];

/** Statements that sort in a temporary B-tree, and why what they sort is small. */
const SORTS_BOUNDED: [string, string][] = [
  ["SELECT p.id, p.head_sha, p.before_sha, p.created_at, p.event_at FROM pipelines p", "the line's open heads, unfinished jobs and twins"],
  ["SELECT j.* FROM pipelines p JOIN jobs j ON j.pipeline_id = p.id WHERE p.repo_id = ? AND p.head_sha = ?", "the jobs of one head"],
  ["SELECT c.id, c.installation_id,", "an installation's pending check-run writes, LIMIT a batch"],
];

const byDesign = (list: [string, string][], sql: string) => list.some(([start]) => sql.startsWith(start));

/** Record every statement a store runs (with its parameters), to explain them afterwards. */
function recording(db: Db): { db: Db; seen: Map<string, readonly SqlValue[]> } {
  const seen = new Map<string, readonly SqlValue[]>();
  const note = (sql: string, params: readonly SqlValue[] = []) => void (seen.has(sql) || seen.set(sql, params));
  const wrapped = Object.create(db) as Db;
  wrapped.all = (sql, params) => (note(sql, params), db.all(sql, params));
  wrapped.get = (sql, params) => (note(sql, params), db.get(sql, params));
  wrapped.run = (sql, params) => (note(sql, params), db.run(sql, params));
  wrapped.tx = (fn) => db.tx(fn);
  return { db: wrapped, seen };
}

/**
 * What in SQLite's plan of a statement reads a growing table beyond a bounded set: a
 * scan ("SCAN jobs", also "SCAN j USING COVERING INDEX …": still every row; of a
 * live-rows index, every live row, which is fine), a search
 * of an index range that is neither a key nor live rows only (e.g. every job of a
 * repository), or a temporary B-tree sorting what it read.
 */
function offences(raw: ReturnType<typeof sqliteOf>, sql: string, params: readonly SqlValue[]): string[] {
  const shown = sql.replace(/\s+/g, " ").trim();
  if (WHOLE_TABLE_BY_DESIGN.has(shown)) return [];
  const plan = raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
  const indexes = raw.prepare("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index'").all() as {
    name: string;
    tbl_name: string;
    sql: string | null;
  }[];
  // Plans name a table by its alias ("SEARCH j USING …").
  const tables = new Map(GROWING.map((t) => [t, t]));
  for (const m of shown.matchAll(/\b(?:FROM|JOIN|UPDATE)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?/gi)) {
    if (m[2] && GROWING.includes(m[1]!) && !/^(WHERE|JOIN|ON|SET|LEFT|ORDER|GROUP|LIMIT|INDEXED|NOT|USING)$/i.test(m[2]))
      tables.set(m[2], m[1]!);
  }
  const found: string[] = [];
  for (const { detail } of plan) {
    if (/^USE TEMP B-TREE/.test(detail)) {
      if (!byDesign(SORTS_BOUNDED, shown)) found.push(detail);
      continue;
    }
    const m = /^(SCAN|SEARCH) (\w+)(?: USING (?:COVERING )?(?:INDEX (\w+)|INTEGER PRIMARY KEY|PRIMARY KEY))?(?: \((.*)\))?/.exec(detail);
    if (!m || !tables.has(m[2]!)) continue;
    const [, how, , index, constraints] = m;
    // Reading every row of a live-rows index is reading the live work (at start, a resume).
    if (how === "SCAN") {
      if (!index || !LIVE_ROWS.has(index)) found.push(detail);
      continue;
    }
    // No constraint: MIN()/MAX() read one end of the index.
    if (!constraints || !index || LIVE_ROWS.has(index)) continue;
    const keyed = [...constraints.matchAll(/(\w+)=\?/g)].some((c) => KEYS.has(c[1]!));
    const unique = indexes.some((i) => i.name === index && (i.sql === null || /^CREATE UNIQUE/i.test(i.sql)));
    if (!keyed && !unique && !byDesign(BOUNDED_BY_DESIGN, shown)) found.push(detail);
  }
  return found;
}

/** Run every hot query once through the stores; returns each distinct statement with the parameters it ran with. */
async function hotQueries(base: Db): Promise<Map<string, readonly SqlValue[]>> {
  const { db, seen } = recording(base);
  let now = 1_700_000_000_000;
  const clock = () => now;
  const pipelines = new PipelineStore(db, clock);
  const tasks = new TaskStore<{ work: { n: number } }>(db, { now: clock });
  const checks = new CheckRunStore(db, clock);
  const cache = new ConfigCache(db, clock);
  const deliveries = new DeliveryLog(db, clock);
  const audit = new AuditLog(db, clock);
  const installations = new InstallationStore({ db, pipelines, now: clock });
  const approvals = new ApprovalStore(db, clock);

  // Delivery record and dedupe.
  await deliveries.record("d1", "push");
  await deliveries.record("d1", "push");
  await deliveries.outcomeHeld("d1");
  await deliveries.finish("d1", "handled");
  await deliveries.outcome("d1");
  // A repository, its config, and a line of pipelines (PR and branch).
  const repo = await pipelines.ensureRepo({
    id: 7,
    installationId: 1,
    owner: "acme",
    name: "widget",
    nodeId: "R_7",
    defaultBranch: "main",
  });
  await cache.put(repo.id, "main", { state: "present", path: ".packit.yaml", blobSha: "b", text: "jobs: []" });
  await cache.get(repo.id, "main");
  const job = {
    key: "rpm-build:f",
    type: "copr_build",
    backend: "copr" as const,
    target: "f",
    options: {},
    manualTrigger: false,
    cancelSuperseded: true,
  };
  const first = await pipelines.createPipeline(
    { repoId: repo.id, installationId: 1, trigger: "pull_request", prNumber: 1, branch: "main", headSha: "a" },
    [job, { ...job, key: "tests:f", type: "tests", after: "rpm-build:f" }],
  );
  await pipelines.previousHeads({ repoId: repo.id, trigger: "pull_request", prNumber: 1 }, "b", { exempt: false });
  await pipelines.previousHeads({ repoId: repo.id, trigger: "push", branch: "main" }, "b", { exempt: false });
  await pipelines.previousHeads({ repoId: repo.id, trigger: "push", branch: "main" }, "b", { exempt: true });
  await pipelines.markSuperseded(first.pipeline.id, first.pipeline.id);
  await pipelines.jobsOfPipeline(first.pipeline.id);
  await pipelines.unfinishedJobsOfRepo(repo.id, 21);
  await pipelines.activeSince(repo.id, first.pipeline.id, now - 1000);
  await pipelines.unfinishedJobsOfPr(repo.id, 1);
  await pipelines.jobsOfPrHead(repo.id, 1, "a");
  await pipelines.dependants(first.jobs[0]!.id);
  await approvals.installation(1);
  await pipelines.jobInContext(first.jobs[0]!.id);
  await pipelines.markSubmitAttempted(first.jobs[0]!.id);
  await pipelines.transition(first.jobs[0]!.id, "submitted", { externalId: "55" });
  await pipelines.transition(first.jobs[0]!.id, "running", { message: "building" });
  await pipelines.transition(first.jobs[0]!.id, "success", { url: "u", message: "built", artifacts: {} });
  // A superseded job's cancel estimates the time it saved from the check's recent durations.
  await pipelines.transition(first.jobs[1]!.id, "cancelled", { cancelReason: "Superseded", message: "m" });
  await pipelines.jobEvents(first.jobs[0]!.id);
  await pipelines.unresolvedIntents();
  await pipelines.jobByExternalId("copr", "55");
  await pipelines.latestBranchBuild(repo.id, "main", "f");
  // Check runs: record, the flush's reads and writes.
  await checks.record({
    installationId: 1,
    repoId: repo.id,
    headSha: "a",
    name: "rpm-build:f",
    jobId: first.jobs[0]!.id,
    state: { status: "queued", title: "q", summary: "s", actions: [], externalId: "x" } as never,
  });
  await checks.record({
    installationId: 1,
    repoId: repo.id,
    headSha: "a",
    name: "config",
    state: { status: "completed", conclusion: "failure", title: "t", summary: "s", actions: [] },
  });
  await checks.installationsWithPending();
  await checks.byJob(first.jobs[0]!.id);
  const pending = await checks.pending(1, 10);
  await checks.markCreateSent(pending.map((p) => p.id));
  await checks.markSent(pending[0]!.id, pending[0]!.desired_version, { id: 99, nodeId: "CR_99" });
  await checks.markFailed(pending[0]!.id, "boom", now + 1000);
  await checks.nextAttemptAt(1);
  await checks.byGithubId(99);
  // The queue: enqueue, claim, heartbeat, finish, retry, cancel, leases.
  const a = await tasks.enqueue("work", { n: 1 }, { fairnessKey: "acme/widget", lockKey: "poll:1" });
  await tasks.enqueue("work", { n: 2 }, { fairnessKey: "acme/widget", runAt: now + 10 });
  await tasks.enqueueMany([{ name: "work", payload: { n: 3 }, fairnessKey: "other" }]);
  const claimed = await tasks.claim("w", ["default"], 1000);
  await tasks.heartbeat("w", [claimed!.id], 1000);
  await tasks.finish(claimed!.id, "w", { status: "failed", error: "x", retryAt: now + 5 });
  now += 20;
  const again = await tasks.claim("w", ["default"], 1000);
  await tasks.finish(again!.id, "w", { status: "succeeded" });
  await tasks.nextDueAt(["default"]);
  await tasks.advanceByLockKey("poll:1", now);
  await tasks.cancelByLockKey("poll:1");
  await tasks.cancel(a);
  await tasks.recoverExpired();
  await withLease(db, "flush-checks:1", 1000, () => Promise.resolve(), clock);
  // The maintenance sweep's reads, and retention.
  await installations.live();
  await cache.statesOfInstallation(1);
  await deliveries.prune(now);
  await tasks.prune(now);
  await audit.add({ actor: "t", action: "cancel.cli", detail: {} });
  await audit.prune(now - 1);
  await pipelines.pruneFinished(now + 1);

  return seen;
}

describe("hot queries use an index", () => {
  let t: TempDatabase;
  afterEach(() => t.cleanup());

  it("SQLite (EXPLAIN QUERY PLAN): the delivery, pipeline, supersede, claim, check-run, config-cache, sweep and retention queries read no growing table beyond a bounded set", async () => {
    t = await tempDatabase("sqlite");
    const seen = await hotQueries(t.db);
    const raw = sqliteOf(t.db);
    const offenders = [...seen]
      .map(([sql, params]) => ({ sql: sql.replace(/\s+/g, " ").trim(), reads: offences(raw, sql, params) }))
      .filter((q) => q.reads.length > 0);
    expect(offenders).toEqual([]);
    // The test looked at what it meant to: every kind of hot statement ran.
    expect(seen.size).toBeGreaterThan(50);
  });

  it("PostgreSQL (EXPLAIN with sequential scans disabled): the same queries can all be answered from an index", async () => {
    t = await tempDatabase("postgres");
    const seen = await hotQueries(t.db);
    const client = new pg.Client({ connectionString: t.url });
    await client.connect();
    try {
      // Off, the planner still picks a sequential scan where no index can serve: exactly what this looks for.
      await client.query("SET enable_seqscan = off");
      const offenders: { sql: string; scans: string[] }[] = [];
      for (const [sql, params] of seen) {
        const shown = sql.replace(/\s+/g, " ").trim();
        if (WHOLE_TABLE_BY_DESIGN.has(shown)) continue;
        let n = 0;
        const plan = await client.query<{ "QUERY PLAN": string }>({
          text: `EXPLAIN ${sql.replace(/\?/g, () => `$${++n}`)}`,
          values: params as SqlValue[],
        });
        const seq = plan.rows.map((r) => r["QUERY PLAN"]).filter((l) => GROWING.some((g) => new RegExp(`Seq Scan on ${g}\\b`).test(l)));
        if (seq.length > 0) offenders.push({ sql: shown, scans: seq.map((l) => l.trim()) });
      }
      expect(offenders).toEqual([]);
      expect(seen.size).toBeGreaterThan(50);
    } finally {
      await client.end();
    }
  });
});
