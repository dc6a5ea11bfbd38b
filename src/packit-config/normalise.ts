/**
 * Packit's loading steps on a parsed document (packit/packit `packit/schema.py`,
 * `PackageConfigSchema.ordered_preprocess` and `rearrange_jobs`;
 * `packit/config/package_config.py` `get_from_dict`): the top-level `_` holds
 * anchors and is dropped; top-level keys are defaults for every package, a
 * package's keys for every job, and a job may override per package (`packages:`
 * as a mapping); the old nested `metadata:` is merged into its job; a trigger
 * `commit | koji_build` makes one job per trigger. Every key is checked where it
 * is written, against the schema of that place.
 */
import {
  JOB_LEVEL_FIELDS,
  JOB_ONLY_FIELDS,
  JOB_TYPES,
  METADATA_KEYS,
  REMOVED_KEYS,
  TOP_LEVEL_FIELDS,
  TRIGGERS,
  type JobSettings,
  type JobView,
  type PackageSettings,
  type PackitConfig,
  type PackitJobType,
  type PackitTrigger,
  type RawJobSettings,
} from "./schema.js";
import { pyRepr, pyType, TARGET_OPTION_KEYS } from "./fields.js";
import type { Validator } from "./messages.js";
import { isMapping, type Path } from "./yaml.js";
import type { z } from "zod";

/** Packit's jobs when a config has no `jobs` key (`get_default_jobs`). */
const DEFAULT_JOBS = [
  { job: "copr_build", trigger: "pull_request", targets: ["fedora-stable"] },
  { job: "tests", trigger: "pull_request", targets: ["fedora-stable"] },
  { job: "propose_downstream", trigger: "release", dist_git_branches: ["fedora-all"] },
];

/** `DEPRECATED_TARGET_MAP` (packit/config/aliases.py): the arch-suffixed `centos-stream`. */
const DEPRECATED_TARGET = /^centos-stream-(aarch64|armhfp|i386|ppc64le|s390x|x86_64)$/;

const STRUCTURE_KEYS = new Set(["job", "trigger", "packages", "metadata"]);
const JOB_TYPE_NAMES = new Set<string>(JOB_TYPES);
const TRIGGER_NAMES = new Set<string>(TRIGGERS);

type Fields = Readonly<Record<string, z.ZodType>>;

/**
 * Check the settings keys of one mapping against `fields`; `structural` keys are
 * the caller's. Returns the valid values (nulls kept: they undo an inherited value).
 */
function settingsOf(
  raw: Record<string, unknown>,
  path: Path,
  v: Validator,
  fields: Fields,
  structural: ReadonlySet<string> = new Set(),
): PackageSettings {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (structural.has(key)) continue;
    const schema = fields[key];
    if (!schema) {
      const removed = REMOVED_KEYS[key];
      v.error([...path, key], removed ? `Unknown field. (${removed})` : "Unknown field.");
      continue;
    }
    if (key === "dist_git_url") {
      v.warn(
        [...path, key],
        "'dist_git_url' is no longer being processed. (it is generated from dist_git_base_url and downstream_package_name)",
      );
      continue;
    }
    const checked = v.check(schema, value, [...path, key]);
    if (checked.ok) out[key] = checked.value;
  }
  lint(raw, out, path, v);
  return out;
}

/** Problems Packit tolerates but the user likely wants to know about. */
function lint(raw: Record<string, unknown>, settings: PackageSettings, path: Path, v: Validator): void {
  if (settings.identifier?.includes(":")) {
    v.warn([...path, "identifier"], "contains ':', which Packit uses as the check name separator");
  }
  if (typeof settings.branch === "string" && !isRegExp(settings.branch)) {
    v.warn([...path, "branch"], "not a valid regular expression; it is matched literally");
  }
  for (const { name } of settings.targets ?? []) {
    if (DEPRECATED_TARGET.test(name)) {
      v.warn(
        [...path, "targets"],
        `Target '${name}' is deprecated. Please update your configuration file and use '${name.replace("centos-stream", "centos-stream-8")}' instead.`,
      );
    }
  }
  if (isMapping(raw.targets)) {
    for (const [target, options] of Object.entries(raw.targets)) {
      for (const key of isMapping(options) ? Object.keys(options) : []) {
        if (!TARGET_OPTION_KEYS.has(key)) v.warn([...path, "targets", target, key], "unknown target option, ignored");
      }
    }
  }
}

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

function resolveJob(settings: RawJobSettings): JobSettings {
  return {
    ...settings,
    osh_diff_scan_after_copr_build: settings.osh_diff_scan_after_copr_build ?? true,
    cancel_superseded: settings.cancel_superseded ?? true,
    skip_build: settings.skip_build ?? false,
    manual_trigger: settings.manual_trigger ?? false,
    labels: settings.labels ?? [],
    packit_instances: settings.packit_instances ?? ["prod"],
  };
}

/** The whole document → packages and job views. Problems go to `v`. */
export function normalise(doc: unknown, v: Validator): PackitConfig {
  if (doc === null || doc === undefined) {
    v.warn([], "the config is empty; Packit's default jobs apply");
    doc = {};
  }
  if (!isMapping(doc)) {
    v.error([], `the top level must be a mapping of keys, not ${Array.isArray(doc) ? "a list" : `a ${typeof doc}`}`);
    return { packages: {}, packagesDeclared: false, jobs: [] };
  }
  // `_` holds anchors only and is dropped when read (packit#2378).
  const top = settingsOf(doc, [], v, TOP_LEVEL_FIELDS, new Set(["jobs", "packages", "_"]));

  const packages: Record<string, PackageSettings> = {};
  const packagesDeclared = doc.packages !== undefined;
  if (packagesDeclared) {
    if (!isMapping(doc.packages) || Object.keys(doc.packages).length === 0) {
      v.error(["packages"], "expected a mapping of package name to package settings");
    } else {
      for (const [name, raw] of Object.entries(doc.packages)) {
        if (!isMapping(raw)) {
          v.error(["packages", name], "expected a mapping of package settings");
          continue;
        }
        const own = settingsOf(raw, ["packages", name], v, TOP_LEVEL_FIELDS);
        // get_from_dict propagates the top-level upstream_project_url into every package.
        const url = top.upstream_project_url !== undefined ? { upstream_project_url: top.upstream_project_url } : {};
        packages[name] = { ...top, downstream_package_name: name, ...own, ...url };
      }
    }
  } else {
    packages[top.downstream_package_name ?? top.upstream_package_name ?? ""] = top;
  }

  let rawJobs: unknown = doc.jobs;
  if (!("jobs" in doc)) {
    v.warn([], "no `jobs` key: Packit's default jobs apply (copr_build and tests on pull requests, propose_downstream on releases)");
    rawJobs = DEFAULT_JOBS;
  }
  if (!Array.isArray(rawJobs)) {
    v.error(["jobs"], "expected a list of jobs");
    return { packages, packagesDeclared, jobs: [] };
  }
  const views = rawJobs.flatMap((raw, i) => jobViews(raw, ["jobs", i], i, packages, v));
  return { packages, packagesDeclared, jobs: withoutTwins(views) };
}

/** Packit schedules a job once even when the file lists it twice (`job not in jobs_matching_trigger`). */
function withoutTwins(views: JobView[]): JobView[] {
  const seen = new Set<string>();
  return views.filter((view) => {
    const id = JSON.stringify([view.type, view.trigger, view.package, view.settings]);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function jobViews(raw: unknown, path: Path, index: number, packages: Record<string, PackageSettings>, v: Validator): JobView[] {
  if (!isMapping(raw)) {
    v.error(path, "expected a mapping describing the job");
    return [];
  }
  const job = withMetadata(raw, path, v);
  const type = jobType(job.job, [...path, "job"], v);
  const triggers = jobTriggers(job.trigger, [...path, "trigger"], v);

  const own: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(JOB_ONLY_FIELDS)) {
    if (!(key in job)) continue;
    const checked = v.check(schema, job[key], [...path, key]);
    if (checked.ok) own[key] = checked.value;
  }
  const settings = settingsOf(job, path, v, JOB_LEVEL_FIELDS, new Set([...STRUCTURE_KEYS, ...Object.keys(JOB_ONLY_FIELDS)]));
  const selectedBy = job.packages ?? (typeof own.package === "string" ? [own.package] : undefined);
  const selection = selectPackages(selectedBy, [...path, "packages"], packages, v);
  if (!type || !triggers || !selection) return [];
  return triggers.flatMap((trigger) =>
    selection.map(({ name, overrides }) => ({
      index,
      type,
      trigger,
      package: name,
      settings: resolveJob({ ...packages[name], ...settings, ...overrides, ...own }),
    })),
  );
}

/**
 * The old nested `metadata:` merged into the job, as `rearrange_jobs` does: only
 * `JobMetadataSchema` keys, `dist_git_branch` renamed, and none of them may also be
 * a key of the job (except `targets`, which metadata then overrides).
 */
function withMetadata(raw: Record<string, unknown>, path: Path, v: Validator): Record<string, unknown> {
  const metadata = raw.metadata;
  // Packit skips a missing, null or empty metadata without a word.
  if (metadata === undefined || metadata === null || (isMapping(metadata) && Object.keys(metadata).length === 0)) return raw;
  const at: Path = [...path, "metadata"];
  v.warn(
    at,
    "The 'metadata' key in jobs is deprecated and can be removed. Nest config options from 'metadata' directly under the job object.",
  );
  if (!isMapping(metadata)) {
    v.error(at, "Invalid input type.");
    return raw;
  }
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    let name = key;
    if (key === "dist-git-branch" || key === "dist_git_branch") {
      v.warn([...at, key], `Job metadata key '${key}' has been renamed to 'dist_git_branches', please update your configuration file.`);
      name = "dist_git_branches";
    }
    if (!METADATA_KEYS.includes(name)) v.error([...at, key], "Unknown field.");
    else merged[name] = value;
  }
  const mixed = METADATA_KEYS.filter((key) => key !== "targets" && key in raw);
  if (mixed.length > 0) {
    v.error(
      at,
      `Keys: {${mixed.map((k) => pyRepr(k)).join(", ")}} are defined outside job metadata dictionary. ` +
        "Mixing obsolete metadata dictionary and new job keys is not possible. Remove obsolete nested job metadata dictionary.",
    );
  }
  const { metadata: _dropped, ...job } = raw;
  return { ...job, ...merged };
}

function jobType(value: unknown, path: Path, v: Validator): PackitJobType | undefined {
  if (value === undefined) {
    v.error(path, "Missing data for required field.");
    return undefined;
  }
  if (typeof value === "string" && JOB_TYPE_NAMES.has(value)) return value as PackitJobType;
  const removed = value === "build" || value === "production_build";
  const hint = removed
    ? ` (the deprecated name ${pyRepr(value)} was removed from Packit; use ${value === "build" ? "copr_build" : "upstream_koji_build"})`
    : "";
  v.error(path, `Must be one of: ${JOB_TYPES.join(", ")}.${hint}`);
  return undefined;
}

/** `trigger` is one trigger or several joined by `|` (Packit splits the job per trigger). */
function jobTriggers(value: unknown, path: Path, v: Validator): PackitTrigger[] | undefined {
  if (value === undefined) {
    v.error(path, "Missing data for required field.");
    return undefined;
  }
  const names = typeof value === "string" ? value.split("|").map((t) => t.trim()) : [value];
  const bad = names.find((t) => typeof t !== "string" || !TRIGGER_NAMES.has(t));
  if (bad !== undefined) {
    v.error(path, `Must be one of: ${TRIGGERS.join(", ")}. (got ${pyRepr(bad)})`);
    return undefined;
  }
  return [...new Set(names)] as PackitTrigger[];
}

/** A job's `packages`: absent = all, a list selects, a mapping selects and overrides. */
function selectPackages(
  value: unknown,
  path: Path,
  packages: Record<string, PackageSettings>,
  v: Validator,
): { name: string; overrides: PackageSettings }[] | undefined {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    return Object.keys(packages).map((name) => ({ name, overrides: {} }));
  }
  let selected: { name: string; overrides: PackageSettings }[];
  if (Array.isArray(value)) {
    selected = [...new Set(value.map(String))].map((name) => ({ name, overrides: {} }));
  } else if (isMapping(value)) {
    selected = Object.entries(value).map(([name, raw]) => {
      if (!isMapping(raw)) {
        v.error([...path, name], "expected a mapping of settings for this package");
        return { name, overrides: {} };
      }
      return { name, overrides: settingsOf(raw, [...path, name], v, JOB_LEVEL_FIELDS) };
    });
  } else {
    v.error(path, `Type is ${pyType(value)} instead of 'list' or 'dict'.`);
    return undefined;
  }
  const undefinedNames = selected.map((s) => s.name).filter((name) => !(name in packages));
  if (undefinedNames.length > 0) {
    v.error(path, `Undefined package(s) referenced: ${undefinedNames.join(", ")}.`);
    return undefined;
  }
  return selected;
}
