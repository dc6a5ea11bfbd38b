/** What the planner's tests (test/unit/pipeline/plan*.test.ts) share: configs, events, and a plan that checks its invariants. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { DEFAULT_RELEASES } from "../../src/packit-config/aliases.js";
import { parsePackitConfig, type PackitConfig } from "../../src/packit-config/parse.js";
import { planJobs, type Plan, type PlanEvent, type PlanInputs } from "../../src/pipeline/plan.js";
import { FAKE_COPR_MOCK_CHROOTS } from "../../testing/fakes/copr.js";

export const FIXTURES = join(import.meta.dirname, "../fixtures/packit-configs");
/** Copr's active chroots in late 2026, as the fake Copr lists them. */
export const ACTIVE: ReadonlySet<string> = new Set(Object.keys(FAKE_COPR_MOCK_CHROOTS));

export function config(source: string): PackitConfig {
  const text = source.includes("\n") ? source : readFileSync(join(FIXTURES, source), "utf8");
  const result = parsePackitConfig(text);
  if (!result.ok) throw result.error;
  return result.config;
}

export const PR: PlanEvent = { trigger: "pull_request", branch: "main", defaultBranch: "main" };
export const PUSH_MAIN: PlanEvent = { trigger: "push", branch: "main", defaultBranch: "main" };

/** Plan (against Copr's active chroots unless told otherwise), checking the invariants every plan must keep. */
export function plan(source: string, event: PlanEvent, inputs: PlanInputs = { activeChroots: ACTIVE }): Plan {
  const result = planJobs(config(source), event, DEFAULT_RELEASES, inputs);
  const seen = new Set<string>();
  for (const job of result.jobs) {
    expect(job.key).toBe(job.checkName);
    expect(seen.has(job.key), `duplicate key ${job.key}`).toBe(false);
    // dependencies come first
    if (job.after) expect(seen.has(job.after), `${job.key} waits for unknown ${job.after}`).toBe(true);
    seen.add(job.key);
  }
  return result;
}

/** `key` or `key <- after`, in plan order. */
export function rows(result: Plan): string[] {
  return result.jobs.map((j) => (j.after ? `${j.key} <- ${j.after}` : j.key));
}

/** `check: reason`, for what would not run. */
export function notRun(result: Plan): string[] {
  return result.notRun.map((n) => `${n.checkName}: ${n.reason}`);
}

export const DOWNSTREAM = "downstream job, not handled by this service";
