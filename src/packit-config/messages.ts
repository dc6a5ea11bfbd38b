/**
 * Problems found in a config, each with the path of the value and the line of
 * its key: `jobs[2].trigger: Must be one of: … (line 7)`. The messages are
 * marshmallow's and Packit's own where they have one.
 */
import type { z } from "zod";
import { isObject, type NodeInfo, type Path, type Pos } from "./yaml.js";

export interface Problem {
  path: Path;
  message: string;
  pos?: Pos;
}

/** `jobs[0].targets["fedora 43"]`, or `(top level)`. */
function formatPath(path: Path): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || "(top level)";
}

/** Turn a zod issue into problems with full paths: unknown keys one per key, unions by the branch that fit best. */
function problemsOf(issue: z.core.$ZodIssue, base: Path): Omit<Problem, "pos">[] {
  const path = [...base, ...issue.path.filter((p): p is string | number => typeof p !== "symbol")];
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({ path: [...path, key], message: "Unknown field." }));
    case "invalid_union": {
      // A branch whose problems are all below the value itself matched its shape.
      const fitting = issue.errors.find((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
      if (fitting) return fitting.flatMap((i) => problemsOf(i, path));
      return [{ path, message: issue.message }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

/** Collects errors and warnings, each placed at the key it is about. */
export class Validator {
  readonly errors: Problem[] = [];
  readonly warnings: Problem[] = [];

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

  /** Validate one value; problems become errors at their paths. */
  check<S extends z.ZodType>(schema: S, value: unknown, path: Path): { ok: true; value: z.output<S> } | { ok: false } {
    const result = schema.safeParse(value);
    if (result.success) return { ok: true, value: result.data };
    for (const issue of result.error.issues) {
      for (const problem of problemsOf(issue, path)) this.error(problem.path, problem.message);
    }
    return { ok: false };
  }
}

/** `path: message`, with ` (line N)` when asked and known. */
export function describe(problem: Problem, withLine: boolean): string {
  const line = withLine && problem.pos ? ` (line ${problem.pos.line})` : "";
  return `${formatPath(problem.path)}: ${problem.message}${line}`;
}
