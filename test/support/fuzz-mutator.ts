/**
 * Junk for the webhook fuzz test (test/integration/fuzz.test.ts): odd values, keys and
 * events, and the seeded `Mutator` that damages a payload GitHub would send.
 */
import type { Rng } from "../../testing/rng.js";

const MB = 1024 * 1024;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };

const ACTIONS = [
  "opened",
  "synchronize",
  "reopened",
  "closed",
  "edited",
  "labeled",
  "created",
  "deleted",
  "published",
  "released",
  "requested_action",
  "rerequested",
  "completed",
  "suspend",
  "unsuspend",
  "added",
  "removed",
  "new_permissions_accepted",
  "",
  " ",
  "OPENED",
  "opened ",
  "constructor",
  "__proto__",
  "toString",
  "hasOwnProperty",
  "x".repeat(300),
  "😀",
  "\u0000",
  "open\ned",
];
export const ODD_EVENTS = [
  "ping",
  "frobnicate",
  "constructor",
  "__proto__",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "check_suite",
  "workflow_run",
  "pull_request_review",
  "issues",
  "PULL_REQUEST",
  "installation_target",
  "x".repeat(200),
];
const UNICODE = [
  "\u0000",
  "\u0000\u0001\u0002\u001f",
  "\u202e\u202d",
  "\ud800",
  "\udfff",
  "\uffff\ufffe",
  "\ufeff",
  "😀".repeat(50),
  "\u2028\u2029",
  "e\u0301\u0301\u0301",
  "Ω≈ç√∫",
  "\x1b[31mred\x1b[0m",
  "\r\n\r\n",
  "../../../etc/passwd",
  "'; DROP TABLE jobs; --",
  "${jndi:ldap://127.0.0.1/x}",
  "%s%n%x",
  "<script>alert(1)</script>",
  "null",
  "undefined",
  "NaN",
  "true",
  "0",
  "-1",
  "refs/heads/",
  "refs/tags/v1",
  "/packit",
  "/packit\u00a0cancel",
  "a:b:c",
  "0".repeat(40),
  "f".repeat(64),
  "g".repeat(65),
];
const NUMBERS = [
  0,
  -0,
  -1,
  1,
  1.5,
  -1.5,
  100,
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  1e308,
  -1e308,
  5e-324,
  1e21,
  Number.MAX_SAFE_INTEGER,
];
const ODD_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "", " ", "😀", "a.b", "$where", "\u0000"];
/** Fields the app reads: half of the mutations aim here, the rest anywhere. */
const HOT_PATHS = [
  "action",
  "installation",
  "installation.id",
  "installation.account",
  "installation.account.login",
  "installation.suspended_at",
  "installation.created_at",
  "repository",
  "repository.id",
  "repository.name",
  "repository.full_name",
  "repository.owner",
  "repository.owner.login",
  "repository.default_branch",
  "repository.node_id",
  "repository.clone_url",
  "sender",
  "sender.login",
  "sender.type",
  "number",
  "before",
  "after",
  "ref",
  "commits",
  "created",
  "deleted",
  "forced",
  "pull_request",
  "pull_request.number",
  "pull_request.head",
  "pull_request.head.sha",
  "pull_request.head.ref",
  "pull_request.head.repo",
  "pull_request.base",
  "pull_request.base.ref",
  "pull_request.labels",
  "pull_request.user",
  "comment",
  "comment.body",
  "comment.id",
  "comment.user",
  "comment.user.login",
  "issue",
  "issue.number",
  "issue.pull_request",
  "issue.user",
  "check_run",
  "check_run.id",
  "check_run.name",
  "check_run.head_sha",
  "check_run.external_id",
  "requested_action",
  "requested_action.identifier",
  "release",
  "release.tag_name",
  "release.target_commitish",
  "repositories",
  "repositories_added",
  "repositories_removed",
].map((p) => p.split("."));

/** Placeholders replaced after JSON.stringify by very deep nesting (built as text: no recursion on our side). */
const DEEP = "\u0001deep:";

export class Mutator {
  /** Placeholders of this variation: marker → JSON text. */
  readonly deep = new Map<string, string>();
  readonly ops: string[] = [];
  constructor(private readonly rng: Rng) {}

  hugeString(): string {
    const r = this.rng.next();
    const size = r < 0.85 ? 10_000 : r < 0.99 ? 100_000 : MB;
    return this.rng
      .pick(["x", "😀", "\u0000", "/packit cancel\n", "a b "])
      .repeat(Math.ceil(size / 2))
      .slice(0, size);
  }

  deepValue(): string {
    const depth = this.rng.pick([100, 1000, 1000, 5000, 5000, 20_000, 100_000]);
    const marker = `${DEEP}${this.deep.size}:${depth}`;
    this.deep.set(
      marker,
      this.rng.chance(0.5) ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`,
    );
    return marker;
  }

  junk(depth = 0): Json {
    const r = this.rng.next();
    if (r < 0.1) return null;
    if (r < 0.16) return this.rng.chance(0.5);
    if (r < 0.32) return this.rng.pick(NUMBERS);
    if (r < 0.4) return this.rng.int(2 ** 31) * (this.rng.chance(0.5) ? -1 : 1);
    if (r < 0.52) return this.rng.pick(UNICODE);
    if (r < 0.6) return this.rng.hex(this.rng.pick([1, 7, 40, 64, 100]));
    if (r < 0.62) return this.hugeString();
    if (r < 0.63) return this.deepValue();
    if (r < 0.7) return [];
    if (r < 0.77) return {};
    if (depth > 3) return "leaf";
    if (r < 0.88) return Array.from({ length: 1 + this.rng.int(4) }, () => this.junk(depth + 1));
    const o: { [key: string]: Json } = {};
    for (let i = 0, n = 1 + this.rng.int(4); i < n; i++)
      o[this.rng.pick(["id", "login", "name", "sha", "ref", "x", ...ODD_KEYS.slice(5)])] = this.junk(depth + 1);
    return o;
  }

  /** Every container in the tree with its path (bounded). */
  containers(root: Json): { node: Container; path: string[] }[] {
    const out: { node: Container; path: string[] }[] = [];
    const stack: { node: Json; path: string[] }[] = [{ node: root, path: [] }];
    while (stack.length > 0 && out.length < 5000) {
      const { node, path } = stack.pop()!;
      if (node === null || typeof node !== "object") continue;
      out.push({ node, path });
      for (const [k, v] of Object.entries(node)) if (v !== null && typeof v === "object") stack.push({ node: v, path: [...path, k] });
    }
    return out;
  }

  /** A (container, key) slot: a hot path the app reads half of the time, else any slot. */
  slot(root: Json): { parent: Container; key: string } | undefined {
    if (this.rng.chance(0.5)) {
      const path = this.rng.pick(HOT_PATHS);
      let node: Json = root;
      for (const k of path.slice(0, -1)) {
        if (node === null || typeof node !== "object") return undefined;
        node = (node as Record<string, Json>)[k] ?? null;
      }
      if (node !== null && typeof node === "object" && !Array.isArray(node)) return { parent: node, key: path.at(-1)! };
    }
    const all = this.containers(root);
    if (all.length === 0) return undefined;
    const { node } = this.rng.pick(all);
    const keys = Object.keys(node);
    if (keys.length === 0) return { parent: node, key: Array.isArray(node) ? "0" : "x" };
    return { parent: node, key: this.rng.pick(keys) };
  }

  mutate(root: Json): Json {
    if (root === null || typeof root !== "object") return root;
    const op = this.rng.int(10);
    const s = this.slot(root);
    if (!s) return root;
    const { parent, key } = s;
    const here = (parent as Record<string, Json>)[key];
    const set = (v: Json) => ((parent as Record<string, Json>)[key] = v);
    switch (op) {
      case 0:
      case 1:
        this.ops.push(`drop ${key}`);
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
        break;
      case 2:
      case 3:
        this.ops.push(`junk ${key}`);
        set(this.junk());
        break;
      case 4: {
        this.ops.push(`retype ${key}`);
        if (typeof here === "number") set(this.rng.chance(0.5) ? String(here) : [here]);
        else if (typeof here === "string") set(this.rng.chance(0.5) ? Number(here) || this.rng.pick(NUMBERS) : { value: here });
        else if (typeof here === "boolean") set(this.rng.chance(0.5) ? String(here) : Number(here));
        else if (here === null || here === undefined) set(this.rng.chance(0.5) ? {} : []);
        else if (Array.isArray(here)) set(Object.fromEntries(here.map((v, i) => [String(i), v])));
        else set(this.rng.chance(0.5) ? [here] : Object.values(here).length > 0 ? Object.values(here)[0]! : null);
        break;
      }
      case 5:
        this.ops.push("action");
        (root as Record<string, Json>).action = this.rng.pick(ACTIONS);
        break;
      case 6: {
        const odd = this.rng.pick(ODD_KEYS);
        this.ops.push(`add key ${JSON.stringify(odd)} under ${key}`);
        const target = here !== null && typeof here === "object" && !Array.isArray(here) ? here : (parent as Record<string, Json>);
        // An own "__proto__" key, as JSON.parse would make it (plain assignment would set the prototype).
        Object.defineProperty(target, odd, {
          value: odd === "__proto__" ? { polluted: "yes", isAdmin: true } : this.junk(),
          enumerable: true,
          configurable: true,
          writable: true,
        });
        break;
      }
      case 7:
        this.ops.push(`huge ${key}`);
        set(this.hugeString());
        break;
      case 8:
        this.ops.push(`unicode ${key}`);
        set(typeof here === "string" && this.rng.chance(0.5) ? `${here}${this.rng.pick(UNICODE)}` : this.rng.pick(UNICODE));
        break;
      default:
        this.ops.push(`number ${key}`);
        set(this.rng.pick(NUMBERS));
        break;
    }
    return root;
  }

  /** The JSON text of a mutated payload, with deep placeholders expanded. */
  serialize(payload: Json): string {
    let text = JSON.stringify(payload) ?? "null";
    for (const [marker, deep] of this.deep) text = text.replace(JSON.stringify(marker), deep);
    return text;
  }
}
