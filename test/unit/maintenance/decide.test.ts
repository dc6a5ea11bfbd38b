import { describe, expect, it } from "vitest";
import { sweepDecision, type InstallationFacts } from "../../../src/maintenance/decide.js";
import { parseSettings } from "../../../src/settings.js";

const DAY = 86_400_000;
const NOW = 100 * DAY;
const m = (over: Record<string, unknown> = {}) => parseSettings({ maintenance: over }).maintenance;
const inst = (over: Partial<InstallationFacts> = {}): InstallationFacts => ({
  id: 7,
  login: "acme",
  createdAt: NOW - 40 * DAY,
  suspendedAt: null,
  repoStates: ["absent", "absent"],
  ...over,
});

describe("sweepDecision", () => {
  it("acts by mode on an old installation none of whose repositories has a config", () => {
    expect(sweepDecision(inst(), NOW, m()).action).toBe("reported");
    expect(sweepDecision(inst(), NOW, m({ mode: "suspend" }))).toEqual({
      action: "suspended",
      reason: "none of 2 repositories has a Packit config",
    });
    expect(sweepDecision(inst(), NOW, m({ mode: "uninstall" })).action).toBe("uninstalled");
  });

  it("keeps an installation with one configured repository, even an invalid config (namespace rule)", () => {
    expect(sweepDecision(inst({ repoStates: ["absent", "present", "absent"] }), NOW, m({ mode: "uninstall" })).action).toBe("kept");
    expect(sweepDecision(inst({ repoStates: ["invalid"] }), NOW, m({ mode: "uninstall" })).action).toBe("kept");
  });

  it("keeps young and allow-listed installations", () => {
    expect(sweepDecision(inst({ createdAt: NOW - 29 * DAY }), NOW, m({ mode: "uninstall" })).action).toBe("kept");
    expect(sweepDecision(inst(), NOW, m({ mode: "uninstall", allowList: ["acme"] })).reason).toBe("allow-listed");
    expect(sweepDecision(inst(), NOW, m({ mode: "uninstall", allowList: [7] })).action).toBe("kept");
  });

  it("skips an installation whose lookups failed or that is already suspended", () => {
    expect(sweepDecision(inst({ repoStates: ["absent", "unknown"] }), NOW, m({ mode: "uninstall" })).action).toBe("skipped");
    expect(sweepDecision(inst({ suspendedAt: NOW - DAY }), NOW, m({ mode: "suspend" })).action).toBe("skipped");
  });
});
