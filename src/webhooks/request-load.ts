/** A burst has ended once no delivery arrived (and none is being answered) for this long, ms. */
const QUIET_MS = 20;

/**
 * Webhook requests as this process answers them. In a process that also runs workers
 * (role `all`) a worker about to start a task lets a burst of deliveries go first:
 * GitHub counts a delivery as failed after 10 s, a task can start a little later.
 */
export class WebhookLoad {
  private inFlight = 0;
  private lastArrivedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A webhook request arrived; call the returned function once it is answered (or dropped). */
  begin(): () => void {
    this.inFlight++;
    this.lastArrivedAt = this.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight--;
      this.lastArrivedAt = this.now();
    };
  }

  /** How long deliveries have been quiet, ms (0 while one is being answered). */
  private quietFor(): number {
    return this.inFlight > 0 ? 0 : this.now() - this.lastArrivedAt;
  }

  /**
   * Undefined when deliveries are quiet; else a wait until they are, of at most
   * `maxMs`. A worker that awaits it before each claim starts at most one task per
   * `maxMs` during a burst: slowed down, never stopped.
   */
  yieldFor(maxMs: number): Promise<void> | undefined {
    if (maxMs <= 0 || this.quietFor() >= QUIET_MS) return undefined;
    const until = this.now() + maxMs;
    return new Promise<void>((resolve) => {
      const check = () => {
        const left = until - this.now();
        const quiet = this.quietFor();
        if (quiet >= QUIET_MS || left <= 0) return resolve();
        setTimeout(check, Math.max(1, Math.min(left, QUIET_MS - quiet))).unref();
      };
      check();
    });
  }
}
