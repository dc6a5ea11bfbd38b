import { describe, expect, it } from "vitest";
import { canTransition, isFinal, JOB_STATES, JOB_TRANSITIONS, type JobState } from "../../../src/pipeline/job-state.js";

/** The transitions a user can see happen, written out once more as the specification. */
const ALLOWED = new Set<string>([
  "pending>pending",
  "pending>submitted",
  "pending>cancelled",
  "pending>skipped",
  "pending>error",
  "submitted>submitted",
  "submitted>running",
  "submitted>success",
  "submitted>failure",
  "submitted>error",
  "submitted>cancel_requested",
  "submitted>cancelled",
  "running>running",
  "running>success",
  "running>failure",
  "running>error",
  "running>cancel_requested",
  "running>cancelled",
  "cancel_requested>cancel_requested",
  "cancel_requested>success",
  "cancel_requested>failure",
  "cancel_requested>error",
  "cancel_requested>cancelled",
]);

describe("job state machine", () => {
  it("walks every pair of states: exactly the specified transitions are allowed", () => {
    for (const from of JOB_STATES) {
      for (const to of JOB_STATES) {
        expect(canTransition(from, to), `${from} → ${to}`).toBe(ALLOWED.has(`${from}>${to}`));
      }
    }
    expect(Object.keys(JOB_TRANSITIONS).sort()).toEqual([...JOB_STATES].sort());
  });

  it("never resurrects a finished or cancelled job", () => {
    for (const from of JOB_STATES.filter(isFinal)) expect(JOB_TRANSITIONS[from]).toEqual([]);
  });

  it("never lets a job whose cancel was requested run again", () => {
    const back: JobState[] = ["pending", "submitted", "running"];
    for (const to of back) expect(canTransition("cancel_requested", to)).toBe(false);
  });
});
