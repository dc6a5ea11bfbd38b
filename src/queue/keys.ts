import { idIn, idList, type Db } from "../db/types.js";

/**
 * The claim's per-key state (`task_keys`), so that a claim costs one index read
 * whatever the number of waiting fairness keys.
 *
 * A `todo` task is *ready* once it is due and its key accounts for it. Each key row
 * holds its head: the best ready task by (priority DESC, id), with that task's rank
 * (priority minus the number of `agingMs` buckets since the epoch it was created in,
 * so an older task ranks higher: one point per `agingMs` of waiting). A claim takes
 * the key with the highest head rank, ties to the key served longest ago
 * (`last_claim_seq`, round-robin), and then recomputes that key's head (one index read).
 * Tasks become ready in batches (`promote`), newly due ones first.
 *
 * Concurrency (PostgreSQL): whatever changes a key's ready tasks or head holds the
 * key's row lock first and touches task rows after; claims and promotions skip
 * locked keys (`FOR UPDATE SKIP LOCKED`), so replicas claim from different keys at
 * once and never deadlock. On SQLite the single writer serialises everything.
 */
export interface KeyHead {
  queue: string;
  fairness_key: string;
  head_id: number | null;
}

/** A task as the key state needs it. */
export interface ReadyCandidate {
  id: number;
  queue: string;
  fairness_key: string;
  priority: number;
  created_at: number;
}

/** Tasks made ready per promotion batch. */
const PROMOTE_BATCH = 500;

export class FairnessKeys {
  private readonly lock: string;
  private readonly skipLocked: string;
  private readonly nextSeq: string;
  /** SQLite's planner, without statistics, may pick another index and sort: name the right one. */
  private readonly promoteIndex: string;
  /** SQLite: look rows up by id, not through another index it would scan. */
  private readonly byId: string;
  private lastSeq = 0;

  constructor(
    private readonly db: Db,
    private readonly agingMs: number,
  ) {
    const pg = db.dialect === "postgres";
    this.lock = pg ? " FOR UPDATE" : "";
    this.skipLocked = pg ? " FOR UPDATE SKIP LOCKED" : "";
    this.promoteIndex = pg ? "" : " INDEXED BY tasks_due";
    this.byId = pg ? "" : " NOT INDEXED";
    this.nextSeq = pg ? "nextval('task_claim_seq')" : "?";
  }

  /**
   * SQLite's claim order: the time of the claim in µs, kept increasing within the process (a
   * sequence would cost an index on `last_claim_seq` that every claim writes). Processes sharing
   * the file agree to the clock; two claims of different processes in one µs tie, broken by head id.
   */
  private sqliteSeq(): number {
    this.lastSeq = Math.max(this.lastSeq + 1, Date.now() * 1000);
    return this.lastSeq;
  }

  rank(t: { priority: number; created_at: number }): number {
    return t.priority - Math.floor(t.created_at / this.agingMs);
  }

  /**
   * Make every due, not yet ready task of `queue` ready and update its key's head. Runs
   * in batches of its own transactions; keys another process holds are left for the
   * next call. Returns how many tasks became ready.
   */
  async promote(queue: string, now: number): Promise<number> {
    let total = 0;
    for (;;) {
      // Looked up outside a transaction: when nothing is due (the usual case) this is one index read.
      const due = await this.db.all<ReadyCandidate>(
        `SELECT id, queue, fairness_key, priority, created_at FROM tasks${this.promoteIndex} WHERE status = 'todo' AND ready = 0 AND queue = ? AND scheduled_at <= ? ORDER BY scheduled_at LIMIT ?`,
        [queue, now, PROMOTE_BATCH],
      );
      if (due.length === 0) return total;
      const promoted = await this.db.tx(() => this.promoteBatch(due));
      total += promoted;
      // A short batch was the last; none promoted: their keys are held right now, next call.
      if (due.length < PROMOTE_BATCH || promoted === 0) return total;
    }
  }

  private async promoteBatch(due: readonly ReadyCandidate[]): Promise<number> {
    const byKey = new Map<string, ReadyCandidate[]>();
    for (const t of due) {
      const k = `${t.queue}\u0000${t.fairness_key}`;
      (byKey.get(k) ?? byKey.set(k, []).get(k)!).push(t);
    }
    let promoted = 0;
    // Keys in one order everywhere: two promotions never wait for each other in a cycle.
    for (const k of [...byKey.keys()].sort()) {
      const tasks = byKey.get(k)!;
      const { queue, fairness_key } = tasks[0]!;
      await this.db.run("INSERT INTO task_keys (queue, fairness_key) VALUES (?, ?) ON CONFLICT (queue, fairness_key) DO NOTHING", [
        queue,
        fairness_key,
      ]);
      const held = await this.db.get("SELECT head_id FROM task_keys WHERE queue = ? AND fairness_key = ?" + this.skipLocked, [
        queue,
        fairness_key,
      ]);
      if (!held) continue; // being claimed from right now: next time
      const ids = tasks.map((t) => t.id);
      // PostgreSQL: a join with the id array, which its cached (generic) plan reads by primary key.
      const ready = await this.db.all<{ id: number; priority: number; created_at: number }>(
        this.db.dialect === "postgres"
          ? `UPDATE tasks SET ready = 1 FROM unnest(CAST(? AS BIGINT[])) AS u(id) WHERE tasks.id = u.id AND tasks.status = 'todo' AND tasks.ready = 0
             RETURNING tasks.id, tasks.priority, tasks.created_at`
          : `UPDATE tasks${this.byId} SET ready = 1 WHERE ${idIn(this.db, "id")} AND status = 'todo' AND ready = 0 RETURNING id, priority, created_at`,
        [idList(this.db, ids)],
      );
      if (ready.length === 0) continue;
      promoted += ready.length;
      const best = ready.reduce((a, b) => (b.priority > a.priority || (b.priority === a.priority && b.id < a.id) ? b : a));
      await this.offer({ ...best, queue, fairness_key });
    }
    return promoted;
  }

  /**
   * PostgreSQL: wrap a task INSERT (RETURNING id, lock_key, queue, fairness_key,
   * priority, created_at, ready) so that the tasks it makes ready at once become their
   * key's head in the same statement — claimable by any replica without a promotion.
   * The statement returns the INSERT's id and lock_key; its last parameter is `agingMs`.
   */
  offeringHeads(insert: string): string {
    const better =
      "task_keys.head_id IS NULL OR excluded.head_priority > task_keys.head_priority OR (excluded.head_priority = task_keys.head_priority AND excluded.head_id < task_keys.head_id)";
    return `WITH ins AS (${insert}),
      best AS (SELECT DISTINCT ON (queue, fairness_key) queue, fairness_key, id, priority, created_at FROM ins WHERE ready = 1 ORDER BY queue, fairness_key, priority DESC, id),
      k AS (INSERT INTO task_keys (queue, fairness_key, head_id, head_priority, head_rank)
              SELECT queue, fairness_key, id, priority, priority - created_at / ? FROM best ORDER BY queue, fairness_key
            ON CONFLICT (queue, fairness_key) DO UPDATE SET
              head_rank = CASE WHEN ${better} THEN excluded.head_rank ELSE task_keys.head_rank END,
              head_priority = CASE WHEN ${better} THEN excluded.head_priority ELSE task_keys.head_priority END,
              head_id = CASE WHEN ${better} THEN excluded.head_id ELSE task_keys.head_id END)
      SELECT id, lock_key FROM ins`;
  }

  get agingPeriodMs(): number {
    return this.agingMs;
  }

  /** A task just became ready: it becomes its key's head if it beats the current one. The key row is held. */
  private async offer(t: ReadyCandidate): Promise<void> {
    const better = "(head_id IS NULL OR ? > head_priority OR (? = head_priority AND ? < head_id))";
    await this.db.run(
      `UPDATE task_keys SET
         head_rank = CASE WHEN ${better} THEN ? ELSE head_rank END,
         head_priority = CASE WHEN ${better} THEN ? ELSE head_priority END,
         head_id = CASE WHEN ${better} THEN ? ELSE head_id END
       WHERE queue = ? AND fairness_key = ?`,
      [
        t.priority,
        t.priority,
        t.id,
        this.rank(t),
        t.priority,
        t.priority,
        t.id,
        t.priority,
        t.priority,
        t.priority,
        t.id,
        t.id,
        t.queue,
        t.fairness_key,
      ],
    );
  }

  /**
   * Claim the head of the best key: the task row, undefined when no key has a ready
   * task, or "stale" when the key named a task no longer queued (its head is fixed;
   * look again). PostgreSQL does it in one statement (one round trip), skipping keys
   * other replicas hold; SQLite in one transaction.
   */
  async claimNext<R>(
    queues: readonly string[],
    set: { now: number; workerId: string; leaseUntil: number },
    columns: string,
  ): Promise<R | undefined | "stale"> {
    const list = queues.map(() => "?").join(", ");
    const pick = `SELECT queue, fairness_key, head_id FROM task_keys WHERE queue IN (${list}) AND head_id IS NOT NULL
       ORDER BY head_rank DESC, last_claim_seq, head_id LIMIT 1`;
    const start = "status = 'doing', ready = 0, attempts = attempts + 1, started_at = ?, worker_id = ?, lease_until = ?";
    if (this.db.dialect === "postgres") {
      const row = await this.db.get<R & { picked: number; id: number | null }>(
        `WITH k AS (${pick}${this.skipLocked}),
         t AS (UPDATE tasks SET ${start} FROM k WHERE tasks.id = k.head_id AND tasks.status = 'todo' RETURNING ${columns
           .split(", ")
           .map((c) => `tasks.${c}`)
           .join(", ")}),
         n AS (SELECT x.id, x.priority, x.created_at FROM k, LATERAL (
                 SELECT id, priority, created_at FROM tasks WHERE queue = k.queue AND fairness_key = k.fairness_key
                   AND status = 'todo' AND ready = 1 AND id <> k.head_id ORDER BY priority DESC, id LIMIT 1) x),
         u AS (UPDATE task_keys SET head_id = n.id, head_priority = n.priority, head_rank = n.priority - n.created_at / ?,
                 last_claim_seq = CASE WHEN (SELECT COUNT(*) FROM t) > 0 THEN ${this.nextSeq} ELSE task_keys.last_claim_seq END
               FROM k LEFT JOIN n ON TRUE WHERE task_keys.queue = k.queue AND task_keys.fairness_key = k.fairness_key)
         SELECT (SELECT COUNT(*) FROM k) AS picked, t.* FROM (SELECT 1 AS one) o LEFT JOIN t ON TRUE`,
        [...queues, set.now, set.workerId, set.leaseUntil, this.agingMs],
      );
      if (!row || row.picked === 0) return undefined;
      if (row.id === null) return "stale";
      const { picked: _picked, ...task } = row;
      return task as unknown as R;
    }
    // SQLite: the claim picks the best head inside its UPDATE, and the key's next head is set in one more statement.
    return this.db.tx(async () => {
      const row = await this.db.get<R & { queue: string; fairness_key: string }>(
        `UPDATE tasks SET ${start} WHERE id = (SELECT head_id FROM (${pick})) AND status = 'todo' RETURNING ${columns}`,
        [set.now, set.workerId, set.leaseUntil, ...queues],
      );
      if (row) {
        await this.recompute(row.queue, row.fairness_key, true);
        return row;
      }
      const key = await this.db.get<KeyHead>(pick, queues);
      if (!key) return undefined;
      await this.recompute(key.queue, key.fairness_key, false);
      return "stale";
    });
  }

  /** Hold a key's row (waiting for its holder) and say which task heads it. */
  async hold(queue: string, fairnessKey: string): Promise<KeyHead | undefined> {
    return this.db.get<KeyHead>("SELECT queue, fairness_key, head_id FROM task_keys WHERE queue = ? AND fairness_key = ?" + this.lock, [
      queue,
      fairnessKey,
    ]);
  }

  /** Set a held key's head to its best ready task (or none); `served`: a claim was made from it. */
  async recompute(queue: string, fairnessKey: string, served: boolean): Promise<void> {
    // One statement: no ready task leaves the three head columns NULL. The rank is `rank()` in SQL.
    await this.db.run(
      `UPDATE task_keys SET (head_id, head_priority, head_rank) = (
         SELECT id, priority, priority - CAST(created_at / ? AS BIGINT) FROM tasks
         WHERE queue = task_keys.queue AND fairness_key = task_keys.fairness_key AND status = 'todo' AND ready = 1
         ORDER BY priority DESC, id LIMIT 1)${served ? `, last_claim_seq = ${this.nextSeq}` : ""}
       WHERE queue = ? AND fairness_key = ?`,
      served && this.db.dialect === "sqlite" ? [this.agingMs, this.sqliteSeq(), queue, fairnessKey] : [this.agingMs, queue, fairnessKey],
    );
  }

  /**
   * Safety net, called now and then by workers: keys whose head is missing although
   * they have ready tasks (or names a task that is no longer queued) get it back.
   * Returns how many keys were repaired.
   */
  async repair(): Promise<number> {
    const broken = await this.db.all<{ queue: string; fairness_key: string }>(
      `SELECT DISTINCT t.queue, t.fairness_key FROM tasks t WHERE t.status = 'todo' AND t.ready = 1 AND NOT EXISTS (
         SELECT 1 FROM task_keys k JOIN tasks h ON h.id = k.head_id
         WHERE k.queue = t.queue AND k.fairness_key = t.fairness_key AND h.status = 'todo')`,
    );
    let repaired = 0;
    for (const k of broken) {
      await this.db.tx(async () => {
        await this.db.run("INSERT INTO task_keys (queue, fairness_key) VALUES (?, ?) ON CONFLICT (queue, fairness_key) DO NOTHING", [
          k.queue,
          k.fairness_key,
        ]);
        if (await this.hold(k.queue, k.fairness_key)) {
          await this.recompute(k.queue, k.fairness_key, false);
          repaired++;
        }
      });
    }
    return repaired;
  }

  /** Forget keys with nothing queued (round-robin memory of idle keys). */
  async prune(): Promise<number> {
    return this.db.run(
      `DELETE FROM task_keys WHERE head_id IS NULL AND NOT EXISTS (
         SELECT 1 FROM tasks t WHERE t.queue = task_keys.queue AND t.fairness_key = task_keys.fairness_key AND t.status = 'todo')`,
    );
  }
}
