import { describe, expect, it } from "vitest";
import { isStaleHead, jobsToCancel, plannedSince, supersededPipelines, type NewHead } from "../../../src/cancel/supersede.js";
import { overallOf, renderReport, type JobCancelResult } from "../../../src/cancel/report.js";
import type { JobRow, PipelineRow } from "../../../src/pipeline/store.js";

const pipeline = (id: number, head: string, before: string | null = null, eventAt: number | null = null): PipelineRow => ({
  id,
  repo_id: 1,
  installation_id: 1,
  trigger: "pull_request",
  pr_number: 7,
  branch: "main",
  head_sha: head,
  before_sha: before,
  source_clone_url: null,
  delivery_id: null,
  created_at: id,
  superseded_by: null,
  event_at: eventAt,
});
const head = (over: Partial<NewHead> = {}): NewHead => ({
  trigger: "pull_request",
  headSha: "C",
  prNumber: 7,
  branch: "main",
  defaultBranch: "main",
  ...over,
});
const policy = { supersedeDefaultBranch: false, supersedeReleases: false };

describe("supersede policy", () => {
  const line = [pipeline(1, "A"), pipeline(2, "B", "A")];

  it("with `before`, supersedes that head and every older unfinished head of the line (issue 23 item 3)", () => {
    // A → B → C: C supersedes B and A, not only its `before`.
    expect(supersededPipelines(head({ beforeSha: "B" }), line, policy).map((p) => p.id)).toEqual([1, 2]);
    // B's delivery never came: C (before B) still supersedes A.
    expect(supersededPipelines(head({ beforeSha: "B" }), [pipeline(1, "A")], policy).map((p) => p.id)).toEqual([1]);
    expect(supersededPipelines(head({ beforeSha: "X" }), line, policy).map((p) => p.id)).toEqual([1, 2]);
  });

  it("orders heads by the `before` chain first, whatever order the deliveries came in", () => {
    // C arrived before B: B (before A) is older than C, whose `before` is B.
    const cFirst = [pipeline(1, "A"), pipeline(2, "C", "B")];
    expect(isStaleHead(head({ headSha: "B", beforeSha: "A" }), cFirst)?.id).toBe(2);
    expect(supersededPipelines(head({ headSha: "B", beforeSha: "A" }), cFirst, policy).map((p) => p.id)).toEqual([1]);
    // D came, C never, B late: D's chain does not reach B; GitHub's event time orders them.
    const dFirst = [pipeline(1, "A", null, 1000), pipeline(2, "D", "C", 4000)];
    expect(isStaleHead(head({ headSha: "B", beforeSha: "A", eventAt: 2000 }), dFirst)?.id).toBe(2);
    // The chain wins over a clock: a head whose chain leads to the new one is newer even with an earlier time.
    const skewed = [pipeline(1, "A", null, 1000), pipeline(2, "C", "B", 500)];
    expect(isStaleHead(head({ headSha: "B", beforeSha: "A", eventAt: 2000 }), skewed)?.id).toBe(2);
    // A longer chain: E's `before` is D, D's is C — C and what came before it are older.
    const chain = [pipeline(1, "A", null), pipeline(2, "C", "B"), pipeline(3, "D", "C")];
    expect(supersededPipelines(head({ headSha: "E", beforeSha: "D" }), chain, policy).map((p) => p.id)).toEqual([1, 2, 3]);
    expect(isStaleHead(head({ headSha: "B", beforeSha: "A" }), chain)?.id).toBe(2);
  });

  it("without a chain or two different event times, the head that arrived first is the older", () => {
    const line2 = [pipeline(1, "A", null, 1000)];
    expect(isStaleHead(head({ headSha: "B", eventAt: 1000 }), line2)).toBeUndefined();
    expect(supersededPipelines(head({ headSha: "B", eventAt: 1000 }), line2, policy).map((p) => p.id)).toEqual([1]);
    expect(supersededPipelines(head({ headSha: "B" }), line2, policy).map((p) => p.id)).toEqual([1]);
  });

  it("without `before` (reopened, re-runs), supersedes every older head of the PR", () => {
    expect(supersededPipelines(head(), line, policy).map((p) => p.id)).toEqual([1, 2]);
    expect(supersededPipelines(head({ headSha: "B" }), line, policy).map((p) => p.id)).toEqual([1]);
  });

  it("exempts default-branch pushes and releases unless the policy says otherwise", () => {
    const push = head({ trigger: "push", prNumber: undefined, beforeSha: "B" });
    expect(supersededPipelines(push, line, policy)).toEqual([]);
    expect(supersededPipelines(push, line, { ...policy, supersedeDefaultBranch: true })).toHaveLength(2);
    expect(supersededPipelines({ ...push, branch: "feature" }, line, policy)).toHaveLength(2);
    expect(supersededPipelines(head({ trigger: "release" }), line, policy)).toEqual([]);
    expect(supersededPipelines(head({ trigger: "release" }), line, { ...policy, supersedeReleases: true })).toHaveLength(2);
  });

  it("recognises a late event whose head a newer one already replaced", () => {
    expect(isStaleHead(head({ headSha: "A" }), line)?.id).toBe(2);
    expect(isStaleHead(head({ headSha: "C", beforeSha: "B" }), line)).toBeUndefined();
  });

  it("coalesces a head only with an identical delivery's pipeline made since it arrived, never with a command's (issue 23, kill loop)", () => {
    const event = head({ headSha: "C", beforeSha: "B", eventAt: 500 });
    // pipeline(id, …): created_at = id; this delivery arrived at 10.
    expect(plannedSince(event, [pipeline(12, "C", "B", 500)], 10)?.id).toBe(12);
    expect(plannedSince(event, [pipeline(8, "C", "B", 500)], 10)).toBeUndefined(); // made before it arrived
    expect(plannedSince(event, [pipeline(12, "C")], 10)).toBeUndefined(); // `/packit build` at C: no before, no time
    expect(plannedSince(head({ headSha: "C", eventAt: 500 }), [pipeline(12, "C")], 10)).toBeUndefined(); // an `opened` vs a command
    expect(plannedSince(event, [pipeline(12, "C", "B", 900)], 10)).toBeUndefined(); // another event at C (GitHub's time differs)
  });

  it("cancels only unfinished jobs that did not opt out and are not being cancelled already", () => {
    const job = (id: number, state: JobRow["state"], cancelSuperseded = 1) =>
      ({ id, state, cancel_superseded: cancelSuperseded }) as JobRow;
    expect(
      jobsToCancel([job(1, "running"), job(2, "success"), job(3, "pending"), job(4, "running", 0), job(5, "cancel_requested")]).map(
        (j) => j.id,
      ),
    ).toEqual([1, 3]);
  });
});

describe("cancel report", () => {
  const r = (code: JobCancelResult["code"]): JobCancelResult => ({
    jobId: code,
    check: `c${code}`,
    backend: "copr",
    code,
    text: `t${code}`,
  });

  it("says all, partial, none or nothing to cancel; finished jobs do not count", () => {
    expect(overallOf([r(0), r(1), r(2)])).toBe("all");
    expect(overallOf([r(0), r(3)])).toBe("partial");
    expect(overallOf([r(3), r(1)])).toBe("none");
    expect(overallOf([r(1), r(1)])).toBe("nothing to cancel");
    expect(overallOf([])).toBe("nothing to cancel");
  });

  it("renders a table with one row per job, escaping pipes", () => {
    const text = renderReport({ overall: "partial", reason: "Cancelled by @me", results: [r(0), { ...r(3), text: "backend error: a|b" }] });
    expect(text.split("\n")).toEqual([
      "**Cancel: partial** — Cancelled by @me",
      "",
      "| Check run | Backend | Code | Result |",
      "| --- | --- | --- | --- |",
      "| `c0` | Copr | 0 | t0 |",
      "| `c3` | Copr | 3 | backend error: a\\|b |",
      "",
      // Each code that occurs is explained once, under the table.
      "- **0** cancelled: the backend stopped it, or it had not started: it will not run.",
      "- **3** backend error: the backend refused or failed to stop it; the job goes on (try again, or cancel it at the backend).",
    ]);
  });
});
