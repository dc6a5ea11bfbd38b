import { describe, expect, it } from "vitest";
import { parsePackitConfig, type PackitConfig } from "../../../src/packit-config/parse.js";

function valid(text: string): { config: PackitConfig; warnings: string[] } {
  const result = parsePackitConfig(text);
  if (!result.ok) throw new Error(`expected a valid config, got: ${result.error.message}`);
  return result;
}

/** The problems of an invalid config, one `path: message (line N)` each. */
function problems(text: string): string[] {
  const result = parsePackitConfig(text);
  if (result.ok) throw new Error("expected an invalid config");
  return result.problems.map((p) => (p.line ? `${p.message} (line ${p.line})` : p.message));
}

const job = (extra: string) => `jobs:\n  - job: copr_build\n    trigger: pull_request\n${extra}`;

describe("unknown and removed keys are errors, as marshmallow's RAISE makes them", () => {
  it("refuses a key Packit does not know, wherever it is written", () => {
    const text = `
colour: red
packages:
  a:
    specfile_path: a.spec
    flavour: sweet
jobs:
  - job: tests
    trigger: pull_request
    size: big
    packages:
      a: {shape: round}
`;
    expect(problems(text)).toEqual([
      "colour: Unknown field. (line 2)",
      "packages.a.flavour: Unknown field. (line 6)",
      "jobs[0].size: Unknown field. (line 10)",
      "jobs[0].packages.a.shape: Unknown field. (line 12)",
    ]);
  });

  it("refuses the removed synced_files and upstream_project_name, saying what replaced them", () => {
    expect(problems("synced_files: [a.spec]\nupstream_project_name: x\n")).toEqual([
      "synced_files: Unknown field. (removed from Packit (d03bbd0d); use files_to_sync) (line 1)",
      "upstream_project_name: Unknown field. (removed from Packit (a4cbed15); use upstream_package_name) (line 2)",
    ]);
  });

  it("refuses unknown keys inside nested settings", () => {
    const text = "notifications: {pull_request: {successful_build: true, loud: true}}\nrequire: {label: {present: [a], maybe: [b]}}\n";
    expect(problems(text)).toEqual([
      "notifications.pull_request.loud: Unknown field. (line 1)",
      "require.label.maybe: Unknown field. (line 2)",
    ]);
  });

  it("refuses job-only keys at the top level, in a package and in a job's package overrides", () => {
    const text =
      "manual_trigger: true\npackages:\n  a: {skip_build: true}\njobs:\n  - {job: tests, trigger: pull_request, packages: {a: {labels: [x]}}}\n";
    expect(problems(text)).toEqual([
      "manual_trigger: Unknown field. (line 1)",
      "packages.a.skip_build: Unknown field. (line 3)",
      "jobs[0].packages.a.labels: Unknown field. (line 5)",
    ]);
  });

  it("accepts every key of Packit's current schema, and the app's own cancel_superseded", () => {
    const text = `
bodhi_extra_params: {stable_karma: 3}
version_update_mask: '\\d+\\.\\d+\\.'
version_update_specifiers: ">=1.2,<2"
sync_test_job_statuses_with_builds: false
skip_missing_branched_composes: true
clone_repos_before_run_condition: true
upload_sources: false
preserve_spec: true
osh_options: {analyzer: gcc, config: fedora-rawhide-x86_64, profile: dev}
notifications: {failure_comment: {message: "failed {commit_sha}"}, failure_issue: {create: false}}
test_command: {default_identifier: x}
parse_time_macros: {cargo_prep: null}
allowed_builders: [all_admins]
cancel_superseded: false
jobs:
  - {job: koji_build_tag, trigger: koji_build, sidetag_group: g, dependents: [b], dependencies: [c]}
  - {job: sync_from_downstream, trigger: commit}
`;
    expect(valid(text).warnings).toEqual([]);
  });

  it("keeps the top-level `_` anchor holder only at the top level", () => {
    expect(valid("_: {x: &x [fedora-all]}\njobs:\n  - {job: copr_build, trigger: pull_request, targets: *x}\n").warnings).toEqual([]);
    expect(problems(job("    _: {}\n"))).toEqual(["jobs[0]._: Unknown field. (line 4)"]);
  });

  it("accepts the unprocessed dist_git_url with Packit's warning", () => {
    expect(valid("dist_git_url: https://src.fedoraproject.org/rpms/x.git\n").warnings[0]).toBe(
      "dist_git_url: 'dist_git_url' is no longer being processed. (it is generated from dist_git_base_url and downstream_package_name) (line 1)",
    );
  });
});

describe("values as marshmallow reads them", () => {
  it("allows null only where Packit declares a default of None", () => {
    expect(valid(job("    owner: null\n    release_suffix: null\n    targets: null\n")).config.jobs[0]!.settings.owner).toBeNull();
    expect(problems("upstream_tag_template: null\nfiles_to_sync: null\n")).toEqual([
      "upstream_tag_template: Field may not be null. (line 1)",
      "files_to_sync: Field may not be null. (line 2)",
    ]);
  });

  it("reads marshmallow's boolean words and integers, and refuses other types", () => {
    const { config } = valid(job('    preserve_project: "yes"\n    enable_net: "off"\n    timeout: "3600"\n'));
    expect(config.jobs[0]!.settings).toMatchObject({ preserve_project: true, enable_net: false, timeout: 3600 });
    expect(problems(job("    timeout: 1.5\n    owner: 7\n    additional_repos: copr://a/b\n"))).toEqual([
      "jobs[0].timeout: Not a valid integer. (line 4)",
      "jobs[0].owner: Not a valid string. (line 5)",
      "jobs[0].additional_repos: Not a valid list. (line 6)",
    ]);
  });

  it("takes a single-string targets only in a job (Packit's pre-load turns it into a list there)", () => {
    expect(valid(job("    targets: fedora-rawhide\n")).config.jobs[0]!.settings.targets).toEqual([{ name: "fedora-rawhide", options: {} }]);
    expect(problems("targets: fedora-rawhide\n")).toEqual([
      "targets: Expected 'list[str]' or 'dict[str,dict]', got 'fedora-rawhide' (type <class 'str'>). (line 1)",
    ]);
  });

  it("checks the mapping form of targets as Packit does: the first option decides", () => {
    expect(problems(job("    targets:\n      fedora-43: {isolation: simple}\n"))).toEqual([
      "jobs[0].targets: Unknown key 'isolation' in {'isolation': 'simple'} (line 4)",
    ]);
    expect(problems(job("    targets:\n      fedora-43: {with_opts: check}\n"))).toEqual([
      "jobs[0].targets: Expected <class 'list'>, got 'check' (type <class 'str'>) (line 4)",
    ]);
    expect(problems(job("    targets:\n      fedora-43:\n"))).toEqual([
      "jobs[0].targets: Expected 'list[str]' or 'dict[str,dict]', got {'fedora-43': None} (type <class 'dict'>). (line 4)",
    ]);
    // Packit stops after the first option it checks: the rest is ignored, and said so here.
    const { warnings } = valid(job("    targets:\n      fedora-43: {additional_repos: [r], isolation: simple}\n"));
    expect(warnings).toEqual(["jobs[0].targets.fedora-43.isolation: unknown target option, ignored (line 5)"]);
  });

  it("refuses unknown action names with Packit's message", () => {
    expect(problems("actions:\n  post-upstream-clone: make\n  pre-build: nope\n")).toEqual([
      "actions: Unknown action(s) provided: ['pre-build'] (line 1)",
    ]);
  });

  it("refuses unknown instances, bootstrap modes and bad version specifiers", () => {
    expect(problems("packit_instances: [prod, staging]\nbootstrap: maybe\nversion_update_specifiers: '=>1'\n")).toEqual([
      "packit_instances[1]: Must be one of: dev, stg, prod. (line 1)",
      "bootstrap: Must be one of: default, on, off, image. (line 2)",
      "version_update_specifiers: Invalid version specifier set: Invalid specifier: '=>1' (line 3)",
    ]);
  });

  it("refuses the job types Packit removed and keeps the old ones it still has", () => {
    expect(problems("jobs:\n  - {job: production_build, trigger: pull_request}\n  - {job: build, trigger: pull_request}\n")).toEqual([
      expect.stringMatching(
        /^jobs\[0\]\.job: Must be one of: .*\. \(the deprecated name 'production_build' was removed from Packit; use upstream_koji_build\) \(line 2\)$/,
      ),
      expect.stringMatching(
        /^jobs\[1\]\.job: Must be one of: .*\. \(the deprecated name 'build' was removed from Packit; use copr_build\) \(line 3\)$/,
      ),
    ]);
    expect(valid("jobs:\n  - {job: sync_from_downstream, trigger: commit}\n").config.jobs[0]!.type).toBe("sync_from_downstream");
  });
});

describe("the old nested metadata (JobMetadataSchema)", () => {
  it("merges skip_build and the other options into the job", () => {
    const text =
      "jobs:\n  - job: tests\n    trigger: pull_request\n    metadata:\n      skip_build: true\n      targets: fedora-rawhide\n      tmt_plan: /plans/smoke\n";
    const { config, warnings } = valid(text);
    expect(config.jobs[0]!.settings).toMatchObject({
      skip_build: true,
      tmt_plan: "/plans/smoke",
      targets: [{ name: "fedora-rawhide", options: {} }],
    });
    expect(warnings).toEqual([
      "jobs[0].metadata: The 'metadata' key in jobs is deprecated and can be removed. Nest config options from 'metadata' directly under the job object. (line 4)",
    ]);
  });

  it("renames the old dist_git_branch spellings to dist_git_branches, as Packit's pre-load does", () => {
    const text = "jobs:\n  - job: propose_downstream\n    trigger: release\n    metadata:\n      dist-git-branch: fedora-all\n";
    const { config, warnings } = valid(text);
    expect(config.jobs[0]!.settings.dist_git_branches).toEqual(["fedora-all"]);
    expect(warnings[1]).toBe(
      "jobs[0].metadata.dist-git-branch: Job metadata key 'dist-git-branch' has been renamed to 'dist_git_branches', please update your configuration file. (line 5)",
    );
    // outside metadata the old spelling is simply unknown
    expect(problems("jobs:\n  - {job: propose_downstream, trigger: release, dist_git_branch: f44}\n")[0]).toMatch(
      /^jobs\[0\]\.dist_git_branch: Unknown field\./,
    );
  });

  it("refuses keys metadata does not have, and mixing metadata with the same keys outside it", () => {
    expect(problems(job("    metadata: {identifier: x}\n"))).toEqual(["jobs[0].metadata.identifier: Unknown field. (line 4)"]);
    expect(problems(job("    owner: me\n    metadata: {project: p}\n"))).toEqual([
      "jobs[0].metadata: Keys: {'owner'} are defined outside job metadata dictionary. Mixing obsolete metadata dictionary and new job keys is not possible. Remove obsolete nested job metadata dictionary. (line 5)",
    ]);
    // targets may be in both: metadata's win (Packit's field is `_targets`)
    const { config } = valid(job("    targets: [fedora-all]\n    metadata: {targets: [epel-9]}\n"));
    expect(config.jobs[0]!.settings.targets).toEqual([{ name: "epel-9", options: {} }]);
  });
});

describe("every job config is a job", () => {
  it("keeps jobs that differ only in their Copr project, and schedules an exact twin once", () => {
    const text =
      job("    project: one\n") +
      "  - {job: copr_build, trigger: pull_request, project: two}\n  - {job: copr_build, trigger: pull_request, project: two}\n";
    expect(valid(text).config.jobs.map((j) => [j.index, j.settings.project])).toEqual([
      [0, "one"],
      [1, "two"],
    ]);
  });
});
