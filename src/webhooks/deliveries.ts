import type { Db } from "../db/types.js";

export type DeliveryOutcome = "handled" | "ignored" | "error";

/**
 * A delivery still without an outcome this long after it arrived was abandoned by
 * a process that died. Handling takes milliseconds, or a few minutes at worst
 * while a rate-limited config lookup waits.
 */
const ABANDONED_AFTER_MS = 5 * 60_000;

/**
 * Deliveries whose failure the database refused to record (disk full): outcome-less
 * rows that would pass for "in progress" for minutes. This process knows better and
 * lets a redelivery claim them at once.
 */
const unrecordedFailures = new Set<string>();

/**
 * Webhook delivery dedupe by X-GitHub-Delivery. GitHub redelivers on timeouts and
 * operators redeliver by hand: a delivery is processed once, unless its first
 * processing ended in an error or was abandoned (then a redelivery is the way to retry it).
 */
export class DeliveryLog {
  constructor(private readonly db: Db, private readonly now: () => number = Date.now) {}

  /**
   * True the first time a delivery id is seen, after a failed attempt, or when an
   * earlier attempt was abandoned (its process died mid-way: no outcome after
   * ABANDONED_AFTER_MS); false for duplicates. One statement on the primary key, so
   * two replicas receiving the same delivery cannot both claim it.
   */
  async claim(id: string, event: string): Promise<boolean> {
    const now = this.now();
    const abandonedBefore = unrecordedFailures.has(id) ? Number.MAX_SAFE_INTEGER : now - ABANDONED_AFTER_MS;
    const claimed =
      (await this.db.run(
        `INSERT INTO deliveries (id, event, received_at) VALUES (?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET received_at = excluded.received_at, outcome = NULL
         WHERE deliveries.outcome = 'error' OR (deliveries.outcome IS NULL AND deliveries.received_at < ?)`,
        [id, event, now, abandonedBefore],
      )) === 1;
    if (claimed) unrecordedFailures.delete(id);
    return claimed;
  }

  async finish(id: string, outcome: DeliveryOutcome): Promise<void> {
    try {
      await this.db.run("UPDATE deliveries SET outcome = ? WHERE id = ?", [outcome, id]);
    } catch (err) {
      if (outcome === "error") unrecordedFailures.add(id);
      throw err;
    }
  }

  /** The recorded outcome of a delivery: null while in progress, undefined when never seen. */
  async outcome(id: string): Promise<string | null | undefined> {
    return (await this.db.get<{ outcome: string | null }>("SELECT outcome FROM deliveries WHERE id = ?", [id]))?.outcome;
  }

  /** Deliveries of an event with an outcome (benchmarks). */
  async count(event: string, outcome: DeliveryOutcome): Promise<number> {
    return (await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM deliveries WHERE event = ? AND outcome = ?", [event, outcome]))!.n;
  }

  /** Forget deliveries older than `before` (GitHub redelivers for a few days at most). */
  async prune(before: number): Promise<number> {
    return this.db.run("DELETE FROM deliveries WHERE received_at < ?", [before]);
  }
}
