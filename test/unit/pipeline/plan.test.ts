/** The planner: which jobs an event runs, and with which targets. */
import { describe, expect, it } from "vitest";
import { NEEDS_BUILD_TITLE } from "../../../src/pipeline/plan.js";
import { ACTIVE, PR, PUSH_MAIN, plan, rows, notRun } from "../../support/plan.js";

describe("tests need a build job (packit-service IsCoprBuildDefined, #2785)", () => {
  it("without a copr_build job for the trigger, plans no build and reports the test checks neutral, in Packit's words", () => {
    const text =
      "jobs:\n  - {job: tests, trigger: pull_request, targets: [fedora-rawhide, epel-9]}\n  - {job: tests, trigger: pull_request, identifier: m, manual_trigger: true}\n";
    const result = plan(text, PR);
    expect(result.jobs).toEqual([]);
    expect(notRun(result)).toEqual([
      "testing-farm:fedora-rawhide-x86_64: needs a build job",
      "testing-farm:centos-stream-9-x86_64: needs a build job",
      "testing-farm:fedora-44-x86_64:m: needs a build job",
      "testing-farm:fedora-45-x86_64:m: needs a build job",
    ]);
    expect(result.notRun[0]!.neutralCheck).toEqual({
      title: "Test job requires build job definition in the configuration.",
      summary:
        "Make sure you have a `copr_build` job defined with trigger `pull_request`.\n\nFor more info, please check out [the documentation](https://packit.dev/docs/configuration/upstream/tests).\n\n",
    });
    expect(NEEDS_BUILD_TITLE).toBe(result.notRun[0]!.neutralCheck!.title);
    // Packit does not consider manual jobs on the event: no check for them
    expect(result.notRun.slice(2).map((n) => [n.manualTrigger, n.neutralCheck])).toEqual([
      [true, undefined],
      [true, undefined],
    ]);
  });

  it("builds only the build job's targets: a test on a chroot it does not build is not run", () => {
    const text = `
jobs:
  - {job: copr_build, trigger: pull_request, targets: [fedora-rawhide]}
  - {job: tests, trigger: pull_request, targets: [fedora-rawhide, fedora-45]}
`;
    const result = plan(text, PR);
    expect(rows(result)).toEqual([
      "rpm-build:fedora-rawhide-x86_64",
      "testing-farm:fedora-rawhide-x86_64 <- rpm-build:fedora-rawhide-x86_64",
    ]);
    expect(result.notRun).toEqual([
      {
        type: "tests",
        target: "fedora-45-x86_64",
        checkName: "testing-farm:fedora-45-x86_64",
        reason: "not built by its build job",
        detail: "its build job, jobs[0], does not build for fedora-45-x86_64",
        manualTrigger: false,
      },
    ]);
  });

  it("a tests job without targets tests the build job's targets; internal TF maps EPEL to RHEL", () => {
    const text = `
jobs:
  - {job: copr_build, trigger: pull_request, targets: [epel-8, fedora-rawhide-aarch64]}
  - {job: tests, trigger: pull_request, use_internal_tf: true}
`;
    expect(rows(plan(text, PR))).toEqual([
      "rpm-build:epel-8-x86_64",
      "rpm-build:fedora-rawhide-aarch64",
      "testing-farm:rhel-8-x86_64 <- rpm-build:epel-8-x86_64",
      "testing-farm:fedora-rawhide-aarch64 <- rpm-build:fedora-rawhide-aarch64",
    ]);
  });

  it("a test waits for the first build job of its trigger (Packit's job_build), and a manual build makes it wait for a command", () => {
    const text = `
jobs:
  - {job: copr_build, trigger: pull_request, manual_trigger: true, targets: [fedora-44, fedora-45]}
  - {job: copr_build, trigger: pull_request, identifier: other, targets: [fedora-44]}
  - {job: tests, trigger: pull_request, targets: [fedora-44], cancel_superseded: false}
`;
    const result = plan(text, PR);
    expect(result.jobs.map((j) => [j.key, j.after ?? "-", j.manualTrigger, j.cancelSuperseded])).toEqual([
      ["rpm-build:fedora-44-x86_64", "-", true, false],
      ["rpm-build:fedora-45-x86_64", "-", true, true],
      ["rpm-build:fedora-44-x86_64:other", "-", false, true],
      ["testing-farm:fedora-44-x86_64", "rpm-build:fedora-44-x86_64", true, false],
    ]);
  });

  it("tests with skip_build need no build job", () => {
    const result = plan("packit__packit-service__.packit.yaml", PR);
    expect(result.jobs).toEqual([
      {
        key: "testing-farm:fedora-45-x86_64",
        type: "tests",
        backend: "testing-farm",
        target: "fedora-45-x86_64",
        checkName: "testing-farm:fedora-45-x86_64",
        package: "packit-service",
        manualTrigger: false,
        cancelSuperseded: true,
        options: {
          tf_extra_params: { environments: [{ os: null }] },
          skip_build: true,
          build_target: "fedora-45-x86_64",
          distro: "fedora-45",
          arch: "x86_64",
        },
      },
    ]);
  });
});

describe("every matching job config runs (packit-service jobs.py)", () => {
  it("two builds that differ only in their Copr project are two jobs, with distinct check names", () => {
    const text = `
jobs:
  - {job: copr_build, trigger: commit, targets: [fedora-rawhide], owner: "@team", project: nightly}
  - {job: copr_build, trigger: commit, targets: [fedora-rawhide], owner: "@team", project: stable-preview}
`;
    const result = plan(text, PUSH_MAIN);
    expect(rows(result)).toEqual(["rpm-build:main:fedora-rawhide-x86_64", "rpm-build:main:fedora-rawhide-x86_64:@team/stable-preview"]);
    expect(result.jobs.map((j) => j.options.project)).toEqual(["nightly", "stable-preview"]);
  });

  it("jobs that would share a check name otherwise are told apart by their place in jobs:", () => {
    const text =
      "jobs:\n  - {job: copr_build, trigger: pull_request, targets: [fedora-45]}\n  - {job: copr_build, trigger: pull_request, targets: [fedora-latest, fedora-44], enable_net: true}\n";
    expect(rows(plan(text, PR))).toEqual([
      "rpm-build:fedora-45-x86_64",
      "rpm-build:fedora-45-x86_64:jobs[1]",
      "rpm-build:fedora-44-x86_64",
    ]);
  });

  it("tests without `packages:` in a monorepo run once per package, each after its own build", () => {
    const text = `
packages:
  a: {specfile_path: a.spec}
  b: {specfile_path: b.spec}
jobs:
  - {job: copr_build, trigger: pull_request, targets: [fedora-rawhide]}
  - {job: tests, trigger: pull_request}
`;
    expect(rows(plan(text, PR))).toEqual([
      "rpm-build:fedora-rawhide-x86_64:a",
      "rpm-build:fedora-rawhide-x86_64:b",
      "testing-farm:fedora-rawhide-x86_64:a <- rpm-build:fedora-rawhide-x86_64:a",
      "testing-farm:fedora-rawhide-x86_64:b <- rpm-build:fedora-rawhide-x86_64:b",
    ]);
  });
});

describe("targets against Copr's active chroots (packit copr_helper.get_valid_build_targets)", () => {
  const text =
    "jobs:\n  - {job: copr_build, trigger: pull_request, targets: [fedora-rawhide, fedora-36, centos-stream-8, centos-stream-9]}\n";

  it("does not plan chroots Copr does not offer, and says why", () => {
    const result = plan(text, PR);
    expect(rows(result)).toEqual(["rpm-build:fedora-rawhide-x86_64", "rpm-build:centos-stream-9-x86_64"]);
    expect(notRun(result)).toEqual(["rpm-build:fedora-36-x86_64: chroot inactive", "rpm-build:centos-stream-8-x86_64: chroot inactive"]);
    expect(result.warnings).toEqual([]);
  });

  it("falls back to the bundled release list, with a warning, when Copr's list is unknown", () => {
    const result = plan(text, PR, {});
    expect(rows(result)).toEqual(["rpm-build:fedora-rawhide-x86_64", "rpm-build:centos-stream-9-x86_64"]);
    expect(result.warnings).toEqual(["Copr's active chroots are unknown here: chroots are checked against the bundled release list"]);
  });
});

describe("a custom Copr project without targets builds in the project's chroots (copr_build.py)", () => {
  const text =
    "jobs:\n  - {job: copr_build, trigger: commit, owner: '@cockpit', project: main-builds}\n  - {job: copr_build, trigger: release, owner: packit}\n";

  it("uses the chroots Copr has for the project, intersected with the active ones", () => {
    const chroots = new Map([["@cockpit/main-builds", ["fedora-45-x86_64", "fedora-rawhide-aarch64", "fedora-39-x86_64"]]]);
    const result = plan(text, PUSH_MAIN, { activeChroots: ACTIVE, coprProjectChroots: chroots });
    expect(rows(result)).toEqual(["rpm-build:main:fedora-45-x86_64", "rpm-build:main:fedora-rawhide-aarch64"]);
    expect(notRun(result)).toEqual(["rpm-build:main:fedora-39-x86_64: chroot inactive"]);
  });

  it("says so when the project's chroots are unknown, instead of inventing fedora-stable", () => {
    const result = plan(text, PUSH_MAIN);
    expect(result.jobs).toEqual([]);
    expect(result.notHandled).toEqual([
      { type: "copr_build", reason: "jobs[0]: builds in the chroots of the Copr project @cockpit/main-builds, which are unknown here" },
    ]);
    // Packit's own namespace is no custom project: fedora-stable
    expect(rows(plan(text, { trigger: "release", defaultBranch: "main", tag: "1.0" }))).toEqual([
      "rpm-build:1.0:fedora-44-x86_64",
      "rpm-build:1.0:fedora-45-x86_64",
    ]);
  });
});
