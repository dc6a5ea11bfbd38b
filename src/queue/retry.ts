/** When to try a failed task again. */
export interface RetryPolicy {
  /** Delay before attempt `attempt + 1`, ms, after `attempt` attempts failed. */
  delayMs(attempt: number): number;
}

/** Exponential backoff: base, 2×base, 4×base … capped; ±20 % jitter so retries of a burst spread out. */
export function exponentialBackoff(opts: { baseMs: number; maxMs: number; jitter?: boolean }): RetryPolicy {
  return {
    delayMs(attempt) {
      const raw = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
      return opts.jitter === false ? raw : Math.round(raw * (0.8 + Math.random() * 0.4));
    },
  };
}
