import { describe, expect, it } from "vitest";
import { cachedAnswerStands, pathsTouchedByPush, type ConfigStateRow } from "../../../src/packit-config/cache.js";

const row = (state: ConfigStateRow["state"], checkedAt: number): ConfigStateRow => ({
  repo_id: 1,
  ref: "main",
  state,
  path: null,
  blob_sha: null,
  text: null,
  error: null,
  checked_at: checkedAt,
});
const DAY = 86_400_000;

describe("config-absence cache decisions", () => {
  it("keeps a fresh answer when the push touched no config file", () => {
    expect(cachedAnswerStands(row("absent", 0), ["src/a.c", "docs/packit.yaml"], 1000, DAY)).toBe(true);
    expect(cachedAnswerStands(row("present", 0), [], 1000, DAY)).toBe(true);
  });

  it("looks again when a config name was touched, the answer expired, the list is unknown, or the last lookup failed", () => {
    expect(cachedAnswerStands(row("absent", 0), ["README.md", ".packit.yaml"], 1000, DAY)).toBe(false);
    expect(cachedAnswerStands(row("absent", 0), ["packit.yml"], 1000, DAY)).toBe(false);
    expect(cachedAnswerStands(row("absent", 0), [], DAY, DAY)).toBe(false);
    expect(cachedAnswerStands(row("absent", 0), "unknown", 1000, DAY)).toBe(false);
    expect(cachedAnswerStands(row("unknown", 0), [], 1000, DAY)).toBe(false);
    expect(cachedAnswerStands(undefined, [], 1000, DAY)).toBe(false);
  });

  it("reads touched paths from a push, or says unknown when the payload may not list them all", () => {
    expect(pathsTouchedByPush({ commits: [{ added: ["a"], modified: ["b"], removed: ["c"] }, { modified: ["d"] }] })).toEqual([
      "a",
      "b",
      "c",
      "d",
    ]);
    expect(pathsTouchedByPush({ forced: true, commits: [] })).toBe("unknown");
    expect(pathsTouchedByPush({ created: true, commits: [] })).toBe("unknown");
    expect(pathsTouchedByPush({ commits: Array.from({ length: 20 }, () => ({ modified: ["x"] })) })).toBe("unknown");
    expect(pathsTouchedByPush({})).toBe("unknown");
  });
});
