import { randomUUID } from "node:crypto";
import type { Db } from "../db/types.js";

/**
 * Channel of cross-process wake-ups (PostgreSQL NOTIFY): `{from, queue, promote}` or `{from, abort}`.
 * `promote: false`: the tasks are ready already (no promotion needed to claim them).
 */
const CHANNEL = "packit_tasks";

/** An in-process worker as the store sees it (`serveLocally`). */
export interface LocalWorker {
  id: string;
  queues: readonly string[];
  /** Slots free now (not counting claims in flight). */
  free(): number;
}

/** What another process announced. */
export interface WakeHandlers {
  queued(queue: string, promote: boolean): void;
  abort(id: number): void;
}

/**
 * Wake-ups between processes (PostgreSQL LISTEN/NOTIFY; on SQLite everything stays in the
 * process). Other processes are told only about tasks that can run now and that this
 * process's own free worker slots cannot take, so a burst of enqueues does not make every
 * replica's workers claim for the one task each of them will not get.
 */
export class Wakeups {
  private readonly id = randomUUID();
  /** To announce: queue → whether one of its tasks needs a promotion. */
  private readonly pending = new Map<string, boolean>();
  private scheduled = false;
  private readonly localWorkers = new Set<LocalWorker>();
  /** Claims running now, by worker id (a slot they fill is not free any more). */
  private readonly inFlight = new Map<string, number>();
  private unwatch: Promise<() => Promise<void>> | undefined;

  constructor(private readonly db: Db) {}

  /** Receive other processes' wake-ups (PostgreSQL; a no-op on SQLite). One listener however often it is called. */
  async watch(on: WakeHandlers): Promise<void> {
    if (this.db.dialect !== "postgres") return;
    this.unwatch ??= this.db.listen(CHANNEL, (payload) => {
      let m: { from?: string; queue?: string; promote?: boolean; abort?: number };
      try {
        m = JSON.parse(payload) as typeof m;
      } catch {
        return;
      }
      if (m.from === this.id) return;
      // A sender that does not say (an older version) may need the promotion.
      if (typeof m.queue === "string") on.queued(m.queue, m.promote !== false);
      if (typeof m.abort === "number") on.abort(m.abort);
    });
    try {
      await this.unwatch;
    } catch (err) {
      this.unwatch = undefined;
      throw err;
    }
  }

  async stop(): Promise<void> {
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    if (unwatch) await (await unwatch.catch(() => () => Promise.resolve()))();
  }

  /** Register an in-process worker; returns the function that forgets it. */
  serveLocally(worker: LocalWorker): () => void {
    this.localWorkers.add(worker);
    return () => void this.localWorkers.delete(worker);
  }

  /** Run a claim of `workerId`, counted as filling one of its slots while it runs. */
  async claiming<T>(workerId: string, claim: () => Promise<T>): Promise<T> {
    this.inFlight.set(workerId, (this.inFlight.get(workerId) ?? 0) + 1);
    try {
      return await claim();
    } finally {
      const n = this.inFlight.get(workerId)! - 1;
      if (n === 0) this.inFlight.delete(workerId);
      else this.inFlight.set(workerId, n);
    }
  }

  /**
   * Once the running transaction commits: `local()` (this process's workers), and on
   * PostgreSQL a NOTIFY when more of the `due` tasks (those that can run now) are queued
   * than this process has free slots for (coalesced: one per queue per burst). Tasks due
   * later wake nobody elsewhere: other processes' polling finds their time (`nextDueAt`).
   */
  wake(queue: string, due: number, promote: boolean, local: () => void): void {
    this.db.afterCommit(() => {
      // Counted before our workers start claiming on `local()`.
      const elsewhere = this.db.dialect === "postgres" && due > this.freeSlots(queue);
      local();
      if (!elsewhere) return;
      this.pending.set(queue, (this.pending.get(queue) ?? false) || promote);
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        const queues = [...this.pending];
        this.pending.clear();
        for (const [q, p] of queues)
          void this.db.notify(CHANNEL, JSON.stringify({ from: this.id, queue: q, promote: p })).catch(() => undefined);
      });
    });
  }

  /** Tell other processes that task `id` should stop (PostgreSQL). */
  async abort(id: number): Promise<void> {
    if (this.db.dialect === "postgres") await this.db.notify(CHANNEL, JSON.stringify({ from: this.id, abort: id }));
  }

  /** Slots of this process's workers for `queue` not taken by a running task or a claim in flight ("*": none, any queue may need them). */
  private freeSlots(queue: string): number {
    if (queue === "*") return 0;
    let free = 0;
    for (const w of this.localWorkers) if (w.queues.includes(queue)) free += Math.max(0, w.free() - (this.inFlight.get(w.id) ?? 0));
    return free;
  }
}
