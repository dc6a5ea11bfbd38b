/**
 * `.packit.yaml` parser and validator: Packit's verdict on a file, and the job
 * views Packit would schedule from it.
 *
 * The YAML is read within bounds (`yaml.ts`), every key is checked against
 * Packit's schema where it is written (`schema.ts`: unknown and removed keys are
 * errors, as marshmallow's `RAISE` makes them) and Packit's inheritance and
 * rewriting is applied (`normalise.ts`). Problems name their path and line
 * (`messages.ts`), e.g. `jobs[2].trigger: Must be one of: release, … (line 7)`.
 */
import { ConfigError } from "../errors.js";
import { describe, Validator } from "./messages.js";
import { normalise } from "./normalise.js";
import type { PackitConfig } from "./schema.js";
import { checkBounds, decode, Failure, loadYaml } from "./yaml.js";

export { DOWNSTREAM_JOB_TYPES, INSTANCES, type JobSettings, type JobView, type PackitConfig, type PackitInstance } from "./schema.js";
export type { TargetOptions } from "./fields.js";
export { MAX_CONFIG_BYTES } from "./yaml.js";

/** One problem of an invalid config, with its 1-based position where known. */
export interface ConfigProblem {
  message: string;
  line?: number;
  column?: number;
}

export type ParseResult =
  { ok: true; config: PackitConfig; warnings: string[] } | { ok: false; error: ConfigError; problems: ConfigProblem[] };

/**
 * Parse and validate a Packit config. `input` may be raw bytes (checked to be
 * UTF-8) or already decoded text. Never throws for bad input: an invalid config
 * gives a `ConfigError` listing every problem (the earliest in the file first, and
 * giving the position) and the problems one by one.
 */
export function parsePackitConfig(input: string | Uint8Array, opts: { path?: string } = {}): ParseResult {
  const prefix = opts.path ? `${opts.path}: ` : "";
  try {
    const { doc, index, duplicates } = loadYaml(decode(input), opts.path);
    checkBounds(doc, index);
    const v = new Validator(doc, index);
    const config = normalise(doc, v);
    if (v.errors.length > 0) {
      const sorted = [...v.errors].sort((a, b) => (a.pos?.line ?? Infinity) - (b.pos?.line ?? Infinity));
      const [first, ...rest] = sorted as [(typeof sorted)[number], ...typeof sorted];
      const more = rest.map((p) => `\n${describe(p, true)}`).join("");
      const problems = sorted.map((p) => ({ message: describe(p, false), ...(p.pos ? { line: p.pos.line, column: p.pos.column } : {}) }));
      return { ok: false, error: new ConfigError(`${prefix}${describe(first, false)}${more}`, first.pos), problems };
    }
    const warnings = [
      ...v.warnings.map((w) => describe(w, true)),
      ...duplicates.map((d) => `line ${d.pos.line}: duplicated key "${d.key}"; the last value wins`),
    ];
    return { ok: true, config, warnings };
  } catch (err) {
    if (err instanceof Failure) {
      const problem = { message: err.message, ...(err.pos ? { line: err.pos.line, column: err.pos.column } : {}) };
      return { ok: false, error: new ConfigError(`${prefix}${err.message}`, err.pos), problems: [problem] };
    }
    throw err;
  }
}
