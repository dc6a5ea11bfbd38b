import { describe, expect, it } from "vitest";
import { priorityFor, type PriorityInput } from "../../../src/priorities/index.js";
import { parseSettings } from "../../../src/settings.js";

const p = (over: Record<string, unknown> = {}) => parseSettings({ priorities: over }).priorities;
const input = (over: Partial<PriorityInput> = {}): PriorityInput => ({
  trigger: "pull_request",
  project: "acme/widget",
  unfinishedJobsOfProject: 0,
  activeRecently: false,
  ...over,
});

describe("priorityFor", () => {
  it("ranks pull requests over pushes over releases", () => {
    const pr = priorityFor(input(), p());
    const push = priorityFor(input({ trigger: "push" }), p());
    const release = priorityFor(input({ trigger: "release" }), p());
    expect(pr).toBeGreaterThan(push);
    expect(push).toBeGreaterThan(release);
  });

  it("lowers a project that already has more unfinished jobs than the threshold", () => {
    const settings = p({ busyThreshold: 20, busyPenalty: 10 });
    expect(priorityFor(input({ unfinishedJobsOfProject: 20 }), settings)).toBe(10);
    expect(priorityFor(input({ unfinishedJobsOfProject: 21 }), settings)).toBe(0);
  });

  it("gives projects active in the last 30 days a bonus over ones that never ran", () => {
    expect(priorityFor(input({ activeRecently: true }), p({ activeBonus: 3 }))).toBe(13);
  });

  it("applies per-project overrides, a project's own before its owner's", () => {
    const settings = p({ overrides: { "acme/widget": -20, acme: 5 } });
    expect(priorityFor(input(), settings)).toBe(-10);
    expect(priorityFor(input({ project: "acme/other" }), settings)).toBe(15);
    expect(priorityFor(input({ project: "else/where" }), settings)).toBe(10);
  });

  it("takes trigger weights from the settings", () => {
    expect(priorityFor(input({ trigger: "release" }), p({ release: 42 }))).toBe(42);
  });
});
