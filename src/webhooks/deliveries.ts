import type { Db } from "../db/open.js";

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
  private readonly sql;
  constructor(db: Db, private readonly now: () => number = Date.now) {
    this.sql = {
      claim: db.prepare(
        `INSERT INTO deliveries (id, event, received_at) VALUES (@id, @event, @now)
         ON CONFLICT(id) DO UPDATE SET received_at = excluded.received_at, outcome = NULL
         WHERE outcome = 'error' OR (outcome IS NULL AND received_at < @abandonedBefore)`,
      ),
      finish: db.prepare("UPDATE deliveries SET outcome = ? WHERE id = ?"),
      prune: db.prepare("DELETE FROM deliveries WHERE received_at < ?"),
    };
  }

  /**
   * True the first time a delivery id is seen, after a failed attempt, or when an
   * earlier attempt was abandoned (its process died mid-way: no outcome after
   * ABANDONED_AFTER_MS); false for duplicates.
   */
  claim(id: string, event: string): boolean {
    const now = this.now();
    const abandonedBefore = unrecordedFailures.has(id) ? Number.MAX_SAFE_INTEGER : now - ABANDONED_AFTER_MS;
    const claimed = this.sql.claim.run({ id, event, now, abandonedBefore }).changes === 1;
    if (claimed) unrecordedFailures.delete(id);
    return claimed;
  }

  finish(id: string, outcome: DeliveryOutcome): void {
    try {
      this.sql.finish.run(outcome, id);
    } catch (err) {
      if (outcome === "error") unrecordedFailures.add(id);
      throw err;
    }
  }

  /** Forget deliveries older than `before` (GitHub redelivers for a few days at most). */
  prune(before: number): number {
    return this.sql.prune.run(before).changes;
  }
}
