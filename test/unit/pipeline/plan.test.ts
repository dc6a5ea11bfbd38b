import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_RELEASES } from "../../../src/packit-config/aliases.js";
import { parsePackitConfig, type PackitConfig } from "../../../src/packit-config/parse.js";
import { branchMatches, planJobs, type Plan, type PlanEvent } from "../../../src/pipeline/plan.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/packit-configs");

function config(source: string): PackitConfig {
  const text = source.includes("\n") ? source : readFileSync(join(FIXTURES, source), "utf8");
  const result = parsePackitConfig(text);
  if (!result.ok) throw result.error;
  return result.config;
}

const PR: PlanEvent = { trigger: "pull_request", branch: "main", defaultBranch: "main" };
const PUSH_MAIN: PlanEvent = { trigger: "push", branch: "main", defaultBranch: "main" };

/** Plan, checking the invariants every plan must keep. */
function plan(source: string, event: PlanEvent): Plan {
  const result = planJobs(config(source), event, DEFAULT_RELEASES);
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

const DOWNSTREAM = "downstream job, not handled by this service";

describe("cockpit (dict targets with distros, identifiers, osh scan, branch regex)", () => {
  const file = "cockpit-project__cockpit__packit.yaml";

  it("pull request", () => {
    const result = plan(file, PR);
    expect(rows(result)).toEqual([
      "rpm-build:fedora-43-x86_64",
      "rpm-build:fedora-44-x86_64",
      "rpm-build:fedora-45-aarch64",
      "rpm-build:fedora-rawhide-x86_64",
      "rpm-build:centos-stream-9-x86_64",
      "rpm-build:centos-stream-9-aarch64",
      "rpm-build:centos-stream-10-x86_64",
      "rpm-build:fedora-45-s390x",
      // no copr_build job covers fedora-latest-stable (revdeps): an implicit build
      "rpm-build:fedora-45-x86_64",
      "testing-farm:fedora-43-x86_64:self <- rpm-build:fedora-43-x86_64",
      "testing-farm:fedora-44-x86_64:self <- rpm-build:fedora-44-x86_64",
      "testing-farm:fedora-45-aarch64:self <- rpm-build:fedora-45-aarch64",
      "testing-farm:fedora-rawhide-x86_64:self <- rpm-build:fedora-rawhide-x86_64",
      "testing-farm:centos-stream-9-x86_64:self <- rpm-build:centos-stream-9-x86_64",
      "testing-farm:CentOS-Stream-9-image-mode-x86_64:self <- rpm-build:centos-stream-9-x86_64",
      "testing-farm:centos-stream-9-aarch64:self <- rpm-build:centos-stream-9-aarch64",
      "testing-farm:centos-stream-10-x86_64:self <- rpm-build:centos-stream-10-x86_64",
      "testing-farm:CentOS-Stream-10-image-mode-x86_64:self <- rpm-build:centos-stream-10-x86_64",
      "testing-farm:fedora-45-x86_64:revdeps <- rpm-build:fedora-45-x86_64",
      // the commit build job on ^main$ provides the base of the differential scan
      "osh-diff-scan:fedora-rawhide-x86_64 <- rpm-build:fedora-rawhide-x86_64",
    ]);
    expect(result.notHandled).toEqual([]);
    const image = result.jobs.find((j) => j.key === "testing-farm:CentOS-Stream-9-image-mode-x86_64:self");
    expect(image).toEqual({
      key: "testing-farm:CentOS-Stream-9-image-mode-x86_64:self",
      type: "tests",
      backend: "testing-farm",
      target: "CentOS-Stream-9-image-mode-x86_64",
      checkName: "testing-farm:CentOS-Stream-9-image-mode-x86_64:self",
      identifier: "self",
      after: "rpm-build:centos-stream-9-x86_64",
      manualTrigger: false,
      cancelSuperseded: true,
      options: {
        skip_build: false,
        build_target: "centos-stream-9-x86_64",
        distro: "CentOS-Stream-9-image-mode",
        arch: "x86_64",
      },
    });
    const scan = result.jobs.at(-1);
    expect(scan).toMatchObject({
      type: "osh_scan",
      backend: "openscanhub",
      target: "fedora-rawhide-x86_64",
      options: { base_branch: "main", base_owner: "@cockpit", base_project: "main-builds" },
    });
  });

  it("push to main, to another branch, and a release", () => {
    const push = plan(file, PUSH_MAIN);
    expect(rows(push)).toEqual(["rpm-build:main:fedora-44-x86_64", "rpm-build:main:fedora-45-x86_64"]);
    expect(push.jobs[0]).toMatchObject({
      type: "copr_build",
      backend: "copr",
      target: "fedora-44-x86_64",
      options: { owner: "@cockpit", project: "main-builds", preserve_project: true, specfile_path: "cockpit.spec" },
    });
    expect(push.notHandled).toEqual([
      { type: "koji_build", reason: DOWNSTREAM },
      { type: "bodhi_update", reason: DOWNSTREAM },
    ]);
    // "^main$" does not match main-old
    expect(plan(file, { ...PUSH_MAIN, branch: "main-old" }).jobs).toEqual([]);

    const release = plan(file, { trigger: "release", defaultBranch: "main", tag: "350" });
    expect(rows(release)).toEqual(["rpm-build:350:fedora-44-x86_64", "rpm-build:350:fedora-45-x86_64"]);
    expect(release.jobs[0]!.options).toMatchObject({ project: "cockpit-preview" });
    expect(release.notHandled).toEqual([{ type: "propose_downstream", reason: DOWNSTREAM }]);
  });
});

describe("packit (one declared package, aliases with arch, epel-10-all)", () => {
  const file = "packit__packit__.packit.yaml";

  it("pull request", () => {
    const result = plan(file, PR);
    expect(rows(result)).toEqual([
      "rpm-build:fedora-44-x86_64",
      "rpm-build:fedora-45-x86_64",
      "rpm-build:fedora-rawhide-x86_64",
      "rpm-build:fedora-44-aarch64",
      "rpm-build:fedora-45-aarch64",
      "rpm-build:fedora-rawhide-aarch64",
      "rpm-build:epel-10-x86_64",
      "testing-farm:fedora-44-x86_64 <- rpm-build:fedora-44-x86_64",
      "testing-farm:fedora-45-x86_64 <- rpm-build:fedora-45-x86_64",
      "testing-farm:fedora-rawhide-x86_64 <- rpm-build:fedora-rawhide-x86_64",
      // EPEL tests run on CentOS Stream by default
      "testing-farm:centos-stream-10-x86_64 <- rpm-build:epel-10-x86_64",
      "osh-diff-scan:fedora-rawhide-x86_64 <- rpm-build:fedora-rawhide-x86_64",
    ]);
    // a single package gets no check-name suffix but is named on the job
    expect(result.jobs.every((j) => j.package === "packit")).toBe(true);
    expect(result.notHandled).toEqual([]);
  });

  it("push to main and to stable, and a release", () => {
    const main = plan(file, PUSH_MAIN);
    expect(rows(main)).toEqual([
      "rpm-build:main:fedora-44-x86_64",
      "rpm-build:main:fedora-45-x86_64",
      "rpm-build:main:fedora-rawhide-x86_64",
      "rpm-build:main:fedora-44-aarch64",
      "rpm-build:main:fedora-45-aarch64",
      "rpm-build:main:fedora-rawhide-aarch64",
      "rpm-build:main:epel-10-x86_64",
    ]);
    expect(main.jobs[0]!.options).toMatchObject({ project: "packit-dev", list_on_homepage: true, preserve_project: true });
    expect(main.notHandled).toEqual([{ type: "koji_build", reason: DOWNSTREAM }]);

    expect(rows(plan(file, { ...PUSH_MAIN, branch: "stable" }))).toEqual([
      "rpm-build:stable:fedora-44-x86_64",
      "rpm-build:stable:fedora-45-x86_64",
      "rpm-build:stable:fedora-44-aarch64",
      "rpm-build:stable:fedora-45-aarch64",
    ]);

    const release = plan(file, { trigger: "release", defaultBranch: "main", tag: "1.2.0" });
    expect(rows(release)).toEqual([
      "rpm-build:1.2.0:fedora-44-x86_64",
      "rpm-build:1.2.0:fedora-45-x86_64",
      "rpm-build:1.2.0:fedora-44-aarch64",
      "rpm-build:1.2.0:fedora-45-aarch64",
      "rpm-build:1.2.0:epel-10-x86_64",
    ]);
    expect(release.notHandled).toEqual([
      { type: "propose_downstream", reason: DOWNSTREAM },
      { type: "pull_from_upstream", reason: DOWNSTREAM },
    ]);
  });
});

describe("dnf5 (monorepo, identifiers, fmf, manual_trigger, PR branch filter)", () => {
  const file = "rpm-software-management__dnf5__.packit.yaml";
  const testsOf = (id: string) => ["44", "45", "rawhide"].map((f) => `testing-farm:fedora-${f}-x86_64:${id} <- rpm-build:fedora-${f}-x86_64:dnf5`);

  it("pull request into main", () => {
    const result = plan(file, PR);
    expect(rows(result)).toEqual([
      "rpm-build:fedora-44-x86_64:dnf5",
      "rpm-build:fedora-45-x86_64:dnf5",
      "rpm-build:fedora-rawhide-x86_64:dnf5",
      "rpm-build:fedora-eln-x86_64:dnf5",
      // the identifier replaces the package as the suffix
      "rpm-build:fedora-rawhide-x86_64:WITH_MODULEMD=OFF",
      ...testsOf("dnf5-tests"),
      "testing-farm:fedora-eln-x86_64:dnf5-tests <- rpm-build:fedora-eln-x86_64:dnf5",
      ...testsOf("createrepo_c-tests"),
      "testing-farm:fedora-eln-x86_64:createrepo_c-tests <- rpm-build:fedora-eln-x86_64:dnf5",
      ...testsOf("dnf-tests"),
      ...testsOf("dnf5daemon-tests"),
      "testing-farm:fedora-eln-x86_64:dnf5daemon-tests <- rpm-build:fedora-eln-x86_64:dnf5",
      "testing-farm:fedora-rawhide-x86_64:ABI-check <- rpm-build:fedora-rawhide-x86_64:dnf5",
    ]);
    // no commit build job: no differential scan
    expect(result.jobs.some((j) => j.type === "osh_scan")).toBe(false);

    const manual = result.jobs.filter((j) => j.manualTrigger).map((j) => j.key);
    expect(manual).toEqual(testsOf("dnf-tests").map((r) => r.split(" <- ")[0]));

    const abi = result.jobs.at(-1)!;
    expect(abi).toMatchObject({
      identifier: "ABI-check",
      package: "dnf5",
      options: {
        fmf_url: "https://github.com/rpm-software-management/ci-dnf-stack.git",
        fmf_ref: "main",
        tmt_plan: "^/plans/integration/abi-libdnf5$",
        build_target: "fedora-rawhide-x86_64",
      },
    });
    expect(result.jobs[4]).toMatchObject({ package: "dnf5-without-modules", identifier: "WITH_MODULEMD=OFF" });
  });

  it("a pull request into another branch skips the job limited to main; pushes run nothing here", () => {
    const other = plan(file, { ...PR, branch: "dnf-4-stack" });
    expect(other.jobs.some((j) => j.key.includes("WITH_MODULEMD"))).toBe(false);
    expect(other.jobs).toHaveLength(plan(file, PR).jobs.length - 1);

    const push = plan(file, PUSH_MAIN);
    expect(push.jobs).toEqual([]);
    expect(push.notHandled).toEqual([
      { type: "koji_build", reason: DOWNSTREAM },
      { type: "bodhi_update", reason: DOWNSTREAM },
    ]);
  });
});

describe("anaconda (two packages, jobs for one of them)", () => {
  const file = "rhinstaller__anaconda__.packit.yml";

  it("pull request", () => {
    const result = plan(file, PR);
    expect(rows(result)).toEqual([
      "rpm-build:fedora-rawhide-x86_64:anaconda-fedora",
      "rpm-build:fedora-45-x86_64:anaconda-fedora",
      "rpm-build:fedora-eln-x86_64:anaconda-fedora",
      "testing-farm:fedora-rawhide-x86_64:anaconda-fedora <- rpm-build:fedora-rawhide-x86_64:anaconda-fedora",
      "testing-farm:fedora-45-x86_64:anaconda-fedora <- rpm-build:fedora-45-x86_64:anaconda-fedora",
      "osh-diff-scan:fedora-rawhide-x86_64:anaconda-fedora <- rpm-build:fedora-rawhide-x86_64:anaconda-fedora",
    ]);
    expect(result.jobs.every((j) => j.package === "anaconda-fedora" && j.identifier === undefined)).toBe(true);
  });

  it("push to main", () => {
    const result = plan(file, PUSH_MAIN);
    expect(rows(result)).toEqual([
      "rpm-build:main:fedora-rawhide-x86_64:anaconda-fedora",
      "rpm-build:main:fedora-45-x86_64:anaconda-fedora",
      "rpm-build:main:fedora-eln-x86_64:anaconda-fedora",
    ]);
    expect(result.jobs[0]!.options).toMatchObject({ owner: "@rhinstaller", project: "Anaconda", specfile_path: "anaconda.spec" });
    expect(result.notHandled).toEqual([{ type: "koji_build", reason: DOWNSTREAM }]);
  });
});

describe("other fixtures", () => {
  it("skip_build: tests without a build (packit-service)", () => {
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

  it("require.label gates pull-request jobs on the PR's labels (mock)", () => {
    const file = "rpm-software-management__mock__.packit.yaml";
    const blocked = plan(file, { ...PR, labels: ["no-ci-builds", "bug"] });
    expect(blocked.jobs).toEqual([]);
    const reason = "pull request labels do not satisfy require.label (present: [], absent: [no-ci-builds])";
    expect(blocked.notHandled).toEqual([
      { type: "copr_build", reason },
      { type: "tests", reason },
    ]);
    const allowed = plan(file, { ...PR, labels: ["bug"] });
    expect(rows(allowed)).toContain("testing-farm:fedora-45-x86_64:mock <- rpm-build:fedora-45-x86_64:mock");
    expect(rows(allowed)).toContain("osh-diff-scan:fedora-rawhide-x86_64:mock-core-configs <- rpm-build:fedora-rawhide-x86_64:mock-core-configs");
    // pushes are not gated by labels; every package gets its own builds and checks
    const push = plan(file, { ...PUSH_MAIN, labels: ["no-ci-builds"] });
    const builds = (pkg: string) =>
      ["fedora-44", "fedora-45", "fedora-rawhide", "epel-8", "epel-9", "epel-10"].map((t) => `rpm-build:main:${t}-x86_64:${pkg}`);
    expect(rows(push)).toEqual([
      ...builds("mock"),
      ...builds("mock-core-configs"),
      "testing-farm:main:fedora-45-x86_64:mock <- rpm-build:main:fedora-45-x86_64:mock",
    ]);
    expect(push.jobs[0]!.options).toMatchObject({ owner: "@mock", project: "mock", paths: ["./mock"], merge_pr_in_ci: false });
    expect(push.jobs.at(-1)!.options).toHaveProperty("tf_extra_params");
  });

  it("trigger: ignore never runs, osh_diff_scan_after_copr_build: false disables the scan (buildah)", () => {
    const result = plan("containers__buildah__.packit.yaml", PR);
    expect(rows(result)).toEqual([
      "rpm-build:fedora-44-x86_64:buildah-fedora",
      "rpm-build:fedora-45-x86_64:buildah-fedora",
      "rpm-build:fedora-rawhide-x86_64:buildah-fedora",
      "rpm-build:fedora-44-aarch64:buildah-fedora",
      "rpm-build:fedora-45-aarch64:buildah-fedora",
      "rpm-build:fedora-rawhide-aarch64:buildah-fedora",
      "testing-farm:fedora-44-x86_64:buildah-fedora <- rpm-build:fedora-44-x86_64:buildah-fedora",
      "testing-farm:fedora-45-x86_64:buildah-fedora <- rpm-build:fedora-45-x86_64:buildah-fedora",
      "testing-farm:fedora-rawhide-x86_64:buildah-fedora <- rpm-build:fedora-rawhide-x86_64:buildah-fedora",
    ]);
  });

  it("upstream Koji builds use Koji target names (ogr)", () => {
    const result = plan("packit__ogr__.packit.yaml", PR);
    expect(result.jobs.filter((j) => j.type === "upstream_koji_build").map((j) => [j.key, j.backend, j.options.scratch])).toEqual([
      ["koji-build:rawhide", "koji", true],
      ["koji-build:epel10", "koji", true],
    ]);
  });

  it("a release with deprecated metadata and a target Packit cannot read (fedora-messaging)", () => {
    const result = plan("fedora-infra__fedora-messaging__.packit.yaml", { trigger: "release", defaultBranch: "develop", tag: "v3.7.0" });
    expect(rows(result)).toEqual([
      "rpm-build:v3.7.0:fedora-45-x86_64",
      "rpm-build:v3.7.0:fedora-rawhide-x86_64",
      "koji-build:v3.7.0:f45",
      "koji-build:v3.7.0:rawhide",
      "koji-build:v3.7.0:epel9",
      "testing-farm:v3.7.0:fedora-45-x86_64 <- rpm-build:v3.7.0:fedora-45-x86_64",
      "testing-farm:v3.7.0:fedora-rawhide-x86_64 <- rpm-build:v3.7.0:fedora-rawhide-x86_64",
    ]);
    expect(result.notHandled).toEqual([
      { type: "propose_downstream", reason: DOWNSTREAM },
      { type: "copr_build", reason: 'jobs[2]: "epel9" is not a target Packit understands (expected name-version[-arch])' },
      { type: "tests", reason: 'jobs[3]: "epel9" is not a target Packit understands (expected name-version[-arch])' },
    ]);
  });
});

describe("rules", () => {
  it("job labels group jobs for /packit test --labels but do not gate automatic runs", () => {
    const text = "jobs:\n  - {job: tests, trigger: pull_request, skip_build: true, targets: [fedora-rawhide], labels: [regression]}\n";
    const result = plan(text, { ...PR, labels: [] });
    expect(result.jobs.map((j) => [j.key, j.labels])).toEqual([["testing-farm:fedora-rawhide-x86_64", ["regression"]]]);
  });

  it("plans an implicit build for tests no copr_build job covers, named like Packit's", () => {
    const text = "jobs:\n  - {job: tests, trigger: pull_request, identifier: smoke, manual_trigger: true, targets: [fedora-rawhide, epel-9]}\n";
    const result = plan(text, PR);
    expect(rows(result)).toEqual([
      "rpm-build:fedora-rawhide-x86_64:smoke",
      "rpm-build:epel-9-x86_64:smoke",
      "testing-farm:fedora-rawhide-x86_64:smoke <- rpm-build:fedora-rawhide-x86_64:smoke",
      "testing-farm:centos-stream-9-x86_64:smoke <- rpm-build:epel-9-x86_64:smoke",
    ]);
    // the builds are needed only when the manual tests are requested
    expect(result.jobs.every((j) => j.manualTrigger)).toBe(true);
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

  it("a manual build that automatic tests wait for runs automatically; cancel_superseded: false spreads to the build", () => {
    const text = `
jobs:
  - {job: copr_build, trigger: pull_request, manual_trigger: true, targets: [fedora-44, fedora-45]}
  - {job: tests, trigger: pull_request, targets: [fedora-44], cancel_superseded: false}
`;
    const result = plan(text, PR);
    expect(result.jobs.map((j) => [j.key, j.manualTrigger, j.cancelSuperseded])).toEqual([
      ["rpm-build:fedora-44-x86_64", false, false],
      ["rpm-build:fedora-45-x86_64", true, true],
      ["testing-farm:fedora-44-x86_64", false, false],
    ]);
  });

  it("plans vm_image_build on request only, after the build of its Copr chroot", () => {
    const text = `
jobs:
  - {job: copr_build, trigger: pull_request, targets: [fedora-rawhide], osh_diff_scan_after_copr_build: false}
  - job: vm_image_build
    trigger: pull_request
    image_distribution: fedora-rawhide
    image_request: {architecture: x86_64, image_type: aws, upload_request: {type: aws}}
    image_customizations: {packages: [hello]}
    copr_chroot: fedora-rawhide-x86_64
  - {job: vm_image_build, trigger: pull_request, image_distribution: fedora-45}
`;
    const result = plan(text, PR);
    expect(result.jobs[1]).toEqual({
      key: "vm-image-build:fedora-rawhide-x86_64",
      type: "vm_image_build",
      backend: "image-builder",
      target: "fedora-rawhide-x86_64",
      checkName: "vm-image-build:fedora-rawhide-x86_64",
      after: "rpm-build:fedora-rawhide-x86_64",
      manualTrigger: true,
      cancelSuperseded: true,
      options: {
        image_distribution: "fedora-rawhide",
        image_request: { architecture: "x86_64", image_type: "aws", upload_request: { type: "aws" } },
        image_customizations: { packages: ["hello"] },
        copr_chroot: "fedora-rawhide-x86_64",
      },
    });
    expect(result.notHandled).toEqual([{ type: "vm_image_build", reason: "jobs[2]: vm_image_build needs copr_chroot" }]);
  });

  it("scans only pull requests whose target branch has a commit build job", () => {
    const file = "fedora-copr__logdetective__packit.yaml";
    expect(rows(plan(file, PR)).at(-1)).toBe("osh-diff-scan:fedora-rawhide-x86_64 <- rpm-build:fedora-rawhide-x86_64");
    expect(plan(file, { ...PR, branch: "release-1" }).jobs.some((j) => j.type === "osh_scan")).toBe(false);
    expect(plan(file, PUSH_MAIN).jobs.some((j) => j.type === "osh_scan")).toBe(false);
  });

  it("keeps the first of two jobs with the same check name", () => {
    const text = "jobs:\n  - {job: copr_build, trigger: pull_request, targets: [fedora-45]}\n  - {job: copr_build, trigger: pull_request, targets: [fedora-latest, fedora-44]}\n";
    const result = plan(text, PR);
    expect(rows(result)).toEqual(["rpm-build:fedora-45-x86_64", "rpm-build:fedora-44-x86_64"]);
    expect(result.notHandled).toEqual([
      { type: "copr_build", reason: "jobs[1]: same check name as an earlier job (rpm-build:fedora-45-x86_64)" },
    ]);
  });

  it("puts a release tag into check names with ':' replaced", () => {
    const text = "jobs:\n  - {job: copr_build, trigger: release, targets: [fedora-45]}\n";
    expect(rows(plan(text, { trigger: "release", defaultBranch: "main", tag: "v1:2" }))).toEqual(["rpm-build:v1-2:fedora-45-x86_64"]);
  });

  it("is deterministic", () => {
    const file = "containers__skopeo__.packit.yaml";
    expect(plan(file, PR)).toEqual(plan(file, PR));
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
