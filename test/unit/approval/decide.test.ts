import { describe, expect, it } from "vitest";
import {
  APPROVAL_FLOOR,
  decideActor,
  installationGate,
  isBot,
  needsApproval,
  splitHeld,
  throttleDecision,
  type ActorFacts,
} from "../../../src/approval/decide.js";
import { parseSettings } from "../../../src/settings.js";

describe("installationGate", () => {
  it("holds a new installation by default, approves listed accounts (any case) and everything when open; a denial stands", () => {
    expect(installationGate({ login: "acme", approval: "waiting" }, [])).toBe("waiting");
    expect(installationGate({ login: "ACME", approval: "waiting" }, ["acme"])).toBe("approved");
    expect(installationGate({ login: "other", approval: "waiting" }, ["acme"])).toBe("waiting");
    expect(installationGate({ login: "other", approval: "waiting" }, "open")).toBe("approved");
    expect(installationGate({ login: "acme", approval: "approved" }, [])).toBe("approved");
    expect(installationGate({ login: "acme", approval: "denied" }, ["acme"])).toBe("denied");
    expect(installationGate({ login: "acme", approval: "denied" }, "open")).toBe("denied");
  });

  it("is gated by default in the settings", () => {
    expect(parseSettings({}).approval.installations).toEqual([]);
  });
});

describe("needsApproval and Packit's floor", () => {
  it("by default every job type needs approval", () => {
    const all = parseSettings({}).approval.pullRequestJobs;
    for (const t of ["copr_build", "tests", "upstream_koji_build", "vm_image_build", "osh_scan"]) expect(needsApproval(t, all)).toBe(true);
  });

  it("the setting cannot lower the floor: tests, Koji builds and VM images always need write permission", () => {
    expect(APPROVAL_FLOOR).toEqual(["tests", "upstream_koji_build", "vm_image_build"]);
    for (const t of APPROVAL_FLOOR) expect(needsApproval(t, [])).toBe(true);
    expect(needsApproval("copr_build", [])).toBe(false);
    expect(needsApproval("osh_scan", ["copr_build"])).toBe(false);
  });

  it("splitHeld holds what waits and what waits for it; all=true holds everything", () => {
    const jobs = [
      { key: "build", type: "copr_build" },
      { key: "test", type: "tests", after: "build" },
      { key: "scan", type: "osh_scan", after: "build" },
    ];
    expect(splitHeld(jobs, []).held.map((j) => j.key)).toEqual(["test"]);
    expect(splitHeld(jobs, ["copr_build"]).held.map((j) => j.key)).toEqual(["build", "test", "scan"]);
    expect(splitHeld(jobs, [], true).free).toEqual([]);
  });
});

describe("decideActor: who may do what", () => {
  const actor = (o: Partial<ActorFacts>): ActorFacts => ({ login: "u", permission: "read", isPrAuthor: false, headApproved: false, ...o });

  it("users with write, maintain or admin may do everything", () => {
    for (const permission of ["write", "maintain", "admin"] as const)
      for (const a of ["command:cancel", "command:run", "command:approve", "button:cancel", "button:rerun", "button:approve"] as const)
        expect(decideActor(actor({ permission }), a)).toEqual({ allowed: true });
  });

  it("bots never act, whatever their permission", () => {
    expect(isBot({ login: "packit-sim[bot]" })).toBe(true);
    expect(isBot({ login: "x", type: "Bot" })).toBe(true);
    expect(decideActor(actor({ login: "renovate[bot]", permission: "admin" }), "command:cancel")).toEqual({ allowed: false, why: "bot" });
  });

  it("a PR author without write may cancel and ask for help, run jobs only at an approved head, never approve or press buttons", () => {
    const author = actor({ isPrAuthor: true });
    expect(decideActor(author, "command:cancel").allowed).toBe(true);
    expect(decideActor(author, "command:help").allowed).toBe(true);
    expect(decideActor(author, "command:run")).toEqual({ allowed: false, why: "needs-approval" });
    expect(decideActor({ ...author, headApproved: true }, "command:run").allowed).toBe(true);
    expect(decideActor(author, "command:approve")).toEqual({ allowed: false, why: "no-write" });
    expect(decideActor(author, "button:approve").allowed).toBe(false);
    expect(decideActor(author, "button:cancel").allowed).toBe(false);
  });

  it("anyone else without write, or whose permission could not be read, may do nothing", () => {
    for (const permission of ["read", "triage", "none", "unknown"] as const)
      for (const a of ["command:cancel", "command:run", "command:approve", "button:approve"] as const)
        expect(decideActor(actor({ permission }), a).allowed).toBe(false);
  });
});

describe("throttleDecision", () => {
  it("lets `limit` commands through per window, refuses the rest and replies only to the first refused", () => {
    let times: number[] = [];
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const d = throttleDecision(times, 1000 + i, 2, 60_000);
      times = d.recent;
      answers.push([d.allowed, d.reply]);
    }
    expect(answers).toEqual([
      [true, false],
      [true, false],
      [false, true],
      [false, false],
      [false, false],
    ]);
    // After the window, commands pass again.
    expect(throttleDecision(times, 1000 + 61_000, 2, 60_000).allowed).toBe(true);
  });
});
