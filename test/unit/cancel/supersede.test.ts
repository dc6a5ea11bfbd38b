import { describe, expect, it } from "vitest";
import { isStaleHead, jobsToCancel, supersededPipelines, type NewHead } from "../../../src/cancel/supersede.js";
import { overallOf, renderReport, type JobCancelResult } from "../../../src/cancel/report.js";
import type { JobRow, PipelineRow } from "../../../src/pipeline/store.js";

const pipeline = (id: number, head: string, before: string | null = null): PipelineRow => ({
  id, repo_id: 1, installation_id: 1, trigger: "pull_request", pr_number: 7, branch: "main", head_sha: head, before_sha: before, source_clone_url: null, delivery_id: null, created_at: id, superseded_by: null,
});
const head = (over: Partial<NewHead> = {}): NewHead => ({ trigger: "pull_request", headSha: "C", prNumber: 7, branch: "main", defaultBranch: "main", ...over });
const policy = { supersedeDefaultBranch: false, supersedeReleases: false };

describe("supersede policy", () => {
  const line = [pipeline(1, "A"), pipeline(2, "B", "A")];

  it("with `before`, supersedes exactly the pipelines of that head", () => {
    expect(supersededPipelines(head({ beforeSha: "B" }), line, policy).map((p) => p.id)).toEqual([2]);
    expect(supersededPipelines(head({ beforeSha: "X" }), line, policy)).toEqual([]);
  });

  it("without `before` (reopened, re-runs), supersedes every older head of the PR", () => {
    expect(supersededPipelines(head(), line, policy).map((p) => p.id)).toEqual([1, 2]);
    expect(supersededPipelines(head({ headSha: "B" }), line, policy).map((p) => p.id)).toEqual([1]);
  });

  it("exempts default-branch pushes and releases unless the policy says otherwise", () => {
    const push = head({ trigger: "push", prNumber: undefined, beforeSha: "B" });
    expect(supersededPipelines(push, line, policy)).toEqual([]);
    expect(supersededPipelines(push, line, { ...policy, supersedeDefaultBranch: true })).toHaveLength(1);
    expect(supersededPipelines({ ...push, branch: "feature" }, line, policy)).toHaveLength(1);
    expect(supersededPipelines(head({ trigger: "release" }), line, policy)).toEqual([]);
    expect(supersededPipelines(head({ trigger: "release" }), line, { ...policy, supersedeReleases: true })).toHaveLength(2);
  });

  it("recognises a late event whose head a newer one already replaced", () => {
    expect(isStaleHead(head({ headSha: "A" }), line)?.id).toBe(2);
    expect(isStaleHead(head({ headSha: "C", beforeSha: "B" }), line)).toBeUndefined();
  });

  it("cancels only unfinished jobs that did not opt out", () => {
    const job = (id: number, state: JobRow["state"], cancelSuperseded = 1) => ({ id, state, cancel_superseded: cancelSuperseded }) as JobRow;
    expect(jobsToCancel([job(1, "running"), job(2, "success"), job(3, "pending"), job(4, "running", 0), job(5, "cancel_requested")]).map((j) => j.id)).toEqual([1, 3, 5]);
  });
});

describe("cancel report", () => {
  const r = (code: JobCancelResult["code"]): JobCancelResult => ({ jobId: code, check: `c${code}`, backend: "copr", code, text: `t${code}` });

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
      "| Job | Backend | Code | Result |",
      "| --- | --- | --- | --- |",
      "| `c0` | copr | 0 | t0 |",
      "| `c3` | copr | 3 | backend error: a\\|b |",
    ]);
  });
});
