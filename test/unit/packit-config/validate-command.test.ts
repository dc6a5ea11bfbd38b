import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runValidateConfig } from "../../../src/packit-config/validate-command.js";
import { startFakeCopr, type FakeCopr } from "../../../testing/fakes/copr.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/packit-configs");
const dir = mkdtempSync(join(tmpdir(), "validate-config-"));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function run(argv: string[]) {
  const log: string[] = [];
  const error: string[] = [];
  const code = await runValidateConfig(argv, { log: (l) => log.push(l), error: (l) => error.push(l) });
  return { code, log, error, json: () => JSON.parse(log.at(-1) ?? "null") as Record<string, unknown> };
}

const OFFLINE = "Copr's active chroots are unknown here: chroots are checked against the bundled release list";

describe("validate-config", () => {
  it("prints the jobs of the event, those Packit would not run, and the automatic jobs of each event", async () => {
    const { code, log } = await run([join(FIXTURES, "fedora-copr__logdetective__packit.yaml")]);
    expect(code).toBe(0);
    expect(log[0]).toMatch(/valid; 5 job\(s\) for a pull_request event$/);
    expect(log.slice(1, 4)).toEqual([
      "TYPE        TARGET                 CHECK                                AFTER                            NOTES",
      "copr_build  fedora-rawhide-x86_64  rpm-build:fedora-rawhide-x86_64      -",
      "copr_build  fedora-44-x86_64       rpm-build:fedora-44-x86_64           -",
    ]);
    expect(log).toContain("osh_scan    fedora-rawhide-x86_64  osh-diff-scan:fedora-rawhide-x86_64  rpm-build:fedora-rawhide-x86_64");
    expect(log).toContain("automatic jobs: pull_request 5, push 2, release 0");
    expect(log.at(-1)).toBe(`warning: ${OFFLINE}`);
  });

  it("plans for --event push --branch and lists jobs it does not handle", async () => {
    const { code, log } = await run([join(FIXTURES, "packit__ogr__.packit.yaml"), "--event", "push", "--branch", "stable"]);
    expect(code).toBe(0);
    expect(log).toContain("copr_build  fedora-45-aarch64  rpm-build:stable:fedora-45-aarch64  -");
    const main = await run([join(FIXTURES, "packit__ogr__.packit.yaml"), "--event", "push"]);
    expect(main.log).toContain("not handled: koji_build: downstream job, not handled by this service");
  });

  it("with --json ends with one JSON object: the verdict, the jobs with manual and why not run, the counts", async () => {
    const path = file(
      "plan.yaml",
      "jobs:\n  - {job: tests, trigger: pull_request, targets: [fedora-rawhide], skip_build: true, manual_trigger: true}\n" +
        "  - {job: tests, trigger: pull_request, identifier: needs-build, targets: [fedora-rawhide]}\n" +
        "  - {job: copr_build, trigger: commit, targets: [fedora-rawhide, fedora-36], packit_instances: [prod]}\n" +
        "  - {job: copr_build, trigger: commit, identifier: staging, targets: [fedora-rawhide], packit_instances: [stg]}\n",
    );
    const { code, log, json } = await run([path, "--json"]);
    expect(code).toBe(0);
    expect(log).toContain(
      "tests  fedora-rawhide-x86_64  testing-farm:fedora-rawhide-x86_64:needs-build  -      not run: needs a build job (no copr_build job for the pull_request trigger)",
    );
    const common = { after: null, detail: null, needsApproval: null };
    expect(json()).toEqual({
      valid: true,
      verdict: "valid",
      event: "pull_request",
      jobs: [
        {
          type: "tests",
          target: "fedora-rawhide-x86_64",
          check: "testing-farm:fedora-rawhide-x86_64",
          manual: true,
          runs: true,
          notRun: null,
          ...common,
        },
        {
          type: "tests",
          target: "fedora-rawhide-x86_64",
          check: "testing-farm:fedora-rawhide-x86_64:needs-build",
          manual: false,
          runs: false,
          notRun: "needs a build job",
          ...common,
          detail: "no copr_build job for the pull_request trigger",
        },
      ],
      automaticJobs: { pull_request: 0, push: 1, release: 0 },
      notHandled: [],
      warnings: [OFFLINE],
    });
    const push = await run([path, "--json", "--event", "push"]);
    expect((push.json().jobs as { check: string; notRun: string | null }[]).map((j) => [j.check, j.notRun])).toEqual([
      ["rpm-build:main:fedora-rawhide-x86_64", null],
      ["rpm-build:main:fedora-36-x86_64", "chroot inactive"],
      ["rpm-build:main:fedora-rawhide-x86_64:staging", "other instance"],
    ]);
    // the staging instance runs what prod does not
    const stg = await run([path, "--json", "--event", "push", "--instance", "stg"]);
    expect(stg.json().automaticJobs).toEqual({ pull_request: 0, push: 1, release: 0 });
    expect((stg.json().jobs as { check: string; runs: boolean }[]).filter((j) => j.runs).map((j) => j.check)).toEqual([
      "rpm-build:main:fedora-rawhide-x86_64:staging",
    ]);
  });

  it("exits 1 on an invalid config with Packit's verdict: every message with its line, in text and JSON", async () => {
    const path = file("bad.yaml", "synced_files: [a]\njobs:\n  - job: copr_build\n    trigger: sometimes\n");
    const text = await run([path]);
    expect(text.code).toBe(1);
    expect(text.error).toEqual([
      `invalid: ${path}: synced_files: Unknown field. (removed from Packit (d03bbd0d); use files_to_sync) (line 1, column 1)`,
      "jobs[0].trigger: Must be one of: release, pull_request, commit, koji_build, ignore. (got 'sometimes') (line 4)",
    ]);
    const { code, json } = await run([path, "--json"]);
    expect(code).toBe(1);
    expect(json()).toEqual({
      valid: false,
      verdict: "invalid",
      messages: [
        { message: "synced_files: Unknown field. (removed from Packit (d03bbd0d); use files_to_sync)", line: 1, column: 1 },
        {
          message: "jobs[0].trigger: Must be one of: release, pull_request, commit, koji_build, ignore. (got 'sometimes')",
          line: 4,
          column: 5,
        },
      ],
      error: { message: text.error.join("\n"), line: 1, column: 1 },
    });
  });

  it("exits 1 on YAML syntax errors and unreadable files", async () => {
    const syntax = await run([file("syntax.yaml", "jobs: [\n"), "--json"]);
    expect(syntax.code).toBe(1);
    expect(syntax.json()).toMatchObject({
      valid: false,
      verdict: "invalid",
      messages: [{ line: 2, column: 1 }],
      error: { line: 2, column: 1 },
    });
    const missing = await run([join(dir, "missing.yaml"), "--json"]);
    expect(missing.code).toBe(1);
    expect(missing.json()).toMatchObject({ valid: false, error: { line: null, column: null } });
  });

  it("exits 2 on bad arguments", async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(["a.yaml", "b.yaml"])).code).toBe(2);
    expect((await run(["a.yaml", "--event", "merge"])).error[0]).toBe('unknown event "merge"');
    expect((await run(["a.yaml", "--instance", "qa"])).error[0]).toBe('unknown instance "qa"');
    const unknown = await run(["a.yaml", "--frobnicate", "--json"]);
    expect(unknown.code).toBe(2);
    expect(unknown.json()).toMatchObject({ valid: false });
  });
});

describe("validate-config --copr asks a Copr for its active chroots and a custom project's chroots", () => {
  let copr: FakeCopr;
  beforeAll(async () => {
    copr = await startFakeCopr({ mockChroots: { "fedora-rawhide-x86_64": "", "fedora-45-x86_64": "", _internal: "" } });
    copr.addProject("@team", "nightly", { chroots: ["fedora-rawhide-x86_64", "fedora-44-x86_64"] });
  });
  afterAll(() => copr.stop());

  it("plans against what Copr answers, without the offline warning", async () => {
    const path = file(
      "copr.yaml",
      "jobs:\n  - {job: copr_build, trigger: pull_request, targets: [fedora-all]}\n  - {job: copr_build, trigger: commit, owner: '@team', project: nightly}\n",
    );
    const { json } = await run([path, "--json", "--copr", copr.url]);
    expect((json().jobs as { check: string; notRun: string | null }[]).map((j) => [j.check, j.notRun])).toEqual([
      ["rpm-build:fedora-45-x86_64", null],
      ["rpm-build:fedora-rawhide-x86_64", null],
      // the commit build into main gives the differential scan its base
      ["osh-diff-scan:fedora-rawhide-x86_64", null],
      ["rpm-build:fedora-44-x86_64", "chroot inactive"],
    ]);
    // the push builds in what @team/nightly has and Copr offers: fedora-rawhide
    expect(json().automaticJobs).toEqual({ pull_request: 3, push: 1, release: 0 });
    expect(json().warnings).toEqual([]);
  });
});
