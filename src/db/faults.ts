/**
 * Storage faults: a full disk is recognised on both engines, and a failure that
 * recurs on every poll (a claim while the disk is full) is logged once per interval
 * with a count, not once per attempt.
 */
import { errorCode, toError } from "../errors.js";

/** The storage is full: SQLite's SQLITE_FULL (disk, quota, `max_page_count`), ENOSPC from the OS, PostgreSQL's 53100 `disk_full`. */
function isStorageFull(err: unknown): boolean {
  const code = errorCode(err);
  return (
    code === "SQLITE_FULL" ||
    code === "ENOSPC" ||
    code === "53100" ||
    /database or disk is full|No space left on device|could not extend file/i.test(toError(err).message)
  );
}

export interface FaultLog {
  error(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

/**
 * One recurring failure, e.g. "worker could not claim a task": the first occurrence
 * is logged at once, later ones at most once per `intervalMs` with how many there
 * were since; `recovered()` logs once that it works again.
 */
export class RecurringFault {
  private failures = 0;
  private unlogged = 0;
  private loggedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly log: FaultLog,
    private readonly what: string,
    private readonly opts: { intervalMs?: number; now?: () => number } = {},
  ) {}

  report(err: unknown): void {
    this.failures++;
    this.unlogged++;
    const now = (this.opts.now ?? Date.now)();
    if (now - this.loggedAt < (this.opts.intervalMs ?? 60_000)) return;
    this.log.error(
      { err: toError(err), times: this.unlogged, storageFull: isStorageFull(err) },
      this.unlogged === 1 ? this.what : `${this.what} (${this.unlogged} times since the last report)`,
    );
    this.loggedAt = now;
    this.unlogged = 0;
  }

  recovered(): void {
    if (this.failures === 0) return;
    this.log.info({ times: this.failures }, `${this.what}: works again after ${this.failures} failures`);
    this.failures = 0;
    this.unlogged = 0;
    this.loggedAt = Number.NEGATIVE_INFINITY;
  }
}
