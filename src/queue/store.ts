import { EventEmitter } from "node:events";
import { isUniqueViolation, type Db } from "../db/types.js";
import { AlreadyEnqueued } from "./errors.js";
import { insertBatchSize, insertTasks, type NewTask } from "./insert.js";
import { FairnessKeys } from "./keys.js";
import { NO_TODO_TWIN, recoverExpired } from "./requeue.js";
import { COLUMNS, toTask, type TaskRow } from "./rows.js";
import type { CancelResult, EnqueueOptions, Task, TaskMap, TaskStatus } from "./types.js";
import { Wakeups, type LocalWorker } from "./wakeups.js";

export { LOST_WORKER_MAX_ATTEMPTS } from "./requeue.js";

/** How long a claim may go without making newly due tasks ready, ms (it always does before answering "nothing"). */
const PROMOTE_EVERY_MS = 25;

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
 * expired lease). It emits "enqueued" (queue name) and "abort" (task id) once the change
 * is committed, so in-process workers react at once; on PostgreSQL other processes get
 * the same through NOTIFY (`watchOtherProcesses`), and polling covers everything else.
 */
export class TaskStore<M extends TaskMap = TaskMap> extends EventEmitter {
  readonly db: Db;
  /** The store's clock (injectable for tests); workers schedule retries with it. */
  readonly now: () => number;
  private readonly keys: FairnessKeys;
  private readonly defaultMaxAttempts: number;
  private readonly wakeups: Wakeups;
  /** When each queue's due tasks were last made ready; none: something was queued (or requeued) since. */
  private readonly promotedAt = new Map<string, number>();

  constructor(db: Db, opts: StoreOptions = {}) {
    super();
    this.db = db;
    this.now = opts.now ?? Date.now;
    this.keys = new FairnessKeys(db, Math.max(1, opts.agingMs ?? 60_000));
    this.defaultMaxAttempts = opts.defaultMaxAttempts ?? 5;
    this.wakeups = new Wakeups(db);
  }

  /** Receive other processes' enqueues and abort requests (PostgreSQL; a no-op on SQLite). */
  async watchOtherProcesses(): Promise<void> {
    await this.wakeups.watch({
      queued: (queue, promote) => {
        if (promote) this.promoteSoon(queue);
        this.emit("enqueued", queue);
      },
      abort: (id) => this.emit("abort", id),
    });
  }

  async stopWatching(): Promise<void> {
    await this.wakeups.stop();
  }

  /** An in-process worker says how many tasks it could start now; returns the function that forgets it. */
  serveLocally(worker: LocalWorker): () => void {
    return this.wakeups.serveLocally(worker);
  }

  /** Tell this process's workers once the running transaction commits; other processes when `due` tasks need them. */
  private wake(queue: string, due: number, promote: boolean): void {
    this.wakeups.wake(queue, due, promote, () => {
      this.promoteSoon(queue);
      this.emit("enqueued", queue);
    });
  }

  /** Add a task. Throws `AlreadyEnqueued` when its lock key already has a `todo` task. */
  async enqueue<K extends keyof M & string>(name: K, payload: M[K], opts: EnqueueOptions = {}): Promise<number> {
    const id = await this.insert(name, payload, opts);
    this.wake(opts.queue ?? "default", this.dueNow(opts.runAt) ? 1 : 0, this.db.dialect !== "postgres");
    return id;
  }

  /**
   * Add a task unless its lock key already has a `todo` task; returns the new id or null.
   * This is the usual call for idempotent work such as "poll job 5".
   */
  async enqueueUnlessLocked<K extends keyof M & string>(name: K, payload: M[K], opts: EnqueueOptions = {}): Promise<number | null> {
    try {
      return await this.enqueue(name, payload, opts);
    } catch (err) {
      if (err instanceof AlreadyEnqueued) return null;
      throw err;
    }
  }

  /** Add many tasks in one transaction (all or none), hundreds of rows per statement on SQLite, thousands on PostgreSQL. */
  async enqueueMany(items: EnqueueItem<M>[]): Promise<number[]> {
    const ids = await this.db.tx(async () => {
      const out: number[] = [];
      const chunk = insertBatchSize(this.db);
      for (let i = 0; i < items.length; i += chunk) out.push(...(await this.insertRows(items.slice(i, i + chunk))));
      return out;
    });
    const due = new Map<string, number>();
    for (const it of items) {
      const q = it.queue ?? "default";
      due.set(q, (due.get(q) ?? 0) + (this.dueNow(it.runAt) ? 1 : 0));
    }
    for (const [q, n] of due) this.wake(q, n, this.db.dialect !== "postgres");
    return ids;
  }

  private dueNow(runAt: number | undefined): boolean {
    return runAt === undefined || runAt <= this.now();
  }

  private async insert(name: string, payload: object, opts: EnqueueOptions): Promise<number> {
    return (await this.insertRows([{ ...opts, name, payload }]))[0]!;
  }

  private insertRows(items: readonly NewTask[]): Promise<number[]> {
    return insertTasks(this.db, this.keys, items, { now: this.now(), maxAttempts: this.defaultMaxAttempts });
  }

  /**
   * Claim the next task from `queues` for `workerId`: the head of the fairness key
   * with the highest rank (priority, aged by waiting time), ties to the key served
   * longest ago. Atomic: two workers (or replicas) never get the same task.
   */
  async claim(workerId: string, queues: readonly string[], leaseMs: number): Promise<Task<M[keyof M]> | null> {
    // Claims in flight matter only to the wake-ups between processes (PostgreSQL).
    if (this.db.dialect !== "postgres") return this.claimNow(workerId, queues, leaseMs);
    return this.wakeups.claiming(workerId, () => this.claimNow(workerId, queues, leaseMs));
  }

  private async claimNow(workerId: string, queues: readonly string[], leaseMs: number): Promise<Task<M[keyof M]> | null> {
    const now = this.now();
    // Making due tasks ready costs a query per queue: done when something was queued there,
    // now and then for scheduled tasks, and before saying "nothing".
    const stale = (q: string) => {
      const at = this.promotedAt.get(q);
      return at === undefined || now - at >= PROMOTE_EVERY_MS || now < at;
    };
    let rest = queues.filter((q) => !stale(q));
    if (rest.length < queues.length) await this.promote(queues.filter(stale), now);
    for (let attempt = 0; attempt < 5; attempt++) {
      const row = await this.keys.claimNext<TaskRow>(queues, { now, workerId, leaseUntil: now + leaseMs }, COLUMNS);
      if (row === "stale") continue; // the key's head had gone (now fixed): look again
      if (row) return toTask<M[keyof M]>(row);
      if (rest.length === 0) return null;
      await this.promote(rest, now);
      rest = [];
    }
    return null;
  }

  private async promote(queues: readonly string[], now: number): Promise<void> {
    for (const q of queues) {
      this.promotedAt.set(q, now);
      await this.keys.promote(q, now);
    }
  }

  /** The next claim from `queue` ("*": any) makes its due tasks ready first. */
  private promoteSoon(queue: string): void {
    if (queue === "*") this.promotedAt.clear();
    else this.promotedAt.delete(queue);
  }

  /** When the earliest queued task of `queues` becomes due (epoch ms), or null when none is queued. */
  async nextDueAt(queues: readonly string[]): Promise<number | null> {
    // A ready task (some key's head) is due already.
    const list = queues.map(() => "?").join(", ");
    if (await this.db.get(`SELECT 1 AS one FROM task_keys WHERE queue IN (${list}) AND head_id IS NOT NULL LIMIT 1`, queues))
      return this.now();
    let t: number | null = null;
    for (const q of queues) {
      const row = await this.db.get<{ t: number | null }>(
        "SELECT MIN(scheduled_at) AS t FROM tasks WHERE status = 'todo' AND ready = 0 AND queue = ?",
        [q],
      );
      if (row && row.t !== null && (t === null || row.t < t)) t = row.t;
    }
    return t;
  }

  /** Extend the leases of a worker's running tasks; returns the ids whose abort was requested. */
  async heartbeat(workerId: string, ids: readonly number[], leaseMs: number): Promise<number[]> {
    if (ids.length === 0) return [];
    const list = ids.map(() => "?").join(", ");
    await this.db.run(`UPDATE tasks SET lease_until = ? WHERE id IN (${list}) AND status = 'doing' AND worker_id = ?`, [
      this.now() + leaseMs,
      ...ids,
      workerId,
    ]);
    const rows = await this.db.all<{ id: number }>(
      `SELECT id FROM tasks WHERE id IN (${list}) AND status = 'doing' AND abort_requested = 1`,
      ids,
    );
    return rows.map((r) => r.id);
  }

  private async settle(id: number, workerId: string, status: "succeeded" | "failed" | "aborted", error: string | null): Promise<void> {
    await this.db.run(
      "UPDATE tasks SET status = ?, finished_at = ?, lease_until = NULL, last_error = COALESCE(?, last_error) WHERE id = ? AND status = 'doing' AND worker_id = ?",
      [status, this.now(), error, id, workerId],
    );
  }

  /**
   * Put a running task back to `todo` (retry, release) unless a newer queued twin with
   * the same lock key will do the same work; true when it went back.
   */
  private async requeue(sql: string, params: readonly (string | number | null)[]): Promise<boolean> {
    try {
      return (await this.db.run(sql, params)) === 1;
    } catch (err) {
      // A twin queued by another process between the check and the write.
      if (!isUniqueViolation(err)) throw err;
      return false;
    }
  }

  /** Record how a claimed task ended. Only the worker holding the task can settle it. */
  async finish(id: number, workerId: string, outcome: TaskOutcome): Promise<void> {
    if (outcome.status === "failed" && outcome.retryAt !== undefined) {
      const retried = await this.requeue(
        `UPDATE tasks SET status = 'todo', ready = 0, scheduled_at = ?, worker_id = NULL, lease_until = NULL, last_error = ?
         WHERE id = ? AND status = 'doing' AND worker_id = ? AND ${NO_TODO_TWIN}`,
        [outcome.retryAt, outcome.error, id, workerId],
      );
      if (retried) {
        const task = await this.get(id);
        if (task) this.wake(task.queue, this.dueNow(outcome.retryAt) ? 1 : 0, true);
      } else {
        await this.settle(id, workerId, "failed", `${outcome.error} (not retried: a newer task with the same lock key is queued)`);
      }
      return;
    }
    await this.settle(id, workerId, outcome.status, outcome.status === "succeeded" ? null : (outcome.error ?? null));
  }

  /** Give a claimed task back untouched (graceful shutdown): it is `todo` again and the attempt does not count. */
  async release(id: number, workerId: string): Promise<boolean> {
    const released = await this.requeue(
      `UPDATE tasks SET status = 'todo', ready = 0, attempts = attempts - 1, worker_id = NULL, lease_until = NULL
       WHERE id = ? AND status = 'doing' AND worker_id = ? AND ${NO_TODO_TWIN}`,
      [id, workerId],
    );
    if (released) this.wake((await this.get(id))?.queue ?? "default", 1, true);
    else await this.settle(id, workerId, "aborted", "released at shutdown; a newer task with the same lock key is queued");
    return released;
  }

  /** End a `todo` task (cancel or delete), keeping its key's head right. Runs inside a transaction. */
  private async removeTodo(task: { id: number; queue: string; fairness_key: string }, how: "cancel" | "delete"): Promise<boolean> {
    const key = await this.keys.hold(task.queue, task.fairness_key);
    const changed =
      how === "delete"
        ? await this.db.run("DELETE FROM tasks WHERE id = ? AND status = 'todo'", [task.id])
        : await this.db.run("UPDATE tasks SET status = 'cancelled', finished_at = ? WHERE id = ? AND status = 'todo'", [
            this.now(),
            task.id,
          ]);
    if (changed === 1 && key?.head_id === task.id) await this.keys.recompute(task.queue, task.fairness_key, false);
    return changed === 1;
  }

  /**
   * Cancel a task. `todo` → `cancelled` (or deleted with `delete`); `doing` → abort
   * requested when `abort` is set, else refused as "running"; anything final is
   * refused as "already_finished".
   */
  async cancel(id: number, opts: { abort?: boolean; delete?: boolean } = {}): Promise<CancelResult> {
    const result = await this.db.tx(async (): Promise<CancelResult> => {
      for (;;) {
        const row = await this.db.get<Pick<TaskRow, "id" | "queue" | "fairness_key" | "status">>(
          "SELECT id, queue, fairness_key, status FROM tasks WHERE id = ?",
          [id],
        );
        if (!row) return { ok: false, reason: "unknown_task" };
        if (row.status === "todo") {
          if (await this.removeTodo(row, opts.delete ? "delete" : "cancel"))
            return { ok: true, status: opts.delete ? "deleted" : "cancelled" };
          continue; // claimed meanwhile: answer for its new state
        }
        if (row.status === "doing") {
          if (!opts.abort) return { ok: false, reason: "running", status: "doing" };
          if ((await this.db.run("UPDATE tasks SET abort_requested = 1 WHERE id = ? AND status = 'doing'", [id])) === 0) continue;
          return { ok: true, status: "abort_requested" };
        }
        return { ok: false, reason: "already_finished", status: row.status };
      }
    });
    if (result.ok && result.status === "abort_requested") {
      this.emit("abort", id);
      await this.wakeups.abort(id);
    }
    return result;
  }

  /** Make the queued task holding `lockKey` due no later than `runAt`; returns whether one was queued. */
  async advanceByLockKey(lockKey: string, runAt: number): Promise<boolean> {
    const changed =
      (await this.db.run(
        "UPDATE tasks SET scheduled_at = CASE WHEN scheduled_at < ? THEN scheduled_at ELSE ? END WHERE lock_key = ? AND status = 'todo'",
        [runAt, runAt, lockKey],
      )) === 1;
    if (changed) this.wake("*", this.dueNow(runAt) ? 1 : 0, true);
    return changed;
  }

  /** Cancel the queued (`todo`) task holding `lockKey`, if any; returns whether one was cancelled. */
  async cancelByLockKey(lockKey: string): Promise<boolean> {
    return this.db.tx(async () => {
      const row = await this.db.get<{ id: number; queue: string; fairness_key: string }>(
        "SELECT id, queue, fairness_key FROM tasks WHERE lock_key = ? AND status = 'todo'",
        [lockKey],
      );
      return row ? this.removeTodo(row, "cancel") : false;
    });
  }

  /**
   * Tasks of dead workers (lease passed) go back to `todo`, unless an abort was
   * requested (→ aborted), the attempts are used up (→ failed) or a newer queued
   * task with the same lock key exists (→ failed). Returns how many were touched.
   */
  async recoverExpired(): Promise<number> {
    const { touched, requeued } = await recoverExpired(this.db, this.now);
    if (requeued > 0) this.wake("*", requeued, true);
    return touched;
  }

  /**
   * Safety net: give fairness keys whose head went missing their head back (see
   * `FairnessKeys.repair`). Workers call it now and then.
   */
  async repairKeys(): Promise<number> {
    return this.keys.repair();
  }

  async get(id: number): Promise<Task<M[keyof M]> | null> {
    const row = await this.db.get<TaskRow>(`SELECT ${COLUMNS} FROM tasks WHERE id = ?`, [id]);
    return row ? toTask(row) : null;
  }

  /** Tasks, newest first, optionally filtered. */
  async list(filter: { status?: TaskStatus; name?: string; limit?: number } = {}): Promise<Task<M[keyof M]>[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.status) {
      where.push("status = ?");
      params.push(filter.status);
    }
    if (filter.name) {
      where.push("name = ?");
      params.push(filter.name);
    }
    const sql = `SELECT ${COLUMNS} FROM tasks ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
    return (await this.db.all<TaskRow>(sql, [...params, filter.limit ?? 100])).map((r) => toTask(r));
  }

  /** Tasks of one name and status (tests, the demo). */
  async countByName(name: string): Promise<number> {
    return (await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM tasks WHERE name = ?", [name]))!.n;
  }

  /** Task counts by queue and status (queue depth metric). */
  async counts(): Promise<{ queue: string; status: TaskStatus; n: number }[]> {
    return this.db.all("SELECT queue, status, COUNT(*) AS n FROM tasks GROUP BY queue, status ORDER BY queue, status");
  }

  /** Delete finished tasks older than `before` and fairness keys with nothing queued. */
  async prune(before: number): Promise<number> {
    const n = await this.db.run("DELETE FROM tasks WHERE status IN ('succeeded','failed','cancelled','aborted') AND finished_at < ?", [
      before,
    ]);
    await this.keys.prune();
    return n;
  }
}
