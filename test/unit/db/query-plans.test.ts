import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
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

/** The table scans in SQLite's plan of a statement ("SCAN jobs", also "SCAN jobs USING COVERING INDEX …": still every row). */
function scans(raw: ReturnType<typeof sqliteOf>, sql: string, params: readonly SqlValue[]): string[] {
  const plan = raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
  return plan.map((p) => p.detail).filter((d) => GROWING.some((t) => new RegExp(`^SCAN ${t}\\b`).test(d)));
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

  // Delivery record and dedupe.
  await deliveries.record("d1", "push");
  await deliveries.record("d1", "push");
  await deliveries.finish("d1", "handled");
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
  await pipelines.unfinishedJobsOfRepo(repo.id);
  await pipelines.activeSince(repo.id, first.pipeline.id, now - 1000);
  await pipelines.unfinishedJobsOfPr(repo.id, 1);
  await pipelines.jobsOfPrHead(repo.id, 1, "a");
  await pipelines.dependants(first.jobs[0]!.id);
  await pipelines.transition(first.jobs[0]!.id, "submitted", { externalId: "55" });
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

  it("SQLite (EXPLAIN QUERY PLAN): the delivery, pipeline, supersede, claim, check-run, config-cache, sweep and retention queries scan no growing table", async () => {
    t = await tempDatabase("sqlite");
    const seen = await hotQueries(t.db);
    const raw = sqliteOf(t.db);
    const offenders = [...seen]
      .map(([sql, params]) => ({ sql: sql.replace(/\s+/g, " ").trim(), scans: scans(raw, sql, params) }))
      .filter((q) => q.scans.length > 0 && !WHOLE_TABLE_BY_DESIGN.has(q.sql));
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
