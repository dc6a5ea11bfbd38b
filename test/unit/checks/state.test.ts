import { describe, expect, it } from "vitest";
import { checkRunForJob, invalidConfigCheck, problemsOf } from "../../../src/checks/state.js";
import type { JobRow } from "../../../src/pipeline/store.js";

const PUBLIC = "https://packit.example/dash";
const job = (over: Partial<JobRow>) =>
  ({
    id: 7,
    state: "pending",
    backend: "copr",
    type: "copr_build",
    target: "fedora-41-x86_64",
    url: null,
    message: null,
    cancel_reason: null,
    external_id: null,
    started_at: null,
    finished_at: null,
    ...over,
  }) as JobRow;
const ctx = { publicUrl: PUBLIC };

describe("check run of a job", () => {
  it("links every state's check run to the job's dashboard page, waiting and skipped ones included", () => {
    for (const state of [
      "pending",
      "submitted",
      "running",
      "cancel_requested",
      "success",
      "failure",
      "error",
      "cancelled",
      "skipped",
    ] as const) {
      const c = checkRunForJob(job({ state }), ctx);
      expect(c.detailsUrl, state).toBe(`${PUBLIC}/jobs/7`);
      expect(c.summary, state).toContain(`[Job page](${PUBLIC}/jobs/7)`);
    }
  });

  it("is queued while pending, naming what it waits for, with a Cancel button", () => {
    const c = checkRunForJob(job({}), { ...ctx, dependencyKey: "rpm-build:fedora-41" });
    expect(c).toMatchObject({ status: "queued", title: "Waiting for rpm-build:fedora-41", actions: [{ identifier: "cancel" }] });
    expect(checkRunForJob(job({}), ctx).title).toBe("Queued for Copr");
  });

  it("says what runs where, with the backend's page for people in the summary", () => {
    const c = checkRunForJob(job({ state: "running", url: "https://copr/x", external_id: "42" }), {
      ...ctx,
      backendPage: { url: "https://copr/x", label: "Copr build 42" },
    });
    expect(c).toMatchObject({ status: "in_progress", title: "Building on fedora-41-x86_64 in Copr", actions: [{ identifier: "cancel" }] });
    expect(c.summary).toContain("[Copr build 42 in Copr](https://copr/x)");
  });

  it("says how long a finished job took", () => {
    const c = checkRunForJob(job({ state: "success", started_at: 0, finished_at: 6 * 60_000 }), ctx);
    expect(c).toMatchObject({ conclusion: "success", title: "Built on fedora-41-x86_64 in 6 min" });
    expect(
      checkRunForJob(job({ state: "failure", type: "tests", backend: "testing-farm", started_at: 0, finished_at: 45_000 }), ctx).title,
    ).toBe("Tests failed on fedora-41-x86_64 after 45 s");
  });

  it("concludes cancelled (never failure) with the reason, offering Re-run", () => {
    const c = checkRunForJob(job({ state: "cancelled", cancel_reason: "Superseded by abc1234" }), ctx);
    expect(c).toMatchObject({
      status: "completed",
      conclusion: "cancelled",
      title: "Cancelled: superseded by abc1234",
      actions: [{ identifier: "rerun" }],
    });
    expect(checkRunForJob(job({ state: "cancelled", cancel_reason: "Cancelled by @me" }), ctx).title).toBe("Cancelled by @me");
  });

  it("shows cancelling while waiting for the backend, without buttons", () => {
    expect(checkRunForJob(job({ state: "cancel_requested", cancel_reason: "Cancelled by @me" }), ctx)).toMatchObject({
      status: "in_progress",
      title: "Cancelling in Copr…",
      actions: [],
    });
  });

  it("maps success, failure, error and skipped to GitHub conclusions, with titles that say why", () => {
    expect(checkRunForJob(job({ state: "success" }), ctx).conclusion).toBe("success");
    expect(checkRunForJob(job({ state: "failure" }), ctx).conclusion).toBe("failure");
    expect(checkRunForJob(job({ state: "error", message: "boom\nmore" }), ctx)).toMatchObject({
      conclusion: "failure",
      title: "Error: boom",
    });
    expect(checkRunForJob(job({ state: "skipped" }), { ...ctx, dependencyKey: "rpm-build:fedora-41" })).toMatchObject({
      conclusion: "skipped",
      title: "Skipped: rpm-build:fedora-41 did not succeed",
    });
  });

  it("links a re-run to the attempt it repeats", () => {
    const c = checkRunForJob(job({ id: 9 }), { ...ctx, rerunOf: { id: 7, state: "failure" } });
    expect(c.summary).toContain(`Re-run of [job 7](${PUBLIC}/jobs/7)`);
    expect(c.detailsUrl).toBe(`${PUBLIC}/jobs/9`);
  });

  it("keeps button texts within GitHub's limits", () => {
    for (const state of ["pending", "running", "failure"] as const) {
      for (const a of checkRunForJob(job({ state }), ctx).actions) {
        expect(a.label.length).toBeLessThanOrEqual(20);
        expect(a.identifier.length).toBeLessThanOrEqual(20);
        expect(a.description.length).toBeLessThanOrEqual(40);
      }
    }
  });
});

describe("the config check of an invalid .packit.yaml", () => {
  it("fails, listing every problem the parser found with its line", () => {
    const c = invalidConfigCheck(".packit.yml: unknown key 'jbos'\nmissing 'trigger' (line 9)", {
      path: ".packit.yml",
      line: 3,
      column: 5,
    });
    expect(c).toMatchObject({ status: "completed", conclusion: "failure", title: "Invalid .packit.yml: 2 problems (first at line 3)" });
    expect(c.summary).toContain("- line 3, column 5: unknown key 'jbos'");
    expect(c.summary).toContain("- line 9: missing 'trigger'");
  });

  it("reads the parser's further problems and their lines", () => {
    expect(problemsOf("a\nb (line 4)\nc", { line: 2 })).toEqual([{ message: "a", line: 2 }, { message: "b", line: 4 }, { message: "c" }]);
  });
});
