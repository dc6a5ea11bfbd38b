/** Domain job states. A job is *unfinished* until it reaches a final state. */
export type JobState =
  | "pending" // planned; not submitted (maybe waiting for its dependency)
  | "submitted"
  | "running"
  | "cancel_requested" // the backend was asked to stop it; waiting for confirmation
  | "success"
  | "failure"
  | "error"
  | "cancelled"
  | "skipped"; // never ran (its dependency failed or was cancelled, or manual trigger)

export const JOB_STATES: readonly JobState[] = [
  "pending",
  "submitted",
  "running",
  "cancel_requested",
  "success",
  "failure",
  "error",
  "cancelled",
  "skipped",
];

export const FINAL_JOB_STATES: ReadonlySet<JobState> = new Set(["success", "failure", "error", "cancelled", "skipped"]);

export const isFinal = (s: JobState): boolean => FINAL_JOB_STATES.has(s);

/**
 * Every state change a job may make; nothing else is allowed. An unfinished state may
 * "move" to itself (a new message or URL on the same state, e.g. a failed cancel).
 * Final states have no way out: a cancelled or finished job is never resurrected.
 * A job whose cancel was requested may still end as the backend ends it (the build
 * finished before the cancel reached it), but never goes back to running.
 */
export const JOB_TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  pending: ["pending", "submitted", "cancelled", "skipped", "error"],
  submitted: ["submitted", "running", "success", "failure", "error", "cancel_requested", "cancelled"],
  running: ["running", "success", "failure", "error", "cancel_requested", "cancelled"],
  cancel_requested: ["cancel_requested", "success", "failure", "error", "cancelled"],
  success: [],
  failure: [],
  error: [],
  cancelled: [],
  skipped: [],
};

export const canTransition = (from: JobState, to: JobState): boolean => JOB_TRANSITIONS[from].includes(to);

/** A change `JOB_TRANSITIONS` does not allow: refused by the store, logged by `moveJob`. */
export class IllegalJobTransition extends Error {
  constructor(
    readonly jobId: number,
    readonly from: JobState,
    readonly to: JobState,
  ) {
    super(`job ${jobId} cannot go from ${from} to ${to}`);
    this.name = "IllegalJobTransition";
  }
}
