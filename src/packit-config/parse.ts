/**
 * `.packit.yaml` parser and validator.
 *
 * Reads YAML with js-yaml (anchors, aliases and `<<` merge keys work), bounded
 * against hostile input (size, nesting, alias expansion), validates with zod
 * against Packit's schema (packit/packit `packit/schema.py`,
 * packit.dev/docs/configuration) and resolves Packit's inheritance: top-level keys
 * are defaults for every package, a package's keys are defaults for every job,
 * and a job may override per package (`packages:` as a mapping). The result has
 * one *job view* per job × trigger × selected package, which is what Packit
 * itself schedules.
 *
 * Unknown keys are warnings (Packit ignores or rejects them; the app tolerates
 * them), wrong values are errors naming the path, e.g.
 * `jobs[2].trigger: expected one of pull_request, commit, release, koji_build, ignore`.
 */
import yaml from "js-yaml";
import { z } from "zod";
import { ConfigError } from "../errors.js";

/** Texts larger than this are rejected before parsing. */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** Deepest nesting accepted, counting alias expansion. */
export const MAX_NESTING = 64;
/** Most nodes the document may expand to through aliases (billion laughs guard). */
export const MAX_NODES = 100_000;

/** Job types that react to dist-git or release automation: parsed, but not run by this service. */
export const DOWNSTREAM_JOB_TYPES = [
  "propose_downstream",
  "pull_from_upstream",
  "koji_build",
  "bodhi_update",
  "koji_build_tag",
  "sync_from_downstream",
] as const;

/** Job types Packit knows (`JobType` in packit/config/job_config.py). */
export const JOB_TYPES = ["copr_build", "tests", "upstream_koji_build", "vm_image_build", ...DOWNSTREAM_JOB_TYPES] as const;
export type PackitJobType = (typeof JOB_TYPES)[number];

/** Deprecated job names Packit still maps (packit `DEPRECATED_JOB_TYPES`). */
export const JOB_TYPE_ALIASES: Readonly<Record<string, PackitJobType>> = {
  build: "copr_build",
  production_build: "upstream_koji_build",
};

/** Triggers Packit knows (`JobConfigTriggerType`); `koji_build` is for downstream jobs. */
export const TRIGGERS = ["pull_request", "commit", "release", "koji_build", "ignore"] as const;
export type PackitTrigger = (typeof TRIGGERS)[number];

/** Action (hook) names Packit accepts (`ActionName` in packit/actions.py). */
const ACTION_NAMES = new Set([
  "post-upstream-clone",
  "pre-sync",
  "create-patches",
  "prepare-files",
  "create-archive",
  "get-current-version",
  "fix-spec-file",
  "post-modifications",
  "changelog-entry",
  "commit-message",
]);

// ---------------------------------------------------------------------------
// Schema

const str = z.string();
const strList = z.array(z.string());
const bool = z.boolean();
const anyMap = z.record(z.string(), z.unknown());

const targetOptionsSchema = z.object({
  distros: strList.optional(),
  additional_packages: strList.optional(),
  additional_repos: strList.optional(),
  additional_modules: str.optional(),
  with_opts: strList.optional(),
  without_opts: strList.optional(),
  isolation: str.optional(),
  bootstrap: str.optional(),
});
const TARGET_OPTION_KEYS = new Set(Object.keys(targetOptionsSchema.shape));

/** Per-target options of the mapping form of `targets` (Testing Farm `distros`, Copr chroot settings). */
export type TargetOptions = z.output<typeof targetOptionsSchema>;
/** One configured target (an alias or a chroot) with its options, in file order. */
export interface TargetEntry {
  name: string;
  options: TargetOptions;
}

const targetsSchema = z
  .union([str, strList, z.record(z.string(), targetOptionsSchema.nullable())], {
    error: "expected a list of targets or a mapping of target to options",
  })
  .transform((value): TargetEntry[] => {
    if (typeof value === "string") return [{ name: value, options: {} }];
    if (Array.isArray(value)) return value.map((name) => ({ name, options: {} }));
    return Object.entries(value).map(([name, options]) => ({ name, options: options ?? {} }));
  });

const distGitBranchesSchema = z
  .union([str, strList, z.record(z.string(), z.object({ fast_forward_merge_into: strList.optional() }).nullable())])
  .transform((value) => (typeof value === "string" ? [value] : value));

const syncItemSchema = z.union([
  str,
  z.object({
    src: z.union([str, strList]),
    dest: str,
    mkpath: bool.optional(),
    delete: bool.optional(),
    filters: strList.optional(),
  }),
]);

/**
 * Keys valid at the top level, in a package and in a job (Packit's
 * `CommonConfigSchema`, the former `metadata` keys, and the app's own
 * `cancel_superseded`). All optional; defaults are applied after inheritance.
 */
const settingsSchema = z
  .object({
    config_file_path: str,
    specfile_path: str,
    downstream_package_name: str,
    upstream_package_name: str,
    upstream_project_url: str,
    paths: strList,
    upstream_ref: str,
    upstream_tag_template: str,
    upstream_tag_include: str,
    upstream_tag_exclude: str,
    archive_root_dir_template: str,
    dist_git_base_url: str,
    dist_git_namespace: str,
    allowed_gpg_keys: strList.nullable(),
    spec_source_id: z.union([str, z.number().int()]),
    files_to_sync: z.array(syncItemSchema),
    actions: z.record(z.string(), z.union([str, strList])),
    create_pr: bool,
    sync_changelog: bool,
    create_sync_note: bool,
    patch_generation_ignore_paths: strList,
    patch_generation_patch_id_digits: z.number().int().min(0),
    notifications: anyMap,
    copy_upstream_release_description: bool,
    sources: z.array(z.object({ path: str, url: str })),
    merge_pr_in_ci: bool,
    srpm_build_deps: strList.nullable(),
    identifier: str,
    packit_instances: strList,
    issue_repository: str,
    release_suffix: str.nullable(),
    update_release: bool,
    upload_sources: bool,
    prerelease_suffix_pattern: str.nullable(),
    prerelease_suffix_macro: str.nullable(),
    version_update_mask: str,
    version_suffix: str,
    pkg_tool: str,
    sig: str,
    parse_time_macros: z.record(z.string(), str.nullable()),
    status_name_template: str,
    sync_test_job_statuses_with_builds: bool,
    require: z.object({
      label: z.object({ present: strList.optional(), absent: strList.optional() }).optional(),
    }),
    test_command: z.object({ default_identifier: str.optional(), default_labels: strList.optional() }),
    // Former `metadata` keys (build and test options)
    targets: targetsSchema,
    timeout: z.number().int(),
    owner: str,
    project: str,
    dist_git_branches: distGitBranchesSchema,
    branch: str,
    scratch: bool,
    list_on_homepage: bool,
    preserve_project: bool,
    follow_fedora_branching: bool,
    module_hotfixes: bool,
    enable_net: bool,
    bootstrap: str,
    additional_packages: strList,
    additional_repos: strList,
    use_internal_tf: bool,
    use_target_repo_for_fmf_url: bool,
    fmf_url: str,
    fmf_ref: str,
    fmf_path: str,
    tmt_plan: str,
    tf_post_install_script: str,
    tf_extra_params: anyMap,
    env: anyMap,
    allowed_pr_authors: strList,
    allowed_committers: strList,
    allowed_builders: strList,
    // VM Image Builder
    image_distribution: str,
    image_request: anyMap,
    image_customizations: anyMap,
    copr_chroot: str,
    // OpenScanHub
    osh_diff_scan_after_copr_build: bool,
    osh_options: anyMap,
    csmock_args: str,
    // packit-probot: keep this job's runs when a newer head arrives
    cancel_superseded: bool,
  })
  .partial();
const SETTINGS_KEYS = new Set(Object.keys(settingsSchema.shape));

/** Keys only a job has (Packit's `JobConfigSchema`), besides `job`, `trigger`, `packages`, `metadata`. */
const jobOnlySchema = z
  .object({
    skip_build: bool,
    manual_trigger: bool,
    labels: strList,
    sidetag_group: str,
    dependents: strList,
    dependencies: strList,
  })
  .partial();
const JOB_ONLY_KEYS = new Set(Object.keys(jobOnlySchema.shape));
const JOB_STRUCTURE_KEYS = new Set(["job", "trigger", "packages", "metadata"]);

/** Package-level settings: top-level keys with a package's own keys on top. */
export type PackageSettings = z.output<typeof settingsSchema>;

/** A job's effective settings for one package, with Packit's (and the app's) defaults applied. */
export type JobSettings = Omit<PackageSettings, "osh_diff_scan_after_copr_build" | "cancel_superseded"> &
  Omit<z.output<typeof jobOnlySchema>, "skip_build" | "manual_trigger" | "labels"> & {
    /** Run a differential OpenScanHub scan after the rawhide x86_64 build (Packit default: true). */
    osh_diff_scan_after_copr_build: boolean;
    /** Cancel this job's runs when a newer head arrives (app default: true). */
    cancel_superseded: boolean;
    skip_build: boolean;
    manual_trigger: boolean;
    /** Groups jobs for `/packit test --labels …`; does not gate automatic runs. */
    labels: string[];
  };

/** One job for one trigger and one package: the unit Packit schedules. */
export interface JobView {
  /** Position of the job in `jobs:` (or in Packit's default jobs when the key is missing). */
  index: number;
  type: PackitJobType;
  trigger: PackitTrigger;
  /** Package name; for a config without `packages:` the implicit package (see `PackitConfig`). */
  package: string;
  settings: JobSettings;
}

/** A validated `.packit.yaml` with inheritance resolved. */
export interface PackitConfig {
  /**
   * Packages with top-level defaults merged in. Without a `packages:` key there is
   * one implicit package named after `downstream_package_name` (or
   * `upstream_package_name`, or `""`: Packit would use the repository name).
   */
  packages: Record<string, PackageSettings>;
  /** The file declares `packages:` (a monorepo, or a single named package). */
  packagesDeclared: boolean;
  /** Job views in file order: job × trigger (`commit | koji_build` splits) × selected package. */
  jobs: JobView[];
}

export type ParseResult =
  | { ok: true; config: PackitConfig; warnings: string[] }
  | { ok: false; error: ConfigError };

/** Packit's jobs when a config has no `jobs` key (`get_default_jobs`). */
const DEFAULT_JOBS = [
  { job: "copr_build", trigger: "pull_request", targets: ["fedora-stable"] },
  { job: "tests", trigger: "pull_request", targets: ["fedora-stable"] },
  { job: "propose_downstream", trigger: "release", dist_git_branches: ["fedora-all"] },
];

// ---------------------------------------------------------------------------
// Reading YAML within bounds

interface Pos {
  line: number;
  column: number;
}
/** Where a mapping or sequence starts, and where each of its keys (items) starts. */
interface NodeInfo {
  start: Pos;
  entries: Map<string | number, Pos>;
}
type Path = (string | number)[];

class Failure extends Error {
  constructor(
    message: string,
    readonly pos?: Pos,
  ) {
    super(message);
  }
}

// Core schema plus `<<` merge keys (js-yaml keys merging on this tag); no
// timestamps or binary, so every scalar is a string, number, boolean or null.
const MERGE = new yaml.Type("tag:yaml.org,2002:merge", { kind: "scalar", resolve: (data) => data === "<<" });
const SCHEMA = yaml.CORE_SCHEMA.extend({ implicit: [MERGE] });

function decode(input: string | Uint8Array): string {
  if (typeof input === "string") {
    if (input.length > MAX_CONFIG_BYTES || Buffer.byteLength(input, "utf8") > MAX_CONFIG_BYTES) {
      throw new Failure(`the config is larger than ${MAX_CONFIG_BYTES / 1024} KiB`);
    }
    if (input.includes("\0")) throw new Failure("the config is a binary file (it contains NUL bytes)");
    // A lossy decoder turns invalid UTF-8 into U+FFFD; a real config has no reason to contain it.
    if (input.includes("\uFFFD")) {
      throw new Failure("the config is not valid UTF-8 (it contains U+FFFD replacement characters)");
    }
    return input;
  }
  if (input.byteLength > MAX_CONFIG_BYTES) {
    throw new Failure(`the config is larger than ${MAX_CONFIG_BYTES / 1024} KiB`);
  }
  if (input.includes(0)) throw new Failure("the config is a binary file (it contains NUL bytes)");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(input);
  } catch {
    throw new Failure("the config is not valid UTF-8");
  }
}

interface Loaded {
  doc: unknown;
  index: WeakMap<object, NodeInfo>;
  duplicates: { key: string; pos: Pos }[];
}

/** Parse YAML, recording where every mapping/sequence and each of its keys starts. */
function loadYaml(text: string, filename: string | undefined): Loaded {
  const index = new WeakMap<object, NodeInfo>();
  const duplicates: Loaded["duplicates"] = [];
  const stack: { start: Pos; children: { start: Pos; value: unknown }[] }[] = [];
  const options: yaml.LoadOptions & { maxDepth: number } = {
    schema: SCHEMA,
    // Duplicate keys: last one wins, as with Packit's PyYAML; reported as warnings below.
    json: true,
    maxDepth: MAX_NESTING,
    ...(filename ? { filename } : {}),
    listener(event, state) {
      if (event === "open") {
        stack.push({ start: { line: state.line + 1, column: state.position - state.lineStart + 1 }, children: [] });
        return;
      }
      const frame = stack.pop();
      if (!frame) return;
      const value: unknown = state.result;
      const container = (state.kind === "mapping" || state.kind === "sequence") && isObject(value);
      if (container && !index.has(value)) {
        const entries = new Map<string | number, Pos>();
        if (state.kind === "sequence") {
          frame.children.forEach((child, i) => entries.set(i, child.start));
        } else {
          for (const { key, start } of mappingKeys(frame.children, value as Record<string, unknown>) ?? []) {
            if (entries.has(key) && key !== "<<") duplicates.push({ key, pos: start });
            entries.set(key, start);
          }
        }
        index.set(value, { start: frame.start, entries });
      }
      stack.at(-1)?.children.push({ start: frame.start, value });
    },
  };
  try {
    return { doc: yaml.load(text, options), index, duplicates };
  } catch (err) {
    if (err instanceof yaml.YAMLException) {
      throw new Failure(`YAML syntax error: ${err.reason}`, { line: err.mark.line + 1, column: err.mark.column + 1 });
    }
    throw err;
  }
}

/**
 * The keys of a mapping with their positions, from its child nodes, which
 * usually arrive as key, value, key, value, … A key without a value (`{a, b: 1}`,
 * `? a`) breaks that rhythm; the pairing is used only if every key's (last)
 * value is the value the mapping ended up with, else positions fall back to the
 * mapping's own.
 */
function mappingKeys(
  children: { start: Pos; value: unknown }[],
  mapping: Record<string, unknown>,
): { key: string; start: Pos }[] | undefined {
  if (children.length % 2 !== 0) return undefined;
  const pairs: { key: string; start: Pos; value: unknown }[] = [];
  for (let i = 0; i < children.length; i += 2) {
    const [key, value] = [children[i], children[i + 1]] as [{ start: Pos; value: unknown }, { value: unknown }];
    pairs.push({ key: String(key.value), start: key.start, value: value.value });
  }
  const last = new Map(pairs.map((p) => [p.key, p.value]));
  for (const [key, value] of last) if (key !== "<<" && !Object.is(mapping[key], value)) return undefined;
  return pairs;
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return isObject(value) && !Array.isArray(value);
}

/**
 * Walk the document as consumers will see it (aliases expanded), refusing
 * exponential alias blow-ups, nesting deeper than MAX_NESTING and self-references.
 * js-yaml shares aliased nodes instead of copying them, so parsing itself stays
 * small; the walk is what would explode, and it stops at MAX_NODES.
 */
function checkBounds(doc: unknown, index: WeakMap<object, NodeInfo>): void {
  let nodes = 0;
  const ancestors = new Set<object>();
  const visit = (value: unknown, depth: number): void => {
    nodes += 1;
    if (nodes > MAX_NODES) {
      throw new Failure(`the config expands to more than ${MAX_NODES} nodes (too many or nested aliases)`);
    }
    if (!isObject(value)) return;
    const pos = index.get(value)?.start;
    if (depth > MAX_NESTING) throw new Failure(`the config nests deeper than ${MAX_NESTING} levels`, pos);
    if (ancestors.has(value)) throw new Failure("an alias refers to a node that contains it", pos);
    ancestors.add(value);
    for (const child of Array.isArray(value) ? value : Object.values(value)) visit(child, depth + 1);
    ancestors.delete(value);
  };
  visit(doc, 1);
}

// ---------------------------------------------------------------------------
// Validation

function formatPath(path: Path): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || "(top level)";
}

/** zod's type names in YAML words. */
function yamlWords(message: string): string {
  return message
    .replace(/^Invalid input: /, "")
    .replace(/\b(array)\b/g, "list")
    .replace(/\b(object|record)\b/g, "mapping");
}

interface Problem {
  path: Path;
  message: string;
}

/** Turn a zod issue into problems with full paths; unions report the branch that fit best. */
function problemsOf(issue: z.core.$ZodIssue, base: Path): Problem[] {
  const path = [...base, ...issue.path.filter((p): p is string | number => typeof p !== "symbol")];
  switch (issue.code) {
    case "invalid_value":
      return [{ path, message: `expected one of ${issue.values.map(String).join(", ")}` }];
    case "invalid_union": {
      // A branch whose problems are all below the value itself matched its shape.
      const fitting = issue.errors.find((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
      if (fitting) return fitting.flatMap((i) => problemsOf(i, path));
      const received = issue.errors.flat().map((i) => /received (\w+)/.exec(i.message)?.[1]).find(Boolean);
      const message = issue.message === "Invalid input" ? "value of the wrong type" : issue.message;
      return [{ path, message: yamlWords(received ? `${message}, received ${received}` : message) }];
    }
    default:
      return [{ path, message: yamlWords(issue.message) }];
  }
}

class Validator {
  readonly errors: (Problem & { pos?: Pos })[] = [];
  readonly warnings: (Problem & { pos?: Pos })[] = [];

  constructor(
    private readonly root: unknown,
    private readonly index: WeakMap<object, NodeInfo>,
  ) {}

  /** Best known position for a path: the key itself, else the nearest enclosing node. */
  pos(path: Path): Pos | undefined {
    let node: unknown = this.root;
    let best = isObject(node) ? this.index.get(node)?.start : undefined;
    for (const seg of path) {
      if (!isObject(node)) break;
      const info = this.index.get(node);
      best = info?.entries.get(seg) ?? info?.start ?? best;
      node = (node as Record<string | number, unknown>)[seg];
    }
    return best;
  }

  error(path: Path, message: string): void {
    this.errors.push({ path, message, pos: this.pos(path) });
  }

  warn(path: Path, message: string): void {
    this.warnings.push({ path, message, pos: this.pos(path) });
  }

  check<S extends z.ZodType>(schema: S, value: unknown, path: Path): z.output<S> | undefined {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      for (const problem of problemsOf(issue, path)) this.error(problem.path, problem.message);
    }
    return undefined;
  }

  /** Validate the settings keys of a mapping; other keys not in `alsoKnown` are warnings. */
  settings(raw: Record<string, unknown>, path: Path, alsoKnown: ReadonlySet<string> = new Set()): PackageSettings {
    const known: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (SETTINGS_KEYS.has(key)) known[key] = value;
      else if (key === "upstream_project_name") {
        this.warn([...path, key], "deprecated, renamed to upstream_package_name");
        if (raw.upstream_package_name === undefined) known.upstream_package_name = value;
      } else if (!alsoKnown.has(key)) this.warn([...path, key], "unknown key, ignored");
    }
    const settings = this.check(settingsSchema, known, path) ?? {};
    this.lint(raw, settings, path);
    return settings;
  }

  /** Problems Packit tolerates but the user likely wants to know about. */
  private lint(raw: Record<string, unknown>, settings: PackageSettings, path: Path): void {
    for (const action of Object.keys(settings.actions ?? {})) {
      if (!ACTION_NAMES.has(action)) this.warn([...path, "actions", action], "unknown action, ignored");
    }
    if (settings.identifier?.includes(":")) {
      this.warn([...path, "identifier"], "contains ':', which Packit uses as the check name separator");
    }
    if (settings.branch !== undefined && !isRegExp(settings.branch)) {
      this.warn([...path, "branch"], "not a valid regular expression; it is matched literally");
    }
    if (isMapping(raw.targets)) {
      for (const [target, options] of Object.entries(raw.targets)) {
        for (const key of isMapping(options) ? Object.keys(options) : []) {
          if (!TARGET_OPTION_KEYS.has(key)) this.warn([...path, "targets", target, key], "unknown target option, ignored");
        }
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

const JOB_TYPE_NAMES = new Set<string>(JOB_TYPES);
const TRIGGER_NAMES = new Set<string>(TRIGGERS);

function resolveJob(settings: PackageSettings & z.output<typeof jobOnlySchema>): JobSettings {
  return {
    ...settings,
    osh_diff_scan_after_copr_build: settings.osh_diff_scan_after_copr_build ?? true,
    cancel_superseded: settings.cancel_superseded ?? true,
    skip_build: settings.skip_build ?? false,
    manual_trigger: settings.manual_trigger ?? false,
    labels: settings.labels ?? [],
  };
}

function validate(doc: unknown, v: Validator): PackitConfig {
  if (doc === null || doc === undefined) {
    v.warn([], "the config is empty; Packit's default jobs apply");
    doc = {};
  }
  if (!isMapping(doc)) {
    v.error([], `the top level must be a mapping of keys, not ${Array.isArray(doc) ? "a list" : `a ${typeof doc}`}`);
    return { packages: {}, packagesDeclared: false, jobs: [] };
  }
  // `_` holds anchors only (packit.dev/docs/configuration/jobs).
  const top = v.settings(doc, [], new Set(["jobs", "packages", "_"]));

  const packages: Record<string, PackageSettings> = {};
  const packagesDeclared = doc.packages !== undefined;
  if (packagesDeclared) {
    if (!isMapping(doc.packages) || Object.keys(doc.packages).length === 0) {
      v.error(["packages"], "expected a mapping of package name to package settings");
    } else {
      for (const [name, raw] of Object.entries(doc.packages)) {
        if (raw !== null && !isMapping(raw)) {
          v.error(["packages", name], "expected a mapping of package settings");
          continue;
        }
        const own = v.settings(raw ?? {}, ["packages", name]);
        packages[name] = { ...top, downstream_package_name: name, ...own };
      }
    }
  } else {
    packages[top.downstream_package_name ?? top.upstream_package_name ?? ""] = top;
  }

  let rawJobs: unknown = doc.jobs;
  if (rawJobs === undefined) {
    v.warn([], "no `jobs` key: Packit's default jobs apply (copr_build and tests on pull requests, propose_downstream on releases)");
    rawJobs = DEFAULT_JOBS;
  }
  if (!Array.isArray(rawJobs)) {
    v.error(["jobs"], "expected a list of jobs");
    return { packages, packagesDeclared, jobs: [] };
  }
  const jobs = rawJobs.flatMap((raw, i) => validateJob(raw, ["jobs", i], i, packages, v));
  return { packages, packagesDeclared, jobs };
}

function validateJob(
  raw: unknown,
  path: Path,
  index: number,
  packages: Record<string, PackageSettings>,
  v: Validator,
): JobView[] {
  if (!isMapping(raw)) {
    v.error(path, "expected a mapping describing the job");
    return [];
  }
  const type = jobType(raw.job, [...path, "job"], v);
  const triggers = jobTriggers(raw.trigger, [...path, "trigger"], v);

  const jobOnly: Record<string, unknown> = {};
  for (const key of JOB_ONLY_KEYS) if (key in raw) jobOnly[key] = raw[key];
  const own = v.check(jobOnlySchema, jobOnly, path) ?? {};
  let settings = v.settings(raw, path, new Set([...JOB_ONLY_KEYS, ...JOB_STRUCTURE_KEYS]));

  if (raw.metadata !== undefined && raw.metadata !== null) {
    // Packit merged the old nested `metadata:` into the job itself.
    v.warn([...path, "metadata"], "deprecated: put these keys directly in the job");
    if (!isMapping(raw.metadata)) v.error([...path, "metadata"], "expected a mapping");
    else {
      for (const key of Object.keys(raw.metadata)) {
        if (key in raw) v.error([...path, "metadata", key], `also set outside metadata; keep one`);
      }
      settings = { ...settings, ...v.settings(raw.metadata, [...path, "metadata"]) };
    }
  }

  const selection = selectPackages(raw.packages, [...path, "packages"], packages, v);
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

function jobType(value: unknown, path: Path, v: Validator): PackitJobType | undefined {
  if (value === undefined || value === null) {
    v.error(path, "missing: every job needs a `job` type");
    return undefined;
  }
  if (typeof value === "string" && JOB_TYPE_NAMES.has(value)) return value as PackitJobType;
  const alias = typeof value === "string" ? JOB_TYPE_ALIASES[value] : undefined;
  if (alias) {
    v.warn(path, `"${String(value)}" is deprecated, use "${alias}"`);
    return alias;
  }
  v.error(path, `unknown job type ${JSON.stringify(value)}; expected one of ${JOB_TYPES.join(", ")}`);
  return undefined;
}

/** `trigger` is one trigger or several joined by `|` (Packit splits the job per trigger). */
function jobTriggers(value: unknown, path: Path, v: Validator): PackitTrigger[] | undefined {
  const expected = `expected one of ${TRIGGERS.join(", ")}`;
  if (value === undefined || value === null) {
    v.error(path, `missing: every job needs a trigger; ${expected}`);
    return undefined;
  }
  const names = typeof value === "string" ? value.split("|").map((t) => t.trim()) : [];
  const bad = names.filter((t) => !TRIGGER_NAMES.has(t));
  if (names.length === 0 || bad.length > 0) {
    v.error(path, `${expected} (got ${JSON.stringify(typeof value === "string" ? (bad[0] ?? value) : value)})`);
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
  if (value === undefined || value === null) {
    return Object.keys(packages).map((name) => ({ name, overrides: {} }));
  }
  let selected: { name: string; overrides: PackageSettings }[];
  if (Array.isArray(value) && value.every((p) => typeof p === "string")) {
    selected = [...new Set(value)].map((name) => ({ name, overrides: {} }));
  } else if (isMapping(value)) {
    selected = Object.entries(value).map(([name, raw]) => {
      if (raw !== null && !isMapping(raw)) v.error([...path, name], "expected a mapping of settings for this package");
      return { name, overrides: isMapping(raw) ? v.settings(raw, [...path, name]) : {} };
    });
  } else {
    v.error(path, "expected a list of package names or a mapping of package name to overrides");
    return undefined;
  }
  const undefinedNames = selected.map((s) => s.name).filter((name) => !(name in packages));
  if (undefinedNames.length > 0) {
    v.error(path, `undefined package(s) referenced: ${undefinedNames.join(", ")}`);
    return undefined;
  }
  return selected;
}

function describe(problem: Problem & { pos?: Pos }, withLine: boolean): string {
  const where = formatPath(problem.path);
  const line = withLine && problem.pos ? ` (line ${problem.pos.line})` : "";
  return `${where}: ${problem.message}${line}`;
}

/**
 * Parse and validate a Packit config. `input` may be raw bytes (checked to be
 * UTF-8) or already decoded text. Never throws for bad input: every problem is
 * a `ConfigError` with 1-based line/column where known; several validation
 * problems are listed in one message, the first (earliest in the file) giving
 * the position.
 */
export function parsePackitConfig(input: string | Uint8Array, opts: { path?: string } = {}): ParseResult {
  const prefix = opts.path ? `${opts.path}: ` : "";
  try {
    const { doc, index, duplicates } = loadYaml(decode(input), opts.path);
    checkBounds(doc, index);
    const v = new Validator(doc, index);
    const config = validate(doc, v);
    if (v.errors.length > 0) {
      const sorted = [...v.errors].sort((a, b) => (a.pos?.line ?? Infinity) - (b.pos?.line ?? Infinity));
      const [first, ...rest] = sorted as [Problem & { pos?: Pos }, ...(Problem & { pos?: Pos })[]];
      const more = rest.map((p) => `\n${describe(p, true)}`).join("");
      return { ok: false, error: new ConfigError(`${prefix}${describe(first, false)}${more}`, first.pos) };
    }
    const warnings = [
      ...v.warnings.map((w) => describe(w, true)),
      ...duplicates.map((d) => `line ${d.pos.line}: duplicated key "${d.key}"; the last value wins`),
    ];
    return { ok: true, config, warnings };
  } catch (err) {
    if (err instanceof Failure) return { ok: false, error: new ConfigError(`${prefix}${err.message}`, err.pos) };
    throw err;
  }
}
