import { describe, expect, it } from "vitest";
import { checkRunForJob, invalidConfigCheck } from "../../../src/checks/state.js";
import type { JobRow } from "../../../src/pipeline/store.js";

const job = (over: Partial<JobRow>) => ({ id: 1, state: "pending", backend: "copr", target: "fedora-rawhide-x86_64", url: null, message: null, cancel_reason: null, external_id: null, ...over }) as JobRow;

describe("check run of a job", () => {
  it("is queued while pending, naming what it waits for, with a Cancel button", () => {
    const c = checkRunForJob(job({}), { dependencyKey: "rpm-build:fedora-rawhide-x86_64" });
    expect(c).toMatchObject({ status: "queued", title: "Waiting for rpm-build:fedora-rawhide-x86_64", actions: [{ identifier: "cancel" }] });
  });

  it("is in progress with a link to the backend while it runs", () => {
    const c = checkRunForJob(job({ state: "running", url: "https://copr/x", external_id: "42" }));
    expect(c).toMatchObject({ status: "in_progress", title: "Running in Copr", detailsUrl: "https://copr/x", actions: [{ identifier: "cancel" }] });
    expect(c.summary).toContain("[Open in Copr](https://copr/x)");
  });

  it("concludes cancelled (never failure) with the reason, offering Re-run", () => {
    const c = checkRunForJob(job({ state: "cancelled", cancel_reason: "Superseded by abc1234" }));
    expect(c).toMatchObject({ status: "completed", conclusion: "cancelled", title: "Superseded by abc1234", actions: [{ identifier: "rerun" }] });
  });

  it("shows cancelling while waiting for the backend, without buttons", () => {
    expect(checkRunForJob(job({ state: "cancel_requested", cancel_reason: "Cancelled by @me" }))).toMatchObject({ status: "in_progress", title: "Cancelling…", actions: [] });
  });

  it("maps success, failure, error and skipped to GitHub conclusions", () => {
    expect(checkRunForJob(job({ state: "success" })).conclusion).toBe("success");
    expect(checkRunForJob(job({ state: "failure" })).conclusion).toBe("failure");
    expect(checkRunForJob(job({ state: "error", message: "boom" }))).toMatchObject({ conclusion: "failure", title: "Error", summary: "boom" });
    expect(checkRunForJob(job({ state: "skipped" })).conclusion).toBe("skipped");
  });

  it("keeps button texts within GitHub's limits", () => {
    for (const state of ["pending", "running", "failure"] as const) {
      for (const a of checkRunForJob(job({ state })).actions) {
        expect(a.label.length).toBeLessThanOrEqual(20);
        expect(a.identifier.length).toBeLessThanOrEqual(20);
        expect(a.description.length).toBeLessThanOrEqual(40);
      }
    }
  });

  it("reports an invalid config as neutral, with its position", () => {
    expect(invalidConfigCheck("bad indent", { path: ".packit.yml", line: 3, column: 5 })).toMatchObject({ conclusion: "neutral", summary: expect.stringContaining("`.packit.yml` (line 3, column 5)") });
  });
});
