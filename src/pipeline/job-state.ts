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

export const FINAL_JOB_STATES: ReadonlySet<JobState> = new Set(["success", "failure", "error", "cancelled", "skipped"]);

export const isFinal = (s: JobState): boolean => FINAL_JOB_STATES.has(s);
