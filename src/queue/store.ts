import { EventEmitter } from "node:events";
import type { Db } from "../db/open.js";
import { AlreadyEnqueued } from "./errors.js";
import type { CancelResult, EnqueueOptions, Task, TaskMap, TaskStatus } from "./types.js";

interface TaskRow {
  id: number;
  queue: string;
  name: string;
  payload: string;
  priority: number;
  fairness_key: string;
  lock_key: string | null;
  status: TaskStatus;
  attempts: number;
  max_attempts: number;
  scheduled_at: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  worker_id: string | null;
  lease_until: number | null;
  abort_requested: number;
  last_error: string | null;
}

function toTask<P>(r: TaskRow): Task<P> {
  return {
    id: r.id,
    queue: r.queue,
    name: r.name,
    payload: JSON.parse(r.payload) as P,
    priority: r.priority,
    fairnessKey: r.fairness_key,
    lockKey: r.lock_key,
    status: r.status,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    scheduledAt: r.scheduled_at,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    workerId: r.worker_id,
    leaseUntil: r.lease_until,
    abortRequested: r.abort_requested === 1,
    lastError: r.last_error,
  };
}

export interface StoreOptions {
  now?: () => number;
  /** A waiting task gains one priority point per this many ms, so low priorities still progress. */
  agingMs?: number;
  defaultMaxAttempts?: number;
}

export type EnqueueItem<M extends TaskMap, K extends keyof M & string = keyof M & string> = {
  name: K;
  payload: M[K];
} & EnqueueOptions;

/** How a claimed task ended, as the worker reports it. */
export type TaskOutcome =
  | { status: "succeeded" }
  | { status: "aborted"; error?: string }
  /** `retryAt` set: back to `todo` at that time; unset: final `failed`. */
  | { status: "failed"; error: string; retryAt?: number };

/**
 * The task store owns every state transition of a task:
 * todo → doing → succeeded | failed | aborted, todo → cancelled, doing → todo (retry, release,
 * expired lease). It emits "enqueued" (queue name) and "abort" (task id) so in-process
 * workers react at once; other processes see the same changes by polling.
 */
export class TaskStore<M extends TaskMap = TaskMap> extends EventEmitter {
  readonly db: Db;
  /** The store's clock (injectable for tests); workers schedule retries with it. */
  readonly now: () => number;
  private readonly agingMs: number;
  private readonly defaultMaxAttempts: number;
  private claimSeq: number;
  private readonly claimStatements = new Map<string, ReturnType<Db["prepare"]>>();
  /** Fairness keys known to exist in task_keys, so enqueue skips the insert (cleared by prune). */
  private readonly knownKeys = new Set<string>();
  private readonly sql;

  constructor(db: Db, opts: StoreOptions = {}) {
    super();
    this.db = db;
    this.now = opts.now ?? Date.now;
    this.agingMs = Math.max(1, opts.agingMs ?? 60_000);
    this.defaultMaxAttempts = opts.defaultMaxAttempts ?? 5;
    this.sql = {
      insert: db.prepare(
        `INSERT INTO tasks (queue, name, payload, priority, fairness_key, lock_key, status, max_attempts, scheduled_at, created_at)
         VALUES (@queue, @name, @payload, @priority, @fairnessKey, @lockKey, 'todo', @maxAttempts, @scheduledAt, @createdAt)`,
      ),
      insertKey: db.prepare("INSERT OR IGNORE INTO task_keys (queue, fairness_key) VALUES (?, ?)"),
      get: db.prepare("SELECT * FROM tasks WHERE id = ?"),
      start: db.prepare(
        `UPDATE tasks SET status = 'doing', attempts = attempts + 1, started_at = @now, worker_id = @workerId,
           lease_until = @leaseUntil WHERE id = @id AND status = 'todo'`,
      ),
      serveKey: db.prepare("UPDATE task_keys SET last_claim_seq = ? WHERE queue = ? AND fairness_key = ?"),
      heartbeat: db.prepare(
        "UPDATE tasks SET lease_until = @leaseUntil WHERE id = @id AND status = 'doing' AND worker_id = @workerId",
      ),
      abortFlag: db.prepare("SELECT abort_requested FROM tasks WHERE id = ? AND status = 'doing'"),
      finish: db.prepare(
        `UPDATE tasks SET status = @status, finished_at = @now, lease_until = NULL, last_error = COALESCE(@error, last_error)
         WHERE id = @id AND status = 'doing' AND worker_id = @workerId`,
      ),
      retry: db.prepare(
        `UPDATE tasks SET status = 'todo', scheduled_at = @retryAt, worker_id = NULL, lease_until = NULL, last_error = @error
         WHERE id = @id AND status = 'doing' AND worker_id = @workerId`,
      ),
      release: db.prepare(
        `UPDATE tasks SET status = 'todo', attempts = attempts - 1, worker_id = NULL, lease_until = NULL
         WHERE id = @id AND status = 'doing' AND worker_id = @workerId`,
      ),
      cancelTodo: db.prepare("UPDATE tasks SET status = 'cancelled', finished_at = ? WHERE id = ? AND status = 'todo'"),
      deleteTodo: db.prepare("DELETE FROM tasks WHERE id = ? AND status = 'todo'"),
      advanceByLock: db.prepare("UPDATE tasks SET scheduled_at = MIN(scheduled_at, ?) WHERE lock_key = ? AND status = 'todo'"),
      cancelByLock: db.prepare("UPDATE tasks SET status = 'cancelled', finished_at = ? WHERE lock_key = ? AND status = 'todo'"),
      requestAbort: db.prepare("UPDATE tasks SET abort_requested = 1 WHERE id = ? AND status = 'doing'"),
      expiredWithTwin: db.prepare(
        `UPDATE tasks SET status = 'failed', finished_at = @now, lease_until = NULL,
           last_error = 'worker lost (lease expired); a newer queued task with the same lock key replaces it'
         WHERE status = 'doing' AND lease_until < @now AND lock_key IS NOT NULL
           AND EXISTS (SELECT 1 FROM tasks t2 WHERE t2.lock_key = tasks.lock_key AND t2.status = 'todo')`,
      ),
      expiredAborted: db.prepare(
        `UPDATE tasks SET status = 'aborted', finished_at = @now, lease_until = NULL,
           last_error = 'worker lost (lease expired) after an abort was requested'
         WHERE status = 'doing' AND lease_until < @now AND abort_requested = 1`,
      ),
      expiredExhausted: db.prepare(
        `UPDATE tasks SET status = 'failed', finished_at = @now, lease_until = NULL,
           last_error = 'worker lost (lease expired) on the last attempt'
         WHERE status = 'doing' AND lease_until < @now AND attempts >= max_attempts`,
      ),
      expiredRequeue: db.prepare(
        `UPDATE tasks SET status = 'todo', worker_id = NULL, lease_until = NULL,
           last_error = 'worker lost (lease expired); requeued'
         WHERE status = 'doing' AND lease_until < @now`,
      ),
      nextDue: db.prepare("SELECT MIN(scheduled_at) AS t FROM tasks WHERE status = 'todo' AND queue = ?"),
      counts: db.prepare("SELECT queue, status, COUNT(*) AS n FROM tasks GROUP BY queue, status"),
      pruneFinished: db.prepare(
        "DELETE FROM tasks WHERE status IN ('succeeded','failed','cancelled','aborted') AND finished_at < ?",
      ),
      repairKeys: db.prepare(
        "INSERT OR IGNORE INTO task_keys (queue, fairness_key) SELECT DISTINCT queue, fairness_key FROM tasks WHERE status = 'todo'",
      ),
      pruneKeys: db.prepare(
        `DELETE FROM task_keys WHERE NOT EXISTS (
           SELECT 1 FROM tasks t WHERE t.queue = task_keys.queue AND t.fairness_key = task_keys.fairness_key AND t.status = 'todo')`,
      ),
    };
    const seq = db.prepare("SELECT MAX(last_claim_seq) AS s FROM task_keys").get() as { s: number | null };
    this.claimSeq = seq.s ?? 0;
  }

  /** Add a task. Throws `AlreadyEnqueued` when its lock key already has a `todo` task. */
  enqueue<K extends keyof M & string>(name: K, payload: M[K], opts: EnqueueOptions = {}): number {
    const id = this.db.transaction(() => this.insert(name, payload, opts))();
    this.emit("enqueued", opts.queue ?? "default");
    return id;
  }

  /**
   * Add a task unless its lock key already has a `todo` task; returns the new id or null.
   * This is the usual call for idempotent work such as "poll job 5".
   */
  enqueueUnlessLocked<K extends keyof M & string>(name: K, payload: M[K], opts: EnqueueOptions = {}): number | null {
    try {
      return this.enqueue(name, payload, opts);
    } catch (err) {
      if (err instanceof AlreadyEnqueued) return null;
      throw err;
    }
  }

  /** Add many tasks in one transaction (all or none). */
  enqueueMany(items: EnqueueItem<M>[]): number[] {
    const ids = this.db.transaction(() => items.map((it) => this.insert(it.name, it.payload, it)))();
    for (const q of new Set(items.map((it) => it.queue ?? "default"))) this.emit("enqueued", q);
    return ids;
  }

  private insert(name: string, payload: object, opts: EnqueueOptions): number {
    const now = this.now();
    const queue = opts.queue ?? "default";
    const fairnessKey = opts.fairnessKey ?? "";
    try {
      const res = this.sql.insert.run({
        queue,
        name,
        payload: JSON.stringify(payload),
        priority: opts.priority ?? 0,
        fairnessKey,
        lockKey: opts.lockKey ?? null,
        maxAttempts: opts.maxAttempts ?? this.defaultMaxAttempts,
        scheduledAt: opts.runAt ?? now,
        createdAt: now,
      });
      const keyId = `${queue}\u0000${fairnessKey}`;
      if (!this.knownKeys.has(keyId)) {
        this.sql.insertKey.run(queue, fairnessKey);
        this.knownKeys.add(keyId);
      }
      return Number(res.lastInsertRowid);
    } catch (err) {
      // The partial unique index is the queueing lock; translate the driver's error.
      if (opts.lockKey && (err as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") {
        throw new AlreadyEnqueued(opts.lockKey);
      }
      throw err;
    }
  }

  /**
   * Claim the next task from `queues` for `workerId`: among the head task of every
   * fairness key, the highest priority (aged by waiting time), ties to the key served
   * longest ago. Atomic: two workers never get the same task.
   */
  claim(workerId: string, queues: readonly string[], leaseMs: number): Task<M[keyof M]> | null {
    const stmt = this.claimStatement(queues);
    return this.db.transaction(() => {
      const now = this.now();
      const row = stmt.get({ now, agingMs: this.agingMs }) as TaskRow | undefined;
      if (!row) return null;
      this.sql.start.run({ id: row.id, now, workerId, leaseUntil: now + leaseMs });
      this.sql.serveKey.run(++this.claimSeq, row.queue, row.fairness_key);
      return toTask<M[keyof M]>({
        ...row,
        status: "doing",
        attempts: row.attempts + 1,
        started_at: now,
        worker_id: workerId,
        lease_until: now + leaseMs,
      });
    }).immediate();
  }

  private claimStatement(queues: readonly string[]) {
    const cacheKey = queues.join("\u0000");
    let stmt = this.claimStatements.get(cacheKey);
    if (!stmt) {
      const list = queues.map((q) => `'${q.replaceAll("'", "''")}'`).join(", ");
      // INDEXED BY: the planner must walk each key's head in priority order, never scan a queue's todo tasks.
      stmt = this.db.prepare(`
        SELECT t.* FROM task_keys k
        JOIN tasks t ON t.id = (
          SELECT id FROM tasks INDEXED BY tasks_claim
          WHERE queue = k.queue AND fairness_key = k.fairness_key AND status = 'todo' AND scheduled_at <= @now
          ORDER BY priority DESC, id LIMIT 1)
        WHERE k.queue IN (${list})
        ORDER BY t.priority + (@now - t.created_at) / @agingMs DESC, k.last_claim_seq ASC, t.id ASC
        LIMIT 1`);
      this.claimStatements.set(cacheKey, stmt);
    }
    return stmt;
  }

  /** When the earliest queued task of `queues` becomes due (epoch ms), or null when none is queued. */
  nextDueAt(queues: readonly string[]): number | null {
    let t: number | null = null;
    for (const q of queues) {
      const row = this.sql.nextDue.get(q) as { t: number | null };
      if (row.t !== null && (t === null || row.t < t)) t = row.t;
    }
    return t;
  }

  /** Extend the leases of a worker's running tasks; returns the ids whose abort was requested. */
  heartbeat(workerId: string, ids: readonly number[], leaseMs: number): number[] {
    const leaseUntil = this.now() + leaseMs;
    return this.db.transaction(() => {
      const aborted: number[] = [];
      for (const id of ids) {
        this.sql.heartbeat.run({ id, workerId, leaseUntil });
        const flag = this.sql.abortFlag.get(id) as { abort_requested: number } | undefined;
        if (flag?.abort_requested === 1) aborted.push(id);
      }
      return aborted;
    })();
  }

  /** Record how a claimed task ended. Only the worker holding the task can settle it. */
  finish(id: number, workerId: string, outcome: TaskOutcome): void {
    const now = this.now();
    if (outcome.status === "failed" && outcome.retryAt !== undefined) {
      this.db.transaction(() => {
        try {
          this.sql.retry.run({ id, workerId, retryAt: outcome.retryAt, error: outcome.error });
        } catch (err) {
          // A newer queued twin (same lock key) will do the same work: end this one.
          if ((err as { code?: string }).code !== "SQLITE_CONSTRAINT_UNIQUE") throw err;
          this.sql.finish.run({ id, workerId, now, status: "failed", error: `${outcome.error} (not retried: a newer task with the same lock key is queued)` });
        }
      })();
      const task = this.get(id);
      if (task?.status === "todo") this.emit("enqueued", task.queue);
      return;
    }
    const error = outcome.status === "succeeded" ? null : (outcome.error ?? null);
    this.sql.finish.run({ id, workerId, now, status: outcome.status, error });
  }

  /** Give a claimed task back untouched (graceful shutdown): it is `todo` again and the attempt does not count. */
  release(id: number, workerId: string): boolean {
    let released = false;
    try {
      released = this.sql.release.run({ id, workerId }).changes === 1;
    } catch (err) {
      if ((err as { code?: string }).code !== "SQLITE_CONSTRAINT_UNIQUE") throw err;
      this.sql.finish.run({ id, workerId, now: this.now(), status: "aborted", error: "released at shutdown; a newer task with the same lock key is queued" });
    }
    if (released) this.emit("enqueued", this.get(id)?.queue ?? "default");
    return released;
  }

  /**
   * Cancel a task. `todo` → `cancelled` (or deleted with `delete`); `doing` → abort
   * requested when `abort` is set, else refused as "running"; anything final is
   * refused as "already_finished".
   */
  cancel(id: number, opts: { abort?: boolean; delete?: boolean } = {}): CancelResult {
    const result = this.db.transaction((): CancelResult => {
      const row = this.sql.get.get(id) as TaskRow | undefined;
      if (!row) return { ok: false, reason: "unknown_task" };
      if (row.status === "todo") {
        if (opts.delete) {
          this.sql.deleteTodo.run(id);
          return { ok: true, status: "deleted" };
        }
        this.sql.cancelTodo.run(this.now(), id);
        return { ok: true, status: "cancelled" };
      }
      if (row.status === "doing") {
        if (!opts.abort) return { ok: false, reason: "running", status: "doing" };
        this.sql.requestAbort.run(id);
        return { ok: true, status: "abort_requested" };
      }
      return { ok: false, reason: "already_finished", status: row.status };
    })();
    if (result.ok && result.status === "abort_requested") this.emit("abort", id);
    return result;
  }

  /** Make the queued task holding `lockKey` due no later than `runAt`; returns whether one was queued. */
  advanceByLockKey(lockKey: string, runAt: number): boolean {
    const changed = this.sql.advanceByLock.run(runAt, lockKey).changes === 1;
    if (changed) this.emit("enqueued", "*");
    return changed;
  }

  /** Cancel the queued (`todo`) task holding `lockKey`, if any; returns whether one was cancelled. */
  cancelByLockKey(lockKey: string): boolean {
    return this.sql.cancelByLock.run(this.now(), lockKey).changes === 1;
  }

  /**
   * Tasks of dead workers (lease passed) go back to `todo`, unless an abort was
   * requested (→ aborted), the attempts are used up (→ failed) or a newer queued
   * task with the same lock key exists (→ failed). Returns how many were touched.
   */
  recoverExpired(): number {
    const now = this.now();
    return this.db.transaction(() => {
      let n = 0;
      n += this.sql.expiredAborted.run({ now }).changes;
      n += this.sql.expiredExhausted.run({ now }).changes;
      n += this.sql.expiredWithTwin.run({ now }).changes;
      const requeued = this.sql.expiredRequeue.run({ now }).changes;
      if (requeued > 0) this.emit("enqueued", "*");
      return n + requeued;
    })();
  }

  /**
   * Re-add fairness keys of queued tasks that have no task_keys row. Needed only when
   * another process pruned a key this process still had cached; workers call it now
   * and then so such tasks wait at most that long.
   */
  repairKeys(): number {
    return this.sql.repairKeys.run().changes;
  }

  get(id: number): Task<M[keyof M]> | null {
    const row = this.sql.get.get(id) as TaskRow | undefined;
    return row ? toTask(row) : null;
  }

  /** Tasks, newest first, optionally filtered. */
  list(filter: { status?: TaskStatus; name?: string; limit?: number } = {}): Task<M[keyof M]>[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status) {
      where.push("status = ?");
      params.push(filter.status);
    }
    if (filter.name) {
      where.push("name = ?");
      params.push(filter.name);
    }
    const sql = `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, filter.limit ?? 100) as TaskRow[]).map((r) => toTask(r));
  }

  /** Task counts by queue and status (queue depth metric). */
  counts(): { queue: string; status: TaskStatus; n: number }[] {
    return this.sql.counts.all() as { queue: string; status: TaskStatus; n: number }[];
  }

  /** Delete finished tasks older than `before` and fairness keys with nothing queued. */
  prune(before: number): number {
    return this.db.transaction(() => {
      const n = this.sql.pruneFinished.run(before).changes;
      this.sql.pruneKeys.run();
      this.knownKeys.clear();
      return n;
    })();
  }
}
