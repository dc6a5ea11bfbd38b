import { describe, expect, it } from "vitest";
import { runDemo } from "../../src/demo/main.js";

describe("demo: the whole scenario in-process", () => {
  it("plays every step as expected and sums up checks, requests, cancellations and submissions", async () => {
    const lines: string[] = [];
    const summary = await runDemo({ json: true, log: (l) => lines.push(l) });

    expect(summary.failure, lines.join("\n")).toBeUndefined();
    expect(summary.ok).toBe(true);
    expect(summary.steps).toBe(17);
    expect(lines.filter((l) => /^\[ *[\d.]+s\] ✔ /.test(l))).toHaveLength(17);
    expect(JSON.parse(lines.at(-1)!)).toEqual(summary);

    // Two heads of one PR with 6 checks each, and a manual test on the second; the superseded and cancelled ones end "cancelled", never "failure".
    expect(summary.checks).toEqual({ success: 9, cancelled: 4 });
    // Supersede (3) + /packit cancel (2) + Cancel button (1) cancelled; a finished job (1); Koji refusing (1).
    expect(summary.cancellations).toEqual({ "0": 6, "1": 1, "2": 0, "3": 1 });
    expect(summary.submissions).toMatchObject({ copr: 4, "testing-farm": 6, koji: 4 });
    expect(summary.github_requests).toBeGreaterThan(20);
    expect(summary.elapsed_ms).toBeLessThan(60_000);

    // The second push to the unconfigured repository cost nothing.
    expect(lines.some((l) => l.includes("0 GitHub API requests"))).toBe(true);
  }, 60_000);
});
