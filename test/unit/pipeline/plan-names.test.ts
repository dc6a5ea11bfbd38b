/** The planner: names, instances and branches, real configs, and rules kept from before. */
import { describe, expect, it } from "vitest";
import { branchMatches } from "../../../src/pipeline/plan.js";
import { ACTIVE, PR, PUSH_MAIN, plan, rows, notRun, DOWNSTREAM } from "../../support/plan.js";

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
