import { isUniqueViolation, type Db } from "../db/types.js";

/**
 * A worker lost (its lease expired: the process was killed, OOM, a deploy) is not the
 * task's failure: the requeue gives the attempt back — `max_attempts` grows by one —
 * so a run of crashes cannot use up a command's or a delivery's retries, up to this
 * many attempts in all, after which a task that keeps killing its worker fails.
 */
export const LOST_WORKER_MAX_ATTEMPTS = 30;

/**
 * No queued twin with the same lock key (a task going back to `todo` must not break the queueing lock).
 * `t2.lock_key IS NOT NULL` lets PostgreSQL read the queueing-lock index (partial on it).
 */
export const NO_TODO_TWIN =
  "(lock_key IS NULL OR NOT EXISTS (SELECT 1 FROM tasks t2 WHERE t2.lock_key = tasks.lock_key AND t2.lock_key IS NOT NULL AND t2.status = 'todo'))";

/**
 * Tasks of dead workers (lease passed) go back to `todo`, unless an abort was requested
 * (→ aborted), the attempts are used up (→ failed) or a newer queued task with the same
 * lock key exists (→ failed). Returns how many were touched, and how many of them went back.
 */
export async function recoverExpired(db: Db, now: () => number): Promise<{ touched: number; requeued: number }> {
  // A twin queued by another process between the checks and the requeue breaks the queueing
  // lock (PostgreSQL): try again, and this time the twin is seen and the expired task fails.
  // Every worker asks every poll interval, and nearly always nothing expired: one index read then, no transaction.
  if (!(await db.get("SELECT id FROM tasks WHERE status = 'doing' AND lease_until < ? LIMIT 1", [now()])))
    return { touched: 0, requeued: 0 };
  for (let attempt = 1; ; attempt++) {
    try {
      return await recoverExpiredOnce(db, now());
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= 3) throw err;
    }
  }
}

async function recoverExpiredOnce(db: Db, now: number): Promise<{ touched: number; requeued: number }> {
  const expired = "status = 'doing' AND lease_until < ?";
  return db.tx(async () => {
    let n = 0;
    n += await db.run(
      `UPDATE tasks SET status = 'aborted', finished_at = ?, lease_until = NULL, last_error = 'worker lost (lease expired) after an abort was requested' WHERE ${expired} AND abort_requested = 1`,
      [now, now],
    );
    n += await db.run(
      `UPDATE tasks SET status = 'failed', finished_at = ?, lease_until = NULL, last_error = 'worker lost (lease expired) on the last attempt' WHERE ${expired} AND attempts >= max_attempts`,
      [now, now],
    );
    n += await db.run(
      `UPDATE tasks SET status = 'failed', finished_at = ?, lease_until = NULL,
         last_error = 'worker lost (lease expired); a newer queued task with the same lock key replaces it'
       WHERE ${expired} AND lock_key IS NOT NULL AND NOT ${NO_TODO_TWIN}`,
      [now, now],
    );
    // Two expired tasks with one lock key (a poll that queued its successor, which was claimed too): only the newest goes back.
    n += await db.run(
      `UPDATE tasks SET status = 'failed', finished_at = ?, lease_until = NULL,
         last_error = 'worker lost (lease expired); a newer task with the same lock key replaces it'
       WHERE ${expired} AND lock_key IS NOT NULL
         AND EXISTS (SELECT 1 FROM tasks t2 WHERE t2.lock_key = tasks.lock_key AND t2.status = 'doing' AND t2.lease_until < ? AND t2.id > tasks.id)`,
      [now, now, now],
    );
    const requeued = await db.run(
      `UPDATE tasks SET status = 'todo', ready = 0, worker_id = NULL, lease_until = NULL, last_error = 'worker lost (lease expired); requeued',
         max_attempts = CASE WHEN max_attempts < ? THEN max_attempts + 1 ELSE max_attempts END
       WHERE ${expired}`,
      [LOST_WORKER_MAX_ATTEMPTS, now],
    );
    return { touched: n + requeued, requeued };
  });
}
