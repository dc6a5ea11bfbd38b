import { describe, expect, it } from "vitest";
import { runDemo } from "../../testing/demo/main.js";

describe("demo: the whole scenario in-process", () => {
  it("plays every step as expected and sums up checks, requests, cancellations and submissions", async () => {
    const lines: string[] = [];
    const summary = await runDemo({ json: true, log: (l) => lines.push(l) });

    expect(summary.failure, lines.join("\n")).toBeUndefined();
    expect(summary.ok).toBe(true);
    expect(summary.steps).toBe(20);
    // 20 steps and 3 approval scenarios.
    expect(lines.filter((l) => /^\[ *[\d.]+s\] ✔ /.test(l))).toHaveLength(23);
    expect(JSON.parse(lines.at(-1)!)).toEqual(summary);
    // Every step and the approval scenarios, each ok.
    expect(summary.scenarios).toHaveLength(23);
    expect(summary.scenarios.slice(20)).toEqual([
      { name: "outside contributor waits for approval", ok: true },
      { name: "approval by a non-maintainer refused", ok: true },
      { name: "installation waits for operator approval", ok: true },
    ]);
    expect(summary.scenarios.every((x) => x.ok)).toBe(true);

    // acme/widget: two heads of one PR with 6 checks each, and a manual test on the second; the superseded and cancelled ones end "cancelled", never "failure".
    // A re-run is a new check run: the two re-runs of a cancelled test leave the cancelled runs as they were (4 + 2).
    // acme/gadget: the main branch build, then the PR's build, scan and (on request) VM image — all "success".
    expect(summary.checks).toEqual({ success: 13, cancelled: 6 });
    // Supersede (3) + /packit cancel (2) + Cancel button (1) cancelled; a finished job (1); Koji refusing (1).
    expect(summary.cancellations).toEqual({ "0": 6, "1": 1, "2": 0, "3": 1 });
    // Every backend is used: widget's builds, tests and Koji builds; gadget's two Copr builds, one OpenScanHub scan and one compose.
    expect(summary.submissions).toEqual({ copr: 6, "testing-farm": 6, koji: 4, "image-builder": 1, openscanhub: 1 });
    expect(summary.github_requests).toBeGreaterThan(20);
    expect(summary.elapsed_ms).toBeLessThan(60_000);

    // The second push to the unconfigured repository cost nothing.
    expect(lines.some((l) => l.includes("0 GitHub API requests"))).toBe(true);
  }, 60_000);
});
