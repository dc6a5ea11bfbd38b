import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/errors.js";
import { MAX_CONFIG_BYTES, parsePackitConfig, type PackitConfig, type ParseResult } from "../../../src/packit-config/parse.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/packit-configs");
const fixtureNames = readdirSync(FIXTURES).filter((f) => /\.ya?ml$/.test(f));

function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

function ok(result: ParseResult): { config: PackitConfig; warnings: string[] } {
  if (!result.ok) throw new Error(`expected a valid config, got: ${result.error.message}`);
  return result;
}

function fail(result: ParseResult): ConfigError {
  if (result.ok) throw new Error("expected an invalid config");
  expect(result.error).toBeInstanceOf(ConfigError);
  return result.error;
}

function viewsOf(config: PackitConfig, index: number) {
  return config.jobs.filter((j) => j.index === index);
}

describe("real configs", () => {
  it("has the 25 configs of the first set and their sources", () => {
    expect(fixtureNames).toHaveLength(25);
    expect(readFileSync(join(FIXTURES, "SOURCES.md"), "utf8")).toContain("cockpit-project__cockpit__packit.yaml");
  });

  it("has no warnings for configs using only current keys", () => {
    for (const name of fixtureNames.filter((n) => !n.startsWith("fedora-infra__"))) {
      expect(ok(parsePackitConfig(fixture(name))).warnings, name).toEqual([]);
    }
  });

  it("resolves anchors, merge keys and anchors defined inside merge keys", () => {
    // osbuild: `- &copr` then `- <<: *copr` overriding trigger, branch, owner, project
    const osbuild = ok(parsePackitConfig(fixture("osbuild__osbuild__.packit.yaml"))).config;
    const [pr, commit] = [viewsOf(osbuild, 0)[0]!, viewsOf(osbuild, 1)[0]!];
    expect(pr.trigger).toBe("pull_request");
    expect(commit).toMatchObject({ type: "copr_build", trigger: "commit" });
    expect(commit.settings).toMatchObject({ branch: "main", owner: "@osbuild", project: "osbuild" });
    expect(commit.settings.targets).toEqual(pr.settings.targets);
    expect(commit.settings.targets).toHaveLength(19);

    // mock: `- <<: &pr_build {...}` defines the anchor inside the merge
    const mock = ok(parsePackitConfig(fixture("rpm-software-management__mock__.packit.yaml"))).config;
    expect(viewsOf(mock, 1).map((v) => [v.type, v.trigger, v.package, v.settings.owner])).toEqual([
      ["copr_build", "commit", "mock", "@mock"],
      ["copr_build", "commit", "mock-core-configs", "@mock"],
    ]);
    expect(viewsOf(mock, 3)).toHaveLength(1);

    // dnf5: a scalar anchor reused as fmf_ref
    const dnf5 = ok(parsePackitConfig(fixture("rpm-software-management__dnf5__.packit.yaml"))).config;
    expect(viewsOf(dnf5, 6)[0]!.settings.fmf_ref).toBe("main");

    // skopeo: a mapping-of-targets anchor reused as tests targets, options kept
    const skopeo = ok(parsePackitConfig(fixture("containers__skopeo__.packit.yaml"))).config;
    expect(viewsOf(skopeo, 5)[0]!.settings.targets).toEqual([
      { name: "fedora-eln-x86_64", options: { additional_repos: ["https://kojipkgs.fedoraproject.org/repos/eln-build/latest/x86_64/"] } },
      { name: "fedora-eln-aarch64", options: { additional_repos: ["https://kojipkgs.fedoraproject.org/repos/eln-build/latest/aarch64/"] } },
    ]);
  });

  it("splits `trigger: commit | koji_build` into one view per trigger", () => {
    const { config } = ok(parsePackitConfig(fixture("packit__packit__.packit.yaml")));
    expect(viewsOf(config, 7).map((v) => [v.type, v.trigger])).toEqual([
      ["koji_build", "commit"],
      ["koji_build", "koji_build"],
    ]);
  });

  it("inherits top-level → package → job, and a job's `packages` selects packages", () => {
    const { config } = ok(parsePackitConfig(fixture("containers__crun__.packit.yaml")));
    expect(config.packagesDeclared).toBe(true);
    expect(Object.keys(config.packages)).toEqual(["crun-fedora", "crun-centos", "crun-eln"]);
    expect(config.packages["crun-centos"]).toMatchObject({
      downstream_package_name: "crun-centos",
      pkg_tool: "centpkg",
      specfile_path: "rpm/crun.spec",
      srpm_build_deps: ["git-archive-all", "make"],
    });
    const [view, ...rest] = viewsOf(config, 0);
    expect(rest).toEqual([]);
    expect(view).toMatchObject({ package: "crun-fedora", trigger: "pull_request" });
    expect(view!.settings.actions).toEqual({
      "create-archive": ["git-archive-all -v --force-submodules rpm/crun-HEAD.tar.xz", 'bash -c "ls -1 rpm/crun-HEAD.tar.xz"'],
    });
  });

  it("treats a config without `packages` as one implicit package", () => {
    const { config } = ok(parsePackitConfig(fixture("packit__ogr__.packit.yaml")));
    expect(config.packagesDeclared).toBe(false);
    expect(Object.keys(config.packages)).toEqual(["python-ogr"]);
    expect(config.jobs.every((j) => j.package === "python-ogr")).toBe(true);
  });
});

describe("defaults and inheritance", () => {
  it("applies Packit's and the app's defaults", () => {
    const { config } = ok(parsePackitConfig("jobs:\n  - job: copr_build\n    trigger: pull_request\n"));
    expect(config.jobs[0]!.settings).toMatchObject({
      osh_diff_scan_after_copr_build: true,
      cancel_superseded: true,
      skip_build: false,
      manual_trigger: false,
      labels: [],
    });
  });

  it("lets a job override top-level settings, and a package override in the job override both", () => {
    const text = `
cancel_superseded: false
osh_diff_scan_after_copr_build: false
owner: top
packages:
  a: {specfile_path: a.spec}
  b: {specfile_path: b.spec, owner: pkg-b}
jobs:
  - job: copr_build
    trigger: pull_request
    cancel_superseded: true
    packages:
      a: {project: only-a}
      b: {}
`;
    const { config } = ok(parsePackitConfig(text));
    expect(config.jobs.map((j) => [j.package, j.settings.owner, j.settings.project, j.settings.cancel_superseded])).toEqual([
      ["a", "top", "only-a", true],
      ["b", "pkg-b", undefined, true],
    ]);
    expect(config.jobs[0]!.settings.osh_diff_scan_after_copr_build).toBe(false);
  });

  it("uses Packit's default jobs when `jobs` is missing, with a note", () => {
    const { config, warnings } = ok(parsePackitConfig("specfile_path: x.spec\n"));
    expect(config.jobs.map((j) => [j.type, j.trigger])).toEqual([
      ["copr_build", "pull_request"],
      ["tests", "pull_request"],
      ["propose_downstream", "release"],
    ]);
    expect(warnings[0]).toMatch(/default jobs/);
  });

  it("accepts an empty file (Packit's defaults) and `jobs: []` (no jobs)", () => {
    expect(ok(parsePackitConfig("# only a comment\n")).config.jobs).toHaveLength(3);
    expect(ok(parsePackitConfig("jobs: []\n")).config.jobs).toEqual([]);
  });

  it("normalises the list, mapping and single-string forms of targets", () => {
    const text = `
jobs:
  - {job: copr_build, trigger: pull_request, targets: fedora-all}
  - {job: copr_build, trigger: commit, targets: [fedora-all, epel-9]}
  - job: tests
    trigger: pull_request
    targets:
      epel-9-x86_64: {distros: [centos-stream-9, rhel-9]}
      fedora-43: {}
`;
    const { config } = ok(parsePackitConfig(text));
    expect(config.jobs.map((j) => j.settings.targets)).toEqual([
      [{ name: "fedora-all", options: {} }],
      [
        { name: "fedora-all", options: {} },
        { name: "epel-9", options: {} },
      ],
      [
        { name: "epel-9-x86_64", options: { distros: ["centos-stream-9", "rhel-9"] } },
        { name: "fedora-43", options: {} },
      ],
    ]);
  });
});

describe("warnings", () => {
  it("does not complain about the top-level `_` key that holds anchors", () => {
    const text = "_:\n  t: &t {job: tests, trigger: pull_request}\njobs:\n  - *t\n";
    expect(ok(parsePackitConfig(text)).warnings).toEqual([]);
  });

  it("warns about what Packit tolerates: unchecked target options, bad branch patterns, ':' in identifiers, duplicated keys", () => {
    const text = `
jobs:
  - job: copr_build
    trigger: commit
    branch: "release-("
    identifier: "a:b"
    targets:
      fedora-43: {distros: [x], colour: red}
    trigger: pull_request
`;
    const { warnings, config } = ok(parsePackitConfig(text));
    expect(warnings).toEqual([
      "jobs[0].identifier: contains ':', which Packit uses as the check name separator (line 6)",
      "jobs[0].branch: not a valid regular expression; it is matched literally (line 5)",
      "jobs[0].targets.fedora-43.colour: unknown target option, ignored (line 8)",
      'line 9: duplicated key "trigger"; the last value wins',
    ]);
    expect(config.jobs[0]!.trigger).toBe("pull_request");
  });
});

describe("errors", () => {
  it("reports YAML syntax errors with 1-based line and column", () => {
    const error = fail(parsePackitConfig("jobs:\n  - job: copr_build\n    trigger: [pull_request\n", { path: ".packit.yaml" }));
    expect(error.message).toMatch(/^\.packit\.yaml: YAML syntax error: /);
    expect(error.line).toBe(4);
    expect(error.column).toBe(1);

    const tab = fail(parsePackitConfig("a: 1\n b: 2\n"));
    expect(tab.line).toBe(2);
    expect(tab.column).toBeGreaterThan(0);
  });

  it("names the job index of an unknown job type, with Packit's message and the position", () => {
    const error = fail(
      parsePackitConfig("jobs:\n  - job: copr_build\n    trigger: pull_request\n  - job: copr_biuld\n    trigger: commit\n"),
    );
    expect(error.message).toBe(
      "jobs[1].job: Must be one of: propose_downstream, pull_from_upstream, sync_from_downstream, copr_build, upstream_koji_build, koji_build, tests, bodhi_update, vm_image_build, koji_build_tag.",
    );
    expect([error.line, error.column]).toEqual([4, 5]);
  });

  it("lists the accepted triggers", () => {
    const error = fail(
      parsePackitConfig(
        "jobs:\n  - job: tests\n    trigger: pull_request\n  - job: tests\n    trigger: pull_request\n  - job: tests\n    trigger: merge\n",
      ),
    );
    expect(error.message).toBe("jobs[2].trigger: Must be one of: release, pull_request, commit, koji_build, ignore. (got 'merge')");
    expect(error.line).toBe(7);
  });

  it("requires job and trigger", () => {
    const error = fail(parsePackitConfig("jobs:\n  - targets: [fedora-all]\n"));
    expect(error.message).toContain("jobs[0].job: Missing data for required field.");
    expect(error.message).toContain("jobs[0].trigger: Missing data for required field.");
  });

  it("reports wrong value types at their path, with the line of the key, in Packit's words", () => {
    const text =
      "jobs:\n  - job: tests\n    trigger: pull_request\n    skip_build: yes please\n    targets:\n      fedora-43:\n        distros: fedora\n";
    const error = fail(parsePackitConfig(text));
    expect(error.message).toBe(
      "jobs[0].skip_build: Not a valid boolean.\njobs[0].targets: Expected list[str], got 'fedora' (type <class 'str'>) (line 5)",
    );
    expect(error.line).toBe(4);
  });

  it("rejects references to undefined packages", () => {
    const text = "packages:\n  a: {}\njobs:\n  - job: copr_build\n    trigger: pull_request\n    packages: [a, b]\n";
    expect(fail(parsePackitConfig(text)).message).toBe("jobs[0].packages: Undefined package(s) referenced: b.");
  });

  it("rejects a top level that is not a mapping", () => {
    expect(fail(parsePackitConfig("- job: tests\n")).message).toBe("(top level): the top level must be a mapping of keys, not a list");
    expect(fail(parsePackitConfig("just text\n")).message).toMatch(/not a string/);
    expect(fail(parsePackitConfig("jobs: {job: tests}\n")).message).toBe("jobs: expected a list of jobs");
  });

  it("rejects binary and non-UTF-8 input", () => {
    expect(fail(parsePackitConfig(Buffer.from([0x6a, 0x6f, 0x62, 0x00, 0x01]))).message).toMatch(/binary/);
    expect(fail(parsePackitConfig(Buffer.from("jobs: [\xff\xfe]", "latin1"))).message).toMatch(/not valid UTF-8/);
    expect(fail(parsePackitConfig("jobs: []\n\0")).message).toMatch(/binary/);
    expect(fail(parsePackitConfig("specfile_path: \uFFFD.spec\n")).message).toMatch(/not valid UTF-8/);
  });

  it("rejects a self-referencing alias", () => {
    expect(fail(parsePackitConfig("a: &a [1, *a]\n")).message).toMatch(/alias refers to a node that contains it/);
  });
});

describe("hostile input is refused quickly with bounded memory", () => {
  function bounded(run: () => void): void {
    const heap = process.memoryUsage().heapUsed;
    const start = performance.now();
    run();
    expect(performance.now() - start).toBeLessThan(1000);
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(64 * 1024 * 1024);
  }

  it("billion laughs", () => {
    const levels = ["lol: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    bounded(() => {
      expect(fail(parsePackitConfig(levels.join("\n"))).message).toMatch(/expands to more than 100000 nodes/);
    });
  });

  it("deep nesting, written out or through aliases", () => {
    bounded(() => {
      expect(fail(parsePackitConfig(`a: ${"[".repeat(5000)}${"]".repeat(5000)}\n`)).message).toMatch(/maxDepth/);
      const chain = ["l0: &l0 [x]"];
      for (let i = 1; i <= 70; i++) chain.push(`l${i}: &l${i} [*l${i - 1}]`);
      expect(fail(parsePackitConfig(chain.join("\n"))).message).toMatch(/nests deeper than 64 levels/);
    });
  });

  it("texts over 256 KiB, before parsing", () => {
    const big = `specfile_path: x.spec\n#${"x".repeat(MAX_CONFIG_BYTES)}\n`;
    bounded(() => {
      expect(fail(parsePackitConfig(big)).message).toBe("the config is larger than 256 KiB");
      expect(fail(parsePackitConfig(Buffer.from(big))).message).toBe("the config is larger than 256 KiB");
      // multi-byte characters count as bytes
      expect(fail(parsePackitConfig(`#${"é".repeat(MAX_CONFIG_BYTES / 2 + 1)}`)).message).toMatch(/larger than/);
    });
  });
});

describe("positions with keys that have no value", () => {
  it("does not invent duplicates and still points at the mapping", () => {
    const unknown = fail(
      parsePackitConfig("jobs:\n  - {job: tests, trigger: pull_request, skip_build: true}\nenv: {a, b: a, c}\nx: {a}\n"),
    );
    expect(unknown.message).toBe("x: Unknown field.");
    expect(unknown.line).toBe(4);
    const error = fail(parsePackitConfig("jobs:\n  - {job: tests, trigger: pull_request, manual_trigger}\n"));
    expect(error.message).toBe("jobs[0].manual_trigger: Field may not be null.");
    expect(error.line).toBe(2);
  });
});
