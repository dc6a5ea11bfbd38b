import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ACTIVE_CHROOTS_TTL_MS,
  createCoprChrootReader,
  fetchActiveChroots,
  fetchProjectChroots,
  RETRY_AFTER_MS,
} from "../../../src/backends/copr/chroots.js";
import { FAKE_COPR_MOCK_CHROOTS, startFakeCopr, type FakeCopr } from "../../../testing/fakes/copr.js";

describe("Copr's chroots for the planner", () => {
  let copr: FakeCopr;
  beforeEach(async () => {
    copr = await startFakeCopr({ mockChroots: { "fedora-rawhide-x86_64": "", "epel-10-x86_64": "EPEL 10", _srpm_build: "" } });
  });
  afterEach(() => copr.stop());

  it("reads the active chroots from /api_3/mock-chroots/list, without Copr's internal ones", async () => {
    expect(await fetchActiveChroots({ url: copr.url })).toEqual(new Set(["fedora-rawhide-x86_64", "epel-10-x86_64"]));
    expect(copr.calls.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /api_3/mock-chroots/list"]);
  });

  it("reads a project's chroots, and fails for a project Copr does not have", async () => {
    copr.addProject("@team", "nightly", { chroots: ["fedora-rawhide-x86_64", "fedora-45-aarch64"] });
    expect(await fetchProjectChroots({ url: copr.url }, "@team", "nightly")).toEqual(["fedora-45-aarch64", "fedora-rawhide-x86_64"]);
    await expect(fetchProjectChroots({ url: copr.url }, "@team", "gone")).rejects.toThrow("HTTP 404 Project @team/gone does not exist.");
  });

  it("caches the active chroots for 12 hours and refreshes them in the background after that", async () => {
    let now = 0;
    const reader = createCoprChrootReader({ url: copr.url }, { now: () => now });
    expect((await reader.active()).chroots?.has("epel-10-x86_64")).toBe(true);
    now += ACTIVE_CHROOTS_TTL_MS - 1;
    await reader.active();
    expect(copr.calls).toHaveLength(1);

    // stale: answered at once from the cache while Copr is asked again
    now += 1;
    const stale = await reader.active();
    expect(stale.chroots?.size).toBe(2);
    await expect.poll(() => copr.calls.length).toBe(2);
  });

  it("answers unknown (with why) while Copr cannot be read, and asks again no sooner than a minute later", async () => {
    let now = 0;
    const reader = createCoprChrootReader({ url: copr.url }, { now: () => now });
    copr.faults.failNext = 2;
    const down = await reader.active();
    expect(down.chroots).toBeUndefined();
    expect(down.error).toMatch(/HTTP 500/);
    expect(await reader.project("@team/nightly")).toBeUndefined();
    now += RETRY_AFTER_MS - 1;
    expect((await reader.active()).error).toBe(down.error);
    expect(copr.calls).toHaveLength(2);
    now += 1;
    expect((await reader.active()).chroots?.size).toBe(2);
  });

  it("serves the fake's default list: the chroots of late 2026", async () => {
    const other = await startFakeCopr();
    try {
      const active = await fetchActiveChroots({ url: other.url });
      expect(active.size).toBe(Object.keys(FAKE_COPR_MOCK_CHROOTS).length);
      expect([...active].filter((c) => c.startsWith("fedora-4"))).not.toContain("fedora-43-x86_64");
    } finally {
      await other.stop();
    }
  });
});
