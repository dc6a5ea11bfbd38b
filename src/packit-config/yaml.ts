/**
 * Reading a `.packit.yaml` within bounds: js-yaml (anchors, aliases and `<<` merge
 * keys work) with the position of every mapping, sequence and key recorded for
 * messages, and guards against hostile input (size, encoding, nesting, alias
 * expansion).
 */
import yaml from "js-yaml";

/** Texts larger than this are rejected before parsing. */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** Deepest nesting accepted, counting alias expansion. */
const MAX_NESTING = 64;
/** Most nodes the document may expand to through aliases (billion laughs guard). */
const MAX_NODES = 100_000;

/** A 1-based position in the file. */
export interface Pos {
  line: number;
  column: number;
}
/** Where a mapping or sequence starts, and where each of its keys (items) starts. */
export interface NodeInfo {
  start: Pos;
  entries: Map<string | number, Pos>;
}
/** Where a value sits in the document: keys and list indexes. */
export type Path = (string | number)[];

/** A problem that stops reading the file at once (size, encoding, syntax, bounds). */
export class Failure extends Error {
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

export function decode(input: string | Uint8Array): string {
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

export interface Loaded {
  doc: unknown;
  index: WeakMap<object, NodeInfo>;
  duplicates: { key: string; pos: Pos }[];
}

/** Parse YAML, recording where every mapping/sequence and each of its keys starts. */
export function loadYaml(text: string, filename: string | undefined): Loaded {
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

export function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return isObject(value) && !Array.isArray(value);
}

/**
 * Walk the document as consumers will see it (aliases expanded), refusing
 * exponential alias blow-ups, nesting deeper than MAX_NESTING and self-references.
 * js-yaml shares aliased nodes instead of copying them, so parsing itself stays
 * small; the walk is what would explode, and it stops at MAX_NODES.
 */
export function checkBounds(doc: unknown, index: WeakMap<object, NodeInfo>): void {
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
