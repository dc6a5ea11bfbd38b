import { describe, expect, it } from "vitest";
import {
  activeByReleases,
  DEFAULT_RELEASES,
  expandKojiTargets,
  expandTargets,
  splitTarget,
  unreadableTargets,
  type ReleaseList,
} from "../../../src/packit-config/aliases.js";

// During a branching window: Fedora 46 is branched, Rawhide is 47.
const BRANCHED: ReleaseList = {
  fedora: { stable: ["fedora-44", "fedora-45"], development: ["fedora-46", "fedora-rawhide"] },
  epel: ["epel-9", "epel-10.2", "epel-10.3"],
  opensuse: { leap: ["opensuse-leap-16.0", "opensuse-leap-15.6"], leapMicro: [], tumbleweed: ["opensuse-tumbleweed"] },
  mageia: ["mageia-9", "mageia-cauldron"],
};

describe("splitTarget (Packit's rsplit rule)", () => {
  it.each([
    ["fedora-43", { distro: "fedora-43", arch: "x86_64" }],
    ["fedora-rawhide", { distro: "fedora-rawhide", arch: "x86_64" }],
    ["rawhide", { distro: "fedora-rawhide", arch: "x86_64" }],
    ["fedora-all-aarch64", { distro: "fedora-all", arch: "aarch64" }],
    ["centos-stream-9", { distro: "centos-stream-9", arch: "x86_64" }],
    ["centos-stream-9-s390x", { distro: "centos-stream-9", arch: "s390x" }],
    ["opensuse-leap-15.6", { distro: "opensuse-leap-15.6", arch: "x86_64" }],
    ["fedora-latest-stable-s390x", { distro: "fedora-latest-stable", arch: "s390x" }],
    ["epel-10-all", { distro: "epel-10-all", arch: "x86_64" }],
    ["epel9", null],
  ])("%s", (name, expected) => {
    expect(splitTarget(name)).toEqual(expected);
  });
});

describe("expandTargets", () => {
  const expand = (targets: string[], releases: ReleaseList = BRANCHED) => expandTargets(targets, releases);

  it("expands the Fedora aliases", () => {
    expect(expand(["fedora-all"])).toEqual(["fedora-44-x86_64", "fedora-45-x86_64", "fedora-46-x86_64", "fedora-rawhide-x86_64"]);
    expect(expand(["fedora-stable"])).toEqual(["fedora-44-x86_64", "fedora-45-x86_64"]);
    expect(expand(["fedora-development"])).toEqual(["fedora-46-x86_64", "fedora-rawhide-x86_64"]);
    expect(expand(["fedora-latest"])).toEqual(["fedora-46-x86_64"]);
    expect(expand(["fedora-latest-stable"])).toEqual(["fedora-45-x86_64"]);
    expect(expand(["fedora-branched"])).toEqual(["fedora-44-x86_64", "fedora-45-x86_64", "fedora-46-x86_64"]);
  });

  it("takes fedora-latest from the stable releases when nothing is branched", () => {
    expect(expand(["fedora-latest", "fedora-branched"], DEFAULT_RELEASES)).toEqual(["fedora-45-x86_64", "fedora-44-x86_64"]);
  });

  it("adds x86_64 to targets without arch and keeps an alias's arch", () => {
    expect(expand(["fedora-rawhide", "rawhide", "fedora-43", "centos-stream-10"])).toEqual([
      "fedora-rawhide-x86_64",
      "fedora-43-x86_64",
      "centos-stream-10-x86_64",
    ]);
    expect(expand(["fedora-all-aarch64", "fedora-stable-s390x"])).toEqual([
      "fedora-44-aarch64",
      "fedora-45-aarch64",
      "fedora-46-aarch64",
      "fedora-rawhide-aarch64",
      "fedora-44-s390x",
      "fedora-45-s390x",
    ]);
  });

  it("builds the leading EPEL 10 minor in epel-10 and a trailing one (branch epel10.N) in rhel+epel-10", () => {
    expect(expand(["epel-all"])).toEqual(["epel-9-x86_64", "rhel+epel-10-x86_64", "epel-10-x86_64"]);
    expect(expand(["epel-10-all-aarch64", "epel-10", "epel-10-branched"])).toEqual([
      "rhel+epel-10-aarch64",
      "epel-10-aarch64",
      "epel-10-x86_64",
      "rhel+epel-10-x86_64",
    ]);
    // a minor named directly: the leading one is epel-10, any other (also a retired one) rhel+epel-10
    expect(expand(["epel-10.3-ppc64le", "epel-10.2", "epel-10.0"])).toEqual(["epel-10-ppc64le", "rhel+epel-10-x86_64"]);
  });

  it("expands openSUSE and Mageia aliases", () => {
    expect(expand(["opensuse-all"])).toEqual(["opensuse-tumbleweed-x86_64", "opensuse-leap-16.0-x86_64", "opensuse-leap-15.6-x86_64"]);
    expect(expand(["opensuse-leap-all-aarch64"])).toEqual(["opensuse-leap-16.0-aarch64", "opensuse-leap-15.6-aarch64"]);
    expect(expand(["mageia-all"])).toEqual(["mageia-9-x86_64", "mageia-cauldron-x86_64"]);
  });

  it("deduplicates, keeps first-occurrence order, maps deprecated centos-stream and drops unreadable names", () => {
    expect(expand(["fedora-rawhide", "fedora-all", "epel9", "fedora-45-x86_64", "centos-stream-aarch64"])).toEqual([
      "fedora-rawhide-x86_64",
      "fedora-44-x86_64",
      "fedora-45-x86_64",
      "fedora-46-x86_64",
      "centos-stream-8-aarch64",
    ]);
  });

  it("has sensible defaults for late 2026", () => {
    expect(expandTargets(["fedora-all", "epel-all"], DEFAULT_RELEASES)).toEqual([
      "fedora-44-x86_64",
      "fedora-45-x86_64",
      "fedora-rawhide-x86_64",
      "epel-8-x86_64",
      "epel-9-x86_64",
      "rhel+epel-10-x86_64",
      "epel-10-x86_64",
    ]);
  });
});

describe("unreadableTargets", () => {
  it("names the single words Packit's get_build_targets refuses, dist-git branches included, with Packit's message", () => {
    const refused = unreadableTargets(["f44", "epel10", "eln", "rawhide", "fedora-44"], BRANCHED);
    expect(refused.map((r) => r.name)).toEqual(["f44", "epel10", "eln"]);
    expect(refused[0]!.message).toMatch(
      /^Cannot get build target from 'f44', packit understands values like these: '\['fedora-all', 'fedora-stable', .*\]'\.$/,
    );
  });
});

describe("activeByReleases (the offline fallback for Copr's active chroots)", () => {
  it.each([
    ["fedora-45-aarch64", true],
    ["fedora-rawhide-s390x", true],
    ["fedora-43-x86_64", false],
    ["epel-8-x86_64", true],
    ["epel-7-x86_64", false],
    ["epel-10-x86_64", true],
    ["rhel+epel-10-aarch64", true],
    ["centos-stream-9-x86_64", true],
    ["centos-stream-8-x86_64", false],
    ["centos-stream+epel-next-8-x86_64", false],
    ["opensuse-leap-15.5-x86_64", false],
    ["opensuse-tumbleweed-x86_64", true],
    ["mageia-8-x86_64", false],
    ["fedora-eln-x86_64", true],
    ["rhel-9-x86_64", true],
  ])("%s is %s", (chroot, active) => {
    expect(activeByReleases(chroot, DEFAULT_RELEASES)).toBe(active);
  });
});

describe("expandKojiTargets", () => {
  it("maps releases to Koji targets as Packit's get_koji_targets", () => {
    expect(expandKojiTargets(["fedora-development", "fedora-stable"], BRANCHED)).toEqual(["f46", "rawhide", "f44", "f45"]);
    // the leading EPEL minor is epel10, a trailing one keeps its minor
    expect(expandKojiTargets(["epel-10-all", "epel-9", "el8"], BRANCHED)).toEqual(["epel10.2", "epel10", "epel9", "epel8"]);
    expect(expandKojiTargets(["epel-10", "fedora-eln", "f45", "epel9"], BRANCHED)).toEqual(["epel10", "eln", "f45", "epel9"]);
  });
});
