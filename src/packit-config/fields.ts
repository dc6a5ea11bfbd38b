/**
 * Field types of Packit's schema as zod schemas that answer with marshmallow's
 * messages ("Not a valid string.", "Field may not be null.", …), and Packit's own
 * fields: `Targets`, `DistGitBranches`, `FilesToSyncField`, `ActionField`
 * (packit/packit `packit/schema.py`).
 */
import { z } from "zod";
import { isMapping } from "./yaml.js";

/** `ActionName` values (packit/actions.py). */
const ACTION_NAMES: readonly string[] = [
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
];

const NULL = "Field may not be null.";
const MISSING = "Missing data for required field.";
export const errorFor = (text: string) => (iss: { input?: unknown }) =>
  iss.input === null ? NULL : iss.input === undefined ? MISSING : text;

/** Python's repr of a YAML value, as Packit quotes values in its messages. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return value.includes("'") && !value.includes('"') ? `"${value}"` : `'${value.replaceAll("'", "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
    .join(", ")}}`;
}

/** Python's `type(value)`, as Packit prints it. */
export function pyType(value: unknown): string {
  const name =
    value === null || value === undefined
      ? "NoneType"
      : typeof value === "boolean"
        ? "bool"
        : typeof value === "number"
          ? Number.isInteger(value)
            ? "int"
            : "float"
          : typeof value === "string"
            ? "str"
            : Array.isArray(value)
              ? "list"
              : "dict";
  return `<class '${name}'>`;
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

export const str = () => z.string({ error: errorFor("Not a valid string.") });
export const strList = () => z.array(str(), { error: errorFor("Not a valid list.") });
export const dict = () => z.record(z.string(), z.unknown(), { error: errorFor("Not a valid mapping type.") });
export const nested = <S extends z.ZodRawShape>(shape: S) => z.strictObject(shape, { error: errorFor("Invalid input type.") }).partial();
export const oneOf = <V extends readonly [string, ...string[]]>(values: V) =>
  z.enum(values, { error: errorFor(`Must be one of: ${values.join(", ")}.`) });

// marshmallow's Boolean: these words count too (a quoted "yes" is a boolean there).
const TRUTHY = new Set<unknown>(["t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes", "YES", "1", 1]);
const FALSY = new Set<unknown>(["f", "F", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N", "no", "No", "NO", "0", 0]);
export const bool = () =>
  z.preprocess((v) => (TRUTHY.has(v) ? true : FALSY.has(v) ? false : v), z.boolean({ error: errorFor("Not a valid boolean.") }));

// marshmallow's Integer: integral numbers and numeric strings, never booleans.
export const int = () =>
  z.preprocess(
    (v) => (typeof v === "string" && /^\s*[-+]?\d+\s*$/.test(v) ? Number(v) : v),
    z.number({ error: errorFor("Not a valid integer.") }).int({ error: "Not a valid integer." }),
  );

/** Per-target options of the mapping form of `targets` (`distros` for tests, the rest configures the Copr chroot). */
export interface TargetOptions {
  distros?: string[];
  additional_packages?: string[];
  additional_repos?: string[];
  additional_modules?: string;
  with_opts?: string[];
  without_opts?: string[];
}
/** One configured target (an alias, a chroot, or a Koji target) with its options, in file order. */
export interface TargetEntry {
  name: string;
  options: TargetOptions;
}

/** `CHROOT_SPECIFIC_COPR_CONFIGURATION`: option → its type as Packit checks it. */
const CHROOT_OPTIONS: Readonly<Record<string, "list" | "str">> = {
  additional_packages: "list",
  additional_repos: "list",
  additional_modules: "str",
  with_opts: "list",
  without_opts: "list",
};
export const TARGET_OPTION_KEYS: ReadonlySet<string> = new Set(["distros", ...Object.keys(CHROOT_OPTIONS)]);

/**
 * Packit's `Targets.is_dict`, quirk included: it checks the first option of the
 * first target that has options and accepts the mapping after that one check.
 * Returns the problem, or undefined when Packit accepts the mapping.
 */
function targetsDictProblem(value: Record<string, unknown>): string | undefined {
  for (const attr of Object.values(value) as Record<string, unknown>[]) {
    for (const [key, option] of Object.entries(attr)) {
      if (key === "distros") return isStringList(option) ? undefined : `Expected list[str], got ${pyRepr(option)} (type ${pyType(option)})`;
      const kind = CHROOT_OPTIONS[key];
      if (kind) {
        const fits = kind === "list" ? Array.isArray(option) : typeof option === "string";
        return fits ? undefined : `Expected <class '${kind}'>, got ${pyRepr(option)} (type ${pyType(option)})`;
      }
      return `Unknown key ${pyRepr(key)} in ${pyRepr(attr)}`;
    }
  }
  return undefined;
}

/**
 * `targets`: a list of names or a mapping of name → options. A single string is
 * Packit's shorthand only in a job (and its `metadata`), where its pre-load hooks
 * turn it into a list; at the top level and in `packages` it is an error.
 */
export function targetsField(allowString: boolean) {
  return z
    .unknown()
    .superRefine((value, ctx) => {
      if (allowString && typeof value === "string") return;
      if (isStringList(value)) return;
      const isDict = isMapping(value) && Object.values(value).every(isMapping);
      const problem = isDict
        ? targetsDictProblem(value)
        : `Expected 'list[str]' or 'dict[str,dict]', got ${pyRepr(value)} (type ${pyType(value)}).`;
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .transform((value): TargetEntry[] => {
      if (typeof value === "string") return [{ name: value, options: {} }];
      if (Array.isArray(value)) return value.map((name: string) => ({ name, options: {} }));
      return Object.entries(value as Record<string, TargetOptions>).map(([name, options]) => ({ name, options: { ...options } }));
    })
    .nullable();
}

const DIST_GIT_BRANCHES_ERROR =
  "Expected 'list[str]' or 'dict[str, dict[str, list]]', got {value} (type {type}).\n" +
  'Example -> "dist_git_branches": {"fedora-rawhide": {"fast_forward_merge_into": ["f40"]}, epel9: {}}';

/** `dist_git_branches` (`DistGitBranches`): a list, or branch → `{fast_forward_merge_into: […]}`; a string only in a job. */
export function distGitBranchesField(allowString: boolean) {
  return z
    .unknown()
    .superRefine((value, ctx) => {
      if (allowString && typeof value === "string") return;
      if (isStringList(value)) return;
      const fits =
        isMapping(value) && Object.values(value).every((v) => isMapping(v) && Object.keys(v).every((k) => k === "fast_forward_merge_into"));
      if (!fits)
        ctx.addIssue({
          code: "custom",
          message: DIST_GIT_BRANCHES_ERROR.replace("{value}", pyRepr(value)).replace("{type}", pyType(value)),
        });
    })
    .transform((value): string[] =>
      typeof value === "string" ? [value] : Array.isArray(value) ? (value as string[]) : Object.keys(value as object),
    )
    .nullable();
}

/** `FilesToSyncField`: a path, or `{src, dest, mkpath, delete, filters}`. */
export const syncItem = z.unknown().superRefine((value, ctx) => {
  if (typeof value === "string") return;
  if (!isMapping(value)) {
    ctx.addIssue({ code: "custom", message: `Expected 'dict' or 'str', got ${pyType(value)}.` });
    return;
  }
  const item = nested({
    src: z.union([str(), strList()], { error: `Expected 'list[str]' or 'str', got ${pyType(value.src)}.` }),
    dest: str(),
    mkpath: bool(),
    delete: bool(),
    filters: strList().nullable(),
  }).safeParse(value);
  for (const issue of item.error?.issues ?? []) ctx.addIssue({ ...issue, code: "custom" } as never);
});

/** `ActionField`: a mapping of known action names to a command or a list of commands (values are not checked). */
export const actionsField = z.unknown().superRefine((value, ctx) => {
  if (!isMapping(value)) {
    ctx.addIssue({ code: "custom", message: value === null ? NULL : `'dict' required, got ${pyType(value)}.` });
    return;
  }
  const invalid = Object.keys(value).filter((a) => !ACTION_NAMES.includes(a));
  if (invalid.length > 0) ctx.addIssue({ code: "custom", message: `Unknown action(s) provided: ${pyRepr(invalid)}` });
}) as unknown as z.ZodType<Record<string, string | string[]>>;

/** `validate_version_specifiers`: a PEP 440 specifier set such as `>=1.2,<2`. */
const SPECIFIER = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*[A-Za-z0-9][A-Za-z0-9.*+!_-]*\s*$/;
export const versionSpecifiers = str()
  .refine((v) => v.trim() === "" || v.split(",").every((part) => SPECIFIER.test(part)), {
    error: (iss) => `Invalid version specifier set: Invalid specifier: ${pyRepr(iss.input)}`,
  })
  .nullable();

export const spec_source_id = z
  .union([str(), int()], { error: errorFor("Not a valid string.") })
  .transform((v) => (typeof v === "number" ? `Source${v}` : v));
