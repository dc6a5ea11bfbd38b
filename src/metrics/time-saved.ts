/**
 * Builder time saved by cancelling: a cancelled job would have run about as long as
 * the same check's recent runs in the same repository did, less what it had run.
 */

/** How many recent runs of a check the estimate is taken from. */
export const SAVING_SAMPLE = 5;

export interface SavingEstimate {
  /** Backend time the job did not use, ms; null when there is nothing to go by. */
  savedMs: number | null;
  /** How it was estimated, in words (shown next to the figure). */
  basis: string;
}

/** A duration for people: "45 s", "6 min", "1 h 20 min". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The estimate for one cancelled job (pure): the median of `recentMs` (the check's
 * last runs that ended in success or failure, newest first) less `ranMs`, the time
 * it had already run; never below zero.
 */
export function savingEstimate(recentMs: readonly number[], ranMs: number): SavingEstimate {
  const durations = recentMs.filter((d) => Number.isFinite(d) && d >= 0);
  if (durations.length === 0) return { savedMs: null, basis: "no earlier run of this check to estimate from" };
  const typical = Math.round(median(durations));
  const runs = durations.length === 1 ? "the last run" : `the median of the last ${durations.length} runs`;
  const ran = ranMs > 0 ? `, less the ${formatDuration(ranMs)} it had run` : "; it had not started";
  return {
    savedMs: Math.max(0, typical - Math.max(0, ranMs)),
    basis: `${runs} of this check in this repository (${formatDuration(typical)})${ran}`,
  };
}
