/**
 * Packit's release aliases (`fedora-all`, `epel-10-all`, …) and its rules for
 * turning a configured target into a build target (Copr chroot) or a Koji target.
 *
 * Follows packit/packit `packit/config/aliases.py` (`get_build_targets`,
 * `get_koji_targets`) and the alias table Packit builds from
 * fedora-distro-aliases and opensuse-distro-aliases. The releases themselves are
 * service data (`ReleaseList`), not fetched here: everything in this module is pure.
 */

import { pyRepr } from "./fields.js";

/**
 * The releases the aliases expand to. Service settings pass their own; Packit
 * reads the same facts from Bodhi.
 */
export interface ReleaseList {
  fedora: {
    /** Released Fedoras, oldest first, e.g. `["fedora-44", "fedora-45"]`. */
    stable: string[];
    /** Unreleased Fedoras, oldest first, Rawhide last, e.g. `["fedora-46", "fedora-rawhide"]`. */
    development: string[];
  };
  /**
   * Active EPEL releases as Bodhi names them, oldest first. From EPEL 10 on there is
   * one entry per active minor (`epel-10.3`, `epel-10.4`); the highest minor of a
   * major is the leading one (dist-git branch and Koji target `epel10`).
   */
  epel: string[];
  opensuse: { leap: string[]; leapMicro: string[]; tumbleweed: string[] };
  mageia: string[];
}

/** Active releases as of December 2026 (Fedora 45 released, EPEL 10.3 trailing). */
export const DEFAULT_RELEASES: ReleaseList = {
  fedora: { stable: ["fedora-44", "fedora-45"], development: ["fedora-rawhide"] },
  epel: ["epel-8", "epel-9", "epel-10.3", "epel-10.4"],
  opensuse: {
    leap: ["opensuse-leap-16.0"],
    leapMicro: ["opensuse-leap-micro-6.2"],
    tumbleweed: ["opensuse-tumbleweed"],
  },
  mageia: ["mageia-9", "mageia-cauldron"],
};

/**
 * Architectures recognised as a target's last part. Packit's list plus the
 * Copr-only ones (`x86_64_v2`, `riscv64`, …) so that those chroots are not misread
 * as a version.
 */
const ARCHITECTURES: readonly string[] = [
  "aarch64",
  "armhfp",
  "i386",
  "ppc64le",
  "s390x",
  "x86_64",
  "x86_64_v2",
  "x86_64_v3",
  "x86_64_v4",
  "riscv64",
];

/** The arch a target without one builds for (Packit's default). */
const DEFAULT_ARCH = "x86_64";

/** Packit's default targets when a build or test job names none. */
export const DEFAULT_TARGET = "fedora-stable";

const EPEL_MINOR = /^epel-(\d+)\.(\d+)$/;

/** Python's `str.rsplit(sep, maxsplit)`. */
function rsplit(text: string, sep: string, maxsplit: number): string[] {
  const parts = text.split(sep);
  if (parts.length <= maxsplit + 1) return parts;
  return [parts.slice(0, parts.length - maxsplit).join(sep), ...parts.slice(-maxsplit)];
}

/**
 * Split a configured target into distro (or alias) and arch the way Packit does:
 * `fedora-43` → fedora-43/x86_64, `fedora-all-aarch64` → fedora-all/aarch64,
 * `opensuse-leap-15.6` → opensuse-leap-15.6/x86_64 (the last part is no arch),
 * `rawhide` → fedora-rawhide/x86_64. A single word other than Rawhide is not a
 * target Packit understands: null.
 */
export function splitTarget(name: string): { distro: string; arch: string } | null {
  const parts = rsplit(name, "-", 2);
  if (parts.length < 2 || parts.some((p) => p === "")) {
    return name.includes("rawhide") ? { distro: "fedora-rawhide", arch: DEFAULT_ARCH } : null;
  }
  if (parts.length === 2) return { distro: name, arch: DEFAULT_ARCH };
  const [sys, version, arch] = parts as [string, string, string];
  return ARCHITECTURES.includes(arch) ? { distro: `${sys}-${version}`, arch } : { distro: name, arch: DEFAULT_ARCH };
}

function last<T>(list: readonly T[]): T[] {
  return list.length > 0 ? [list[list.length - 1] as T] : [];
}

/** EPEL majors with the releases of each, in list order. */
function epelByMajor(epel: readonly string[]): Map<string, string[]> {
  const byMajor = new Map<string, string[]>();
  for (const release of epel) {
    const major = EPEL_MINOR.exec(release)?.[1] ?? release.replace(/^epel-/, "");
    byMajor.set(major, [...(byMajor.get(major) ?? []), release]);
  }
  return byMajor;
}

/** The leading minor of each EPEL major that has minors (`epel-10.4`). */
function leadingEpelMinors(epel: readonly string[]): Set<string> {
  const leading = new Set<string>();
  for (const releases of epelByMajor(epel).values()) {
    const minors = releases.filter((r) => EPEL_MINOR.test(r));
    const highest = minors.sort((a, b) => minorOf(a) - minorOf(b)).at(-1);
    if (highest) leading.add(highest);
  }
  return leading;
}

function minorOf(release: string): number {
  return Number(EPEL_MINOR.exec(release)?.[2] ?? 0);
}

/**
 * Alias → releases, as Packit's `get_aliases()` would answer for `releases`.
 * `fedora-latest` is the newest numbered Fedora (branched if there is one),
 * `fedora-branched` everything but Rawhide; see packit.dev/docs/configuration#aliases.
 */
function aliasTable(releases: ReleaseList): Map<string, string[]> {
  const { stable, development } = releases.fedora;
  const table = new Map<string, string[]>([
    ["fedora-all", [...stable, ...development]],
    ["fedora-stable", [...stable]],
    ["fedora-development", [...development]],
    ["fedora-latest", development.length > 1 ? [development[development.length - 2] as string] : last(stable)],
    ["fedora-latest-stable", last(stable)],
    ["fedora-branched", [...stable, ...development.slice(0, -1)]],
    ["epel-all", [...releases.epel]],
  ]);
  const leading = leadingEpelMinors(releases.epel);
  for (const [major, list] of epelByMajor(releases.epel)) {
    table.set(`epel-${major}-all`, list);
    // `epel-X` is the leading minor once a major has minors (packit.dev, EPEL minor version aliases).
    const lead = list.find((r) => leading.has(r));
    if (lead) table.set(`epel-${major}`, [lead]);
    // The trailing minors: every minor but the leading one (Packit's `epel-X-branched`).
    table.set(
      `epel-${major}-branched`,
      list.filter((r) => EPEL_MINOR.test(r) && !leading.has(r)),
    );
  }
  const { leap, leapMicro, tumbleweed } = releases.opensuse;
  table.set("opensuse-leap-all", [...leap]);
  table.set("opensuse-leap-micro-all", [...leapMicro]);
  table.set("opensuse-all", [...tumbleweed, ...leap, ...leapMicro]);
  table.set("mageia-all", [...releases.mageia]);
  return table;
}

/** Releases an alias stands for, or the name itself when it is no alias. */
function expandAlias(name: string, table: Map<string, string[]>): string[] {
  return table.get(name) ?? [name];
}

function dedupe(items: Iterable<string>): string[] {
  return [...new Set(items)];
}

/**
 * Expand configured targets into Copr build targets (chroots), as Packit's
 * `get_build_targets`: aliases become their releases, a target without arch gets
 * `-x86_64`, an alias with arch (`fedora-all-aarch64`) keeps it; the deprecated
 * `centos-stream-<arch>` means CentOS Stream 8. From EPEL 10 on, the leading minor
 * (dist-git branch `epel10`) builds in Copr's `epel-10-<arch>` and a trailing one
 * (branch `epel10.N`) in `rhel+epel-10-<arch>` (packit/packit#2619). Names Packit
 * cannot read are dropped (see `unreadableTargets`). Deduplicated, first
 * occurrence order kept.
 */
export function expandTargets(targets: string[], releases: ReleaseList): string[] {
  const table = aliasTable(releases);
  const leading = leadingEpelMinors(releases.epel);
  const out: string[] = [];
  for (const name of targets) {
    const split = splitTarget(name);
    if (!split) continue;
    for (const release of expandAlias(split.distro, table)) {
      const minor = EPEL_MINOR.exec(release);
      const distro = minor ? `${leading.has(release) ? "epel" : "rhel+epel"}-${minor[1]}` : release;
      out.push(distro === "centos-stream" ? `centos-stream-8-${split.arch}` : `${distro}-${split.arch}`);
    }
  }
  return dedupe(out);
}

/**
 * The configured names Packit's `get_build_targets` refuses (a single word other
 * than one containing "rawhide", e.g. the dist-git branches `f44`, `epel10`, `eln`),
 * each with Packit's message. Packit then builds none of the job's targets.
 */
export function unreadableTargets(targets: string[], releases: ReleaseList): { name: string; message: string }[] {
  const aliases = pyRepr([...aliasTable(releases).keys()]);
  return targets
    .filter((name) => !splitTarget(name))
    .map((name) => ({ name, message: `Cannot get build target from '${name}', packit understands values like these: '${aliases}'.` }));
}

/**
 * Families of chroots the bundled release list does not cover but whose ended
 * versions are known: CentOS Stream 8 ended in 2024 (with EPEL Next 8).
 */
const BUNDLED_STREAMS: Readonly<Record<string, readonly string[]>> = {
  "centos-stream": ["9", "10"],
  "centos-stream+epel-next": ["9"],
};

/**
 * Whether a Copr chroot is active by the bundled release list: the fallback when
 * Copr's own list (`/api_3/mock-chroots/list`) cannot be read. Fedora, EPEL,
 * openSUSE, Mageia and CentOS Stream versions outside the list are ended; chroots
 * of other families (ELN, RHEL, AlmaLinux, …) are taken as active.
 */
export function activeByReleases(chroot: string, releases: ReleaseList): boolean {
  const split = splitTarget(chroot);
  if (!split) return false;
  const { distro } = split;
  const known = (list: readonly string[]) => list.includes(distro);
  if (/^fedora-(\d+|rawhide)$/.test(distro)) return known([...releases.fedora.stable, ...releases.fedora.development]);
  const epel = /^(?:rhel\+)?epel-(\d+)$/.exec(distro);
  if (epel) return epelByMajor(releases.epel).has(epel[1] as string);
  if (/^opensuse-/.test(distro)) return known([...releases.opensuse.leap, ...releases.opensuse.leapMicro, ...releases.opensuse.tumbleweed]);
  if (/^mageia-/.test(distro)) return known(releases.mageia);
  const stream = /^(centos-stream(?:\+epel-next)?)-(\d+)$/.exec(distro);
  if (stream) return BUNDLED_STREAMS[stream[1] as string]?.includes(stream[2] as string) ?? true;
  return true;
}

/**
 * Expand configured targets into Koji build targets, as Packit's
 * `get_koji_targets`: `fedora-rawhide` → `rawhide`, `fedora-45` → `f45`,
 * `epel-9` → `epel9`, the leading EPEL minor → `epel10`, a trailing one →
 * `epel10.3`, `fedora-eln` → `eln`; anything else (a raw Koji target such as
 * `f45`) is kept. Deduplicated, order kept.
 */
export function expandKojiTargets(targets: string[], releases: ReleaseList): string[] {
  const table = aliasTable(releases);
  const leading = leadingEpelMinors(releases.epel);
  const out: string[] = [];
  for (const name of targets) {
    for (const release of expandAlias(name, table)) {
      out.push(kojiTarget(release, leading));
    }
  }
  return dedupe(out);
}

function kojiTarget(release: string, leadingEpel: Set<string>): string {
  if (release === "fedora-rawhide") return "rawhide";
  if (release === "fedora-eln") return "eln";
  const fedora = /^fedora-(\d+)$/.exec(release);
  if (fedora) return `f${fedora[1]}`;
  const minor = EPEL_MINOR.exec(release);
  if (minor) return leadingEpel.has(release) ? `epel${minor[1]}` : `epel${minor[1]}.${minor[2]}`;
  const epel = /^(?:epel-|el)(\d+)$/.exec(release);
  if (epel) return `epel${epel[1]}`;
  return release;
}
