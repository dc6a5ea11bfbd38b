import { describe, expect, it } from "vitest";
import { commandName, parseCommands, type RunCommand } from "../../../src/commands/parse.js";
import { chooseJobsToRun, type LatestRun } from "../../../src/commands/run-plan.js";
import { parsePackitConfig } from "../../../src/packit-config/parse.js";
import { DEFAULT_RELEASES } from "../../../src/packit-config/aliases.js";
import { planJobs } from "../../../src/pipeline/plan.js";
import { MANUAL_JOBS_CONFIG } from "../../support/configs.js";

const run = (text: string): RunCommand => {
  const [cmd] = parseCommands(text).commands;
  if (cmd?.verb !== "run") throw new Error(`not a run command: ${text}`);
  return cmd;
};

describe("run commands", () => {
  it("parses Packit's retrigger words and the tests options", () => {
    expect(run("/packit build")).toEqual({ verb: "run", type: "copr_build", failedOnly: false });
    expect(run("/packit copr-build").type).toBe("copr_build");
    expect(run("/packit rebuild-failed")).toMatchObject({ type: "copr_build", failedOnly: true });
    expect(run("/packit retest-failed")).toMatchObject({ type: "tests", failedOnly: true });
    expect(run("/packit upstream-koji-build").type).toBe("upstream_koji_build");
    expect(run("/packit vm-image-build").type).toBe("vm_image_build");
    expect(run("/packit test --identifier fast --labels a,b")).toMatchObject({ type: "tests", identifier: "fast", labels: ["a", "b"] });
    expect(run("/packit test --id=fast")).toMatchObject({ identifier: "fast" });
    expect(["/packit copr-build", "/packit retest-failed", "/packit vm-image-build"].map((t) => commandName(run(t)))).toEqual([
      "build",
      "retest-failed",
      "vm-image-build",
    ]);
  });

  it("answers a typo instead of running more than was asked", () => {
    for (const text of [
      "/packit test --identifer fast",
      "/packit test --labels",
      "/packit build --identifier x",
      "/packit test acme/other#3",
    ]) {
      expect(parseCommands(text).commands[0]?.verb, text).toBe("unknown");
    }
  });
});

function planOf(yaml: string) {
  const parsed = parsePackitConfig(yaml);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return planJobs(parsed.config, { trigger: "pull_request", branch: "main", defaultBranch: "main" }, DEFAULT_RELEASES).jobs;
}

const RAWHIDE_BUILD = "rpm-build:fedora-rawhide-x86_64";
const F44_BUILD = "rpm-build:fedora-44-x86_64";
const RAWHIDE_TEST = "testing-farm:fedora-rawhide-x86_64";
const F44_TEST = "testing-farm:fedora-44-x86_64";
const SLOW_TEST = "testing-farm:fedora-rawhide-x86_64:slow";

const summary = (sel: ReturnType<typeof chooseJobsToRun>) =>
  sel.jobs.map((j) => [j.key, j.after ?? (j.dependsOnJobId !== undefined ? `#${j.dependsOnJobId}` : null)]);

describe("chooseJobsToRun", () => {
  const plan = planOf(MANUAL_JOBS_CONFIG);
  const latest = (entries: [string, LatestRun][]) => new Map(entries);

  it("/packit build runs every build with the automatic tests waiting for it, not the manual ones", () => {
    const sel = chooseJobsToRun(run("/packit build"), plan, new Map());
    expect(summary(sel)).toEqual([
      [RAWHIDE_BUILD, null],
      [F44_BUILD, null],
      [RAWHIDE_TEST, RAWHIDE_BUILD],
      [F44_TEST, F44_BUILD],
    ]);
    expect(sel.jobs.every((j) => !j.manualTrigger)).toBe(true);
  });

  it("/packit test reuses a build that succeeded, waits for one still running, and rebuilds a failed one", () => {
    const sel = chooseJobsToRun(
      run("/packit test"),
      plan,
      latest([
        [RAWHIDE_BUILD, { id: 1, state: "success" }],
        [F44_BUILD, { id: 2, state: "running" }],
      ]),
    );
    expect(summary(sel)).toEqual([
      [RAWHIDE_TEST, "#1"],
      [F44_TEST, "#2"],
      [SLOW_TEST, "#1"],
    ]);
    const failed = chooseJobsToRun(run("/packit test"), plan, latest([[F44_BUILD, { id: 2, state: "failure" }]]));
    expect(summary(failed)).toContainEqual([F44_TEST, F44_BUILD]);
    expect(summary(failed)).toContainEqual([F44_BUILD, null]);
  });

  it("picks tests by identifier or label, manual ones included", () => {
    const base = latest([[RAWHIDE_BUILD, { id: 1, state: "success" }]]);
    expect(summary(chooseJobsToRun(run("/packit test --identifier slow"), plan, base))).toEqual([[SLOW_TEST, "#1"]]);
    expect(summary(chooseJobsToRun(run("/packit test --labels other,nightly"), plan, base))).toEqual([[SLOW_TEST, "#1"]]);
    expect(chooseJobsToRun(run("/packit test --identifier nope"), plan, base)).toMatchObject({
      jobs: [],
      nothing: "No tests jobs with identifier `nope` in the Packit config.",
    });
  });

  it("retest-failed runs only what failed, and says so when nothing did", () => {
    const sel = chooseJobsToRun(
      run("/packit retest-failed"),
      plan,
      latest([
        [RAWHIDE_BUILD, { id: 1, state: "success" }],
        [F44_BUILD, { id: 2, state: "success" }],
        [RAWHIDE_TEST, { id: 3, state: "failure" }],
        [F44_TEST, { id: 4, state: "success" }],
        [SLOW_TEST, { id: 5, state: "error" }],
      ]),
    );
    expect(summary(sel)).toEqual([
      [RAWHIDE_TEST, "#1"],
      [SLOW_TEST, "#1"],
    ]);
    expect(chooseJobsToRun(run("/packit retest-failed"), plan, latest([[RAWHIDE_TEST, { id: 3, state: "success" }]])).nothing).toMatch(
      /No testing-farm job failed/,
    );
  });

  it("leaves a job that is still running alone and says so", () => {
    const sel = chooseJobsToRun(run("/packit build"), plan, latest([[RAWHIDE_BUILD, { id: 1, state: "submitted" }]]));
    expect(sel.notStarted).toEqual([{ key: RAWHIDE_BUILD, reason: "still running" }]);
    expect(summary(sel)).toEqual([
      [F44_BUILD, null],
      [F44_TEST, F44_BUILD],
    ]);
  });

  it("runs manual Koji builds on request, and explains a type the config does not have", () => {
    expect(summary(chooseJobsToRun(run("/packit upstream-koji-build"), plan, new Map()))).toEqual([["koji-build:rawhide", null]]);
    expect(chooseJobsToRun(run("/packit vm-image-build"), plan, new Map()).nothing).toBe(
      "The Packit config has no vm_image_build jobs for pull requests into this branch.",
    );
  });
});
