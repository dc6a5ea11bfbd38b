import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_RELEASES } from "../../../src/packit-config/aliases.js";
import { parsePackitConfig, type PackitConfig } from "../../../src/packit-config/parse.js";
import { branchMatches, NEEDS_BUILD_TITLE, planJobs, type Plan, type PlanEvent, type PlanInputs } from "../../../src/pipeline/plan.js";
import { FAKE_COPR_MOCK_CHROOTS } from "../../../testing/fakes/copr.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/packit-configs");
/** Copr's active chroots in late 2026, as the fake Copr lists them. */
const ACTIVE: ReadonlySet<string> = new Set(Object.keys(FAKE_COPR_MOCK_CHROOTS));

function config(source: string): PackitConfig {
  const text = source.includes("\n") ? source : readFileSync(join(FIXTURES, source), "utf8");
  const result = parsePackitConfig(text);
  if (!result.ok) throw result.error;
  return result.config;
}

const PR: PlanEvent = { trigger: "pull_request", branch: "main", defaultBranch: "main" };
const PUSH_MAIN: PlanEvent = { trigger: "push", branch: "main", defaultBranch: "main" };

/** Plan (against Copr's active chroots unless told otherwise), checking the invariants every plan must keep. */
function plan(source: string, event: PlanEvent, inputs: PlanInputs = { activeChroots: ACTIVE }): Plan {
  const result = planJobs(config(source), event, DEFAULT_RELEASES, inputs);
  const seen = new Set<string>();
  for (const job of result.jobs) {
    expect(job.key).toBe(job.checkName);
    expect(seen.has(job.key), `duplicate key ${job.key}`).toBe(false);
    // dependencies come first
    if (job.after) expect(seen.has(job.after), `${job.key} waits for unknown ${job.after}`).toBe(true);
    seen.add(job.key);
  }
  return result;
}

/** `key` or `key <- after`, in plan order. */
function rows(result: Plan): string[] {
  return result.jobs.map((j) => (j.after ? `${j.key} <- ${j.after}` : j.key));
}

/** `check: reason`, for what would not run. */
function notRun(result: Plan): string[] {
  return result.notRun.map((n) => `${n.checkName}: ${n.reason}`);
}

const DOWNSTREAM = "downstream job, not handled by this service";

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

describe("names, instances and dist-git branch names", () => {
  it("status_name_template names checks with job_name, chroot, event, identifier and package", () => {
    const text = `
jobs:
  - job: copr_build
    trigger: commit
    targets: [fedora-rawhide]
    status_name_template: "{job_name}/{event}/{chroot}/{identifier}/{package}"
  - job: tests
    trigger: commit
    identifier: unit
    status_name_template: "{identifier!r} on {chroot}"
    targets: [fedora-rawhide]
`;
    const result = plan(text, { ...PUSH_MAIN, branch: "main" });
    expect(rows(result)).toEqual([
      "rpm-build/main/fedora-rawhide-x86_64/None/",
      "'unit' on fedora-rawhide-x86_64 <- rpm-build/main/fedora-rawhide-x86_64/None/",
    ]);
  });

  it("falls back to the default check name when the template cannot be formatted", () => {
    const text =
      "jobs:\n  - {job: copr_build, trigger: pull_request, targets: [fedora-rawhide], status_name_template: '{build}-{chroot}'}\n";
    const result = plan(text, PR);
    expect(rows(result)).toEqual(["rpm-build:fedora-rawhide-x86_64"]);
    expect(result.warnings).toEqual([
      "jobs[0].status_name_template: cannot be formatted (KeyError: 'build'); the default check name is used",
    ]);
  });

  it("runs a job only on the instances in its packit_instances, and says why not", () => {
    const text =
      "jobs:\n  - {job: copr_build, trigger: pull_request, targets: [fedora-rawhide], packit_instances: [stg]}\n  - {job: tests, trigger: pull_request, skip_build: true, targets: [fedora-rawhide]}\n";
    const prod = plan(text, PR);
    expect(rows(prod)).toEqual(["testing-farm:fedora-rawhide-x86_64"]);
    expect(prod.notRun.map((n) => [n.checkName, n.reason, n.detail])).toEqual([
      ["rpm-build:fedora-rawhide-x86_64", "other instance", "packit_instances: [stg]"],
    ]);
    const stg = plan(text, PR, { activeChroots: ACTIVE, instance: "stg" });
    expect(rows(stg)).toEqual(["rpm-build:fedora-rawhide-x86_64"]);
    expect(notRun(stg)).toEqual(["testing-farm:fedora-rawhide-x86_64: other instance"]);
  });

  it("maps dist-git branch names as Packit does: Copr refuses f44/epel10/eln (the whole job), Koji takes them as targets", () => {
    const text =
      "jobs:\n  - {job: copr_build, trigger: pull_request, targets: [rawhide, f44]}\n  - {job: upstream_koji_build, trigger: pull_request, targets: [f44, epel10, eln, rawhide]}\n";
    const result = plan(text, PR);
    expect(rows(result)).toEqual(["koji-build:f44", "koji-build:epel10", "koji-build:eln", "koji-build:rawhide"]);
    expect(result.notHandled).toEqual([
      {
        type: "copr_build",
        reason: expect.stringMatching(/^jobs\[0\]: Cannot get build target from 'f44', packit understands values like these: /),
      },
    ]);
    expect(rows(plan("jobs:\n  - {job: copr_build, trigger: pull_request, targets: [rawhide]}\n", PR))).toEqual([
      "rpm-build:fedora-rawhide-x86_64",
    ]);
  });

  it("builds EPEL 10 minors in epel-10 (leading) and rhel+epel-10 (trailing); Packit has no Testing Farm default for the latter", () => {
    const result = plan("packit__packit__.packit.yaml", PR);
    expect(rows(result)).toEqual([
      "rpm-build:fedora-44-x86_64",
      "rpm-build:fedora-45-x86_64",
      "rpm-build:fedora-rawhide-x86_64",
      "rpm-build:fedora-44-aarch64",
      "rpm-build:fedora-45-aarch64",
      "rpm-build:fedora-rawhide-aarch64",
      "rpm-build:rhel+epel-10-x86_64",
      "rpm-build:epel-10-x86_64",
      "testing-farm:fedora-44-x86_64 <- rpm-build:fedora-44-x86_64",
      "testing-farm:fedora-45-x86_64 <- rpm-build:fedora-45-x86_64",
      "testing-farm:fedora-rawhide-x86_64 <- rpm-build:fedora-rawhide-x86_64",
      "testing-farm:rhel+epel-10-x86_64 <- rpm-build:rhel+epel-10-x86_64",
      "testing-farm:centos-stream-10-x86_64 <- rpm-build:epel-10-x86_64",
      "osh-diff-scan:fedora-rawhide-x86_64 <- rpm-build:fedora-rawhide-x86_64",
    ]);
  });
});

describe("real configs", () => {
  it("cockpit: dict targets with distros, identifiers, a revdeps test its build does not cover, the scan", () => {
    const result = plan("cockpit-project__cockpit__packit.yaml", PR);
    expect(rows(result)).toContain("testing-farm:CentOS-Stream-9-image-mode-x86_64:self <- rpm-build:centos-stream-9-x86_64");
    expect(rows(result).at(-1)).toBe("osh-diff-scan:fedora-rawhide-x86_64 <- rpm-build:fedora-rawhide-x86_64");
    expect(notRun(result)).toEqual([
      "rpm-build:fedora-43-x86_64: chroot inactive",
      "testing-farm:fedora-43-x86_64:self: chroot inactive",
      "testing-farm:fedora-45-x86_64:revdeps: not built by its build job",
    ]);
    expect(result.jobs.find((j) => j.key === "testing-farm:CentOS-Stream-9-image-mode-x86_64:self")?.options).toEqual({
      skip_build: false,
      build_target: "centos-stream-9-x86_64",
      distro: "CentOS-Stream-9-image-mode",
      arch: "x86_64",
    });
    expect(result.jobs.at(-1)!.options).toMatchObject({ base_branch: "main", base_owner: "@cockpit", base_project: "main-builds" });
  });

  it("dnf5: a monorepo with identifiers, a manual test job and a build limited to PRs into main", () => {
    const result = plan("rpm-software-management__dnf5__.packit.yaml", PR);
    expect(result.jobs.filter((j) => j.type === "copr_build").map((j) => j.key)).toEqual([
      "rpm-build:fedora-44-x86_64:dnf5",
      "rpm-build:fedora-45-x86_64:dnf5",
      "rpm-build:fedora-rawhide-x86_64:dnf5",
      "rpm-build:fedora-eln-x86_64:dnf5",
      "rpm-build:fedora-rawhide-x86_64:WITH_MODULEMD=OFF",
    ]);
    expect(result.jobs.filter((j) => j.manualTrigger).map((j) => j.key)).toEqual(
      ["44", "45", "rawhide"].map((f) => `testing-farm:fedora-${f}-x86_64:dnf-tests`),
    );
    expect(
      plan("rpm-software-management__dnf5__.packit.yaml", { ...PR, branch: "dnf-4-stack" }).jobs.some((j) =>
        j.key.includes("WITH_MODULEMD"),
      ),
    ).toBe(false);
    expect(plan("rpm-software-management__dnf5__.packit.yaml", PUSH_MAIN).notHandled).toEqual([
      { type: "koji_build", reason: DOWNSTREAM },
      { type: "bodhi_update", reason: DOWNSTREAM },
    ]);
  });

  it("mock: require.label gates pull-request jobs on the PR's labels", () => {
    const file = "rpm-software-management__mock__.packit.yaml";
    const blocked = plan(file, { ...PR, labels: ["no-ci-builds", "bug"] });
    expect(blocked.jobs).toEqual([]);
    const reason = "pull request labels do not satisfy require.label (present: [], absent: [no-ci-builds])";
    expect(blocked.notHandled).toEqual([
      { type: "copr_build", reason },
      { type: "tests", reason },
    ]);
    expect(rows(plan(file, { ...PR, labels: ["bug"] }))).toContain("testing-farm:fedora-45-x86_64:mock <- rpm-build:fedora-45-x86_64:mock");
  });

  it("buildah: trigger ignore never runs, osh_diff_scan_after_copr_build: false disables the scan", () => {
    const result = plan("containers__buildah__.packit.yaml", PR);
    expect(result.jobs.every((j) => j.package === "buildah-fedora" && j.type !== "osh_scan")).toBe(true);
  });
});

describe("rules kept from before", () => {
  it("job labels group jobs for /packit test --labels but do not gate automatic runs", () => {
    const text = "jobs:\n  - {job: tests, trigger: pull_request, skip_build: true, targets: [fedora-rawhide], labels: [regression]}\n";
    expect(plan(text, { ...PR, labels: [] }).jobs.map((j) => [j.key, j.labels])).toEqual([
      ["testing-farm:fedora-rawhide-x86_64", ["regression"]],
    ]);
  });

  it("plans vm_image_build on request only, after the build of its Copr chroot", () => {
    const text = `
jobs:
  - {job: copr_build, trigger: pull_request, targets: [fedora-rawhide], osh_diff_scan_after_copr_build: false}
  - {job: vm_image_build, trigger: pull_request, image_distribution: fedora-rawhide, copr_chroot: fedora-rawhide-x86_64, image_request: {architecture: x86_64}}
  - {job: vm_image_build, trigger: pull_request, image_distribution: fedora-45}
`;
    const result = plan(text, PR);
    expect(result.jobs[1]).toMatchObject({
      key: "vm-image-build:fedora-rawhide-x86_64",
      after: "rpm-build:fedora-rawhide-x86_64",
      manualTrigger: true,
    });
    expect(result.notHandled).toEqual([{ type: "vm_image_build", reason: "jobs[2]: vm_image_build needs copr_chroot" }]);
  });

  it("scans only pull requests whose target branch has a commit build job", () => {
    const file = "fedora-copr__logdetective__packit.yaml";
    expect(rows(plan(file, PR)).at(-1)).toBe("osh-diff-scan:fedora-rawhide-x86_64 <- rpm-build:fedora-rawhide-x86_64");
    expect(plan(file, { ...PR, branch: "release-1" }).jobs.some((j) => j.type === "osh_scan")).toBe(false);
  });

  it("puts a release tag into check names with ':' replaced", () => {
    const text = "jobs:\n  - {job: copr_build, trigger: release, targets: [fedora-45]}\n";
    expect(rows(plan(text, { trigger: "release", defaultBranch: "main", tag: "v1:2" }))).toEqual(["rpm-build:v1-2:fedora-45-x86_64"]);
  });

  it("is deterministic", () => {
    expect(plan("containers__skopeo__.packit.yaml", PR)).toEqual(plan("containers__skopeo__.packit.yaml", PR));
  });
});

describe("branchMatches (Packit: re.match, anchored at the start only)", () => {
  it.each([
    ["main", "main", true],
    ["main", "mainline", true],
    ["^main$", "mainline", false],
    ["release-.*", "release-1.2", true],
    ["stable", "main", false],
    ["release-(", "release-(", true],
  ])("%s vs %s", (pattern, branch, expected) => {
    expect(branchMatches(pattern, branch)).toBe(expected);
  });
});
