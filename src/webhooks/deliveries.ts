import type { Db } from "../db/types.js";

export type DeliveryOutcome = "handled" | "ignored" | "error";

/** What a delivery's task carries about it: dedupe, logs and the outcome are by its id. */
export interface DeliveryRef {
  /** X-GitHub-Delivery */
  id: string;
  /** Event and action, e.g. `pull_request.synchronize`. */
  event: string;
  /** When it was recorded, epoch ms. */
  receivedAt: number;
  /** For the task's log lines. */
  installation?: number;
  repo?: string;
}

/**
 * Webhook delivery dedupe by X-GitHub-Delivery. A delivery counts as received only
 * once its row is committed, and the row is written in the same transaction as the
 * work it implies (its task): a process killed before that commit left nothing, so
 * GitHub's redelivery is processed; one killed after it left a task that runs after
 * the restart, so the redelivery is a duplicate. A delivery whose task gave up
 * (`error`) is processed again when redelivered — a redelivery is how an operator
 * retries it.
 */
export class DeliveryLog {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Record a delivery (inside the caller's transaction, with its work); false for a
   * duplicate. One statement on the primary key, so two replicas receiving the same
   * delivery cannot both record it. `outcome` is set at once for deliveries that
   * imply no work.
   */
  async record(
    id: string,
    event: string,
    outcome: DeliveryOutcome | null = null,
  ): Promise<Pick<DeliveryRef, "id" | "event" | "receivedAt"> | undefined> {
    const receivedAt = this.now();
    const recorded =
      (await this.db.run(
        `INSERT INTO deliveries (id, event, received_at, outcome) VALUES (?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET received_at = excluded.received_at, outcome = excluded.outcome
         WHERE deliveries.outcome = 'error'`,
        [id, event, receivedAt, outcome],
      )) === 1;
    return recorded ? { id, event, receivedAt } : undefined;
  }

  /** Set a delivery's outcome; the first one stands (a task re-run after a crash does not overwrite it). */
  async finish(id: string, outcome: DeliveryOutcome): Promise<void> {
    await this.db.run("UPDATE deliveries SET outcome = ? WHERE id = ? AND outcome IS NULL", [outcome, id]);
  }

  /** The recorded outcome of a delivery: null while its task has not ended, undefined when never recorded. */
  async outcome(id: string): Promise<string | null | undefined> {
    return (await this.db.get<{ outcome: string | null }>("SELECT outcome FROM deliveries WHERE id = ?", [id]))?.outcome;
  }

  /**
   * `outcome`, holding the delivery's row until the caller's transaction ends (PostgreSQL;
   * SQLite's one writer holds everything anyway). Two runs of one delivery's task at once
   * (its lease expired under a live worker) then store its work once: the second waits
   * for the first and sees its outcome.
   */
  async outcomeHeld(id: string): Promise<string | null | undefined> {
    const lock = this.db.dialect === "postgres" ? " FOR UPDATE" : "";
    return (await this.db.get<{ outcome: string | null }>(`SELECT outcome FROM deliveries WHERE id = ?${lock}`, [id]))?.outcome;
  }

  /** Deliveries of an event with an outcome (benchmarks). */
  async count(event: string, outcome: DeliveryOutcome): Promise<number> {
    return (await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM deliveries WHERE event = ? AND outcome = ?", [event, outcome]))!.n;
  }

  /** Deliveries recorded whose task has not ended yet (benchmarks, tests). */
  async unfinished(): Promise<number> {
    return (await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM deliveries WHERE outcome IS NULL"))!.n;
  }

  /** Forget deliveries older than `before` (GitHub redelivers for a few days at most). */
  async prune(before: number): Promise<number> {
    return this.db.run("DELETE FROM deliveries WHERE received_at < ?", [before]);
  }
}
