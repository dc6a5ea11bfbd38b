import type { Db } from "../db/open.js";

export type DeliveryOutcome = "handled" | "ignored" | "error";

/**
 * Webhook delivery dedupe by X-GitHub-Delivery. GitHub redelivers on timeouts and
 * operators redeliver by hand: a delivery is processed once, unless its first
 * processing ended in an error (then a redelivery is the way to retry it).
 */
export class DeliveryLog {
  private readonly sql;
  constructor(db: Db, private readonly now: () => number = Date.now) {
    this.sql = {
      claim: db.prepare(
        `INSERT INTO deliveries (id, event, received_at) VALUES (?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET received_at = excluded.received_at, outcome = NULL WHERE outcome = 'error'`,
      ),
      finish: db.prepare("UPDATE deliveries SET outcome = ? WHERE id = ?"),
      prune: db.prepare("DELETE FROM deliveries WHERE received_at < ?"),
    };
  }

  /** True the first time a delivery id is seen (or after a failed attempt); false for duplicates. */
  claim(id: string, event: string): boolean {
    return this.sql.claim.run(id, event, this.now()).changes === 1;
  }

  finish(id: string, outcome: DeliveryOutcome): void {
    this.sql.finish.run(outcome, id);
  }

  /** Forget deliveries older than `before` (GitHub redelivers for a few days at most). */
  prune(before: number): number {
    return this.sql.prune.run(before).changes;
  }
}
