/**
 * Webhook fuzzing: ≥ 10,000 payloads mutated from the shapes GitHub sends (the
 * simulator's payload builders), delivered with valid signatures over HTTP to the
 * real service, 8 at a time. Whatever arrives, the process must not crash, every
 * request must get a proper HTTP answer, memory must stay bounded, and the service
 * must still run jobs afterwards.
 *
 * Reproduce a run with `FUZZ_SEED=<seed> npx vitest run test/integration/fuzz.test.ts`
 * (the seed is printed); `FUZZ_N` changes the number of deliveries; `FUZZ_ONLY=<index>`
 * replays one delivery of that seed and prints it, `FUZZ_LOG_FILE=<path>` keeps the
 * service's log (with `FUZZ_LOG=debug` for more).
 */
import { Rng } from "../../testing/rng.js";
import { rowCounts } from "../../src/db/copy.js";
import { sqliteOf } from "../support/db.js";
import { createHmac, randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";
import { Writable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkRunEvent,
  installationEvent,
  installationRepositoriesEvent,
  issueCommentEvent,
  pullRequestEvent,
  pushEvent,
  releaseEvent,
  type CheckRunLike,
  type SimInstallation,
  type SimRepo,
} from "../../testing/github-sim/index.js";
import { createLogger } from "../../src/log.js";
import { startWorld, waitFor, type World } from "../support/env.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20_251_125) >>> 0;
const N = Math.max(1, Number(process.env.FUZZ_N ?? 10_000));
const CONCURRENCY = 8;
const MB = 1024 * 1024;

/**
 * The fuzzed repository has a config whose jobs all wait for a manual command:
 * valid events are planned and stored, but nothing is submitted to a backend, so
 * the per-request cost stays local.
 */
const MANUAL_CONFIG = `
specfile_path: widget.spec
jobs:
  - job: copr_build
    trigger: pull_request
    manual_trigger: true
    targets: [fedora-rawhide-x86_64]
  - job: copr_build
    trigger: commit
    manual_trigger: true
    targets: [fedora-rawhide-x86_64]
  - job: copr_build
    trigger: release
    manual_trigger: true
    targets: [fedora-rawhide-x86_64]
`;
const ONE_BUILD =
  "specfile_path: gizmo.spec\njobs:\n  - job: copr_build\n    trigger: pull_request\n    targets: [fedora-rawhide-x86_64]\n";

const gc: () => void = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();

// --- junk ----------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
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
const ODD_EVENTS = [
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

class Mutator {
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

// --- the shapes GitHub sends -------------------------------------------------------------

interface Base {
  event: string;
  payload: Json;
}

function baseFor(rng: Rng, w: World, inst: SimInstallation): Base {
  const repo = w.repo;
  const sha = () => rng.hex(40);
  const user = () => rng.pick(["contributor", "maintainer", "stranger", "dependabot[bot]"]);
  const r = rng.next();
  const json = (p: unknown) => JSON.parse(JSON.stringify(p)) as Json;
  if (r < 0.14) {
    const action = rng.pick(["opened", "synchronize", "reopened", "closed", "labeled", "edited"] as const);
    return {
      event: "pull_request",
      payload: json(
        pullRequestEvent(action, {
          repo,
          number: 1 + rng.int(50),
          headSha: sha(),
          before: sha(),
          author: user(),
          labels: rng.chance(0.3) ? ["a", "b"] : [],
        }),
      ),
    };
  }
  if (r < 0.24) {
    const ref = rng.pick(["main", "feature", "refs/tags/v1.0", "refs/heads/x"]);
    return {
      event: "push",
      payload: json(
        pushEvent({
          repo,
          ref,
          before: sha(),
          after: sha(),
          commits: [{ id: sha(), modified: [rng.pick(["src/a.c", ".packit.yaml", "README.md"])] }],
          forced: rng.chance(0.1),
        }),
      ),
    };
  }
  if (r < 0.44) {
    // Plain comments: a command would make the handler reply inline (see docs/reliability.md).
    const body = rng.pick(["Looks good to me.", "Thanks!", "packit cancel (not a command)", "> /packit cancel\nquoted"]);
    return {
      event: "issue_comment",
      payload: json(
        issueCommentEvent({
          repo,
          issueNumber: 1 + rng.int(50),
          isPullRequest: rng.chance(0.8),
          body,
          author: user(),
          action: rng.pick(["created", "edited", "deleted"] as const),
        }),
      ),
    };
  }
  if (r < 0.64) {
    const run: CheckRunLike = {
      id: 1 + rng.int(1_000_000),
      node_id: `CR_${rng.hex(12)}`,
      name: rng.pick(["rpm-build:fedora-rawhide-x86_64", "testing-farm:fedora-44-x86_64", "packit:config", "other"]),
      head_sha: sha(),
      status: rng.pick(["queued", "in_progress", "completed"]),
      conclusion: null,
      external_id: `job:${rng.int(100)}`,
      app: { id: w.sim.appId, slug: "packit-sim" },
    };
    const action = rng.pick(["requested_action", "rerequested"] as const);
    return {
      event: "check_run",
      payload: json(checkRunEvent(action, { repo, checkRun: run, identifier: rng.pick(["cancel", "rerun", "other"]), sender: user() })),
    };
  }
  if (r < 0.78) {
    const action = rng.pick(["created", "deleted", "suspend", "unsuspend", "new_permissions_accepted"] as const);
    return {
      event: "installation",
      payload: json(installationEvent(action, { installation: inst, repositories: [repo], sender: user() })),
    };
  }
  if (r < 0.84) {
    const action = rng.pick(["added", "removed"] as const);
    return {
      event: "installation_repositories",
      payload: json(installationRepositoriesEvent(action, { installation: inst, added: [repo], removed: [repo], sender: user() })),
    };
  }
  if (r < 0.92) {
    const action = rng.pick(["published", "created", "released", "deleted"] as const);
    return { event: "release", payload: json(releaseEvent(action, { repo, tagName: rng.pick(["v1.0", "1.2.3", "v2"]), author: user() })) };
  }
  if (r < 0.95)
    return { event: "ping", payload: { zen: "Design for failure.", hook_id: rng.int(1000), hook: { type: "App", id: 1, events: ["*"] } } };
  return {
    event: rng.pick(ODD_EVENTS),
    payload: json(pullRequestEvent("opened", { repo, number: 1, headSha: sha(), author: "contributor" })),
  };
}

/** One generated delivery: event header, body text, delivery id and what was done to it. */
function variation(
  rng: Rng,
  w: World,
  inst: SimInstallation,
  previousIds: string[],
): { event: string; body: string; id: string; ops: string[] } {
  const base = baseFor(rng, w, inst);
  const m = new Mutator(rng);
  let payload = base.payload;
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) payload = m.mutate(payload);
  // Now and then the whole payload is something else entirely.
  if (rng.chance(0.01)) {
    payload = rng.pick<Json>([null, 0, 5, "text", true, [], [payload], {}]);
    m.ops.push(`replace payload with ${JSON.stringify(payload)?.slice(0, 30)}`);
  }
  const event = rng.chance(0.04)
    ? rng.pick(["pull_request", "push", "issue_comment", "check_run", "installation", "release", ...ODD_EVENTS])
    : base.event;
  let id: string = randomUUID();
  if (previousIds.length > 0 && rng.chance(0.02)) {
    id = rng.pick(previousIds);
    m.ops.push("duplicate delivery id");
  } else if (rng.chance(0.01)) {
    id = `${rng.hex(8)}-${"x".repeat(500)}`;
    m.ops.push("long delivery id");
  }
  return { event, body: m.serialize(payload), id, ops: m.ops };
}

/** Deliver as GitHub does, signed with the webhook secret; the body is sent exactly as given. */
async function deliver(w: World, event: string, body: string, id: string): Promise<{ status: number; text: string }> {
  const secret = w.sim.webhookSecret;
  const res = await fetch(`${w.service.url}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/fuzz",
      "x-github-event": event,
      "x-github-delivery": id,
      "x-github-hook-installation-target-type": "integration",
      "x-hub-signature": `sha1=${createHmac("sha1", secret).update(body).digest("hex")}`,
      "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
    },
    body,
  });
  return { status: res.status, text: await res.text() };
}

// --- the test ------------------------------------------------------------------------------

describe("webhook fuzzing", () => {
  const processErrors: string[] = [];
  const onRejection = (reason: unknown) => processErrors.push(`unhandledRejection: ${String((reason as Error)?.stack ?? reason)}`);
  const onException = (err: Error) => processErrors.push(`uncaughtException: ${err.stack ?? err.message}`);
  let world: World | undefined;

  beforeAll(() => {
    process.on("unhandledRejection", onRejection);
    process.on("uncaughtException", onException);
  });
  afterAll(async () => {
    await world?.stop();
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  });

  it(`survives ${N} mutated deliveries (seed ${SEED}): no crash, a proper HTTP answer each, bounded memory, and jobs still run`, async () => {
    console.log(`fuzz: seed ${SEED}, ${N} deliveries, concurrency ${CONCURRENCY} (reproduce with FUZZ_SEED=${SEED})`);
    // Log at info, as in production, so that logging hostile payloads is exercised too.
    let logged = 0;
    const logFile = process.env.FUZZ_LOG_FILE; // keep the service's log lines for a replay (FUZZ_ONLY)
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logged += (chunk as Buffer).length;
        if (logFile) appendFileSync(logFile, chunk as Buffer);
        cb();
      },
    });
    world = await startWorld(MANUAL_CONFIG, {
      log: await createLogger({ level: process.env.FUZZ_LOG ?? "info", destination: sink }),
    });
    const w = world;
    // The installation's JSON as GitHub sends it (adding it again keeps its repositories).
    const installation = w.sim.addInstallation({ id: 100, account: { login: "acme", type: "Organization" } });
    const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();

    const rng = new Rng(SEED);
    // Generated up front, in order, so that the seed alone decides every delivery.
    const previousIds: string[] = [];
    const deliveries = Array.from({ length: N }, () => {
      const v = variation(rng, w, installation, previousIds);
      if (previousIds.length < 200) previousIds.push(v.id);
      return v;
    });
    if (process.env.FUZZ_ONLY) {
      // Replay one delivery of this seed and show it: FUZZ_ONLY=<index>.
      const d = deliveries[Number(process.env.FUZZ_ONLY)]!;
      const res = await deliver(w, d.event, d.body, d.id);
      console.log(
        `#${process.env.FUZZ_ONLY} ${d.event} [${d.ops.join("; ")}] → HTTP ${res.status} ${res.text.slice(0, 500)}\n${d.body.slice(0, 20_000)}`,
      );
      return;
    }
    const bytes = deliveries.reduce((n, d) => n + d.body.length, 0);

    gc();
    const heap0 = process.memoryUsage().heapUsed;
    let peak = heap0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 100);
    const statuses = new Map<number, number>();
    const errors = new Map<string, number>();
    const samples = new Map<string, string>();
    const bad: string[] = [];
    let next = 0;
    const t0 = Date.now();
    try {
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let i = next++; i < deliveries.length; i = next++) {
            const d = deliveries[i]!;
            if (process.env.FUZZ_PROGRESS && i % 1000 === 0) console.log(`fuzz: #${i} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
            try {
              const res = await deliver(w, d.event, d.body, d.id);
              statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
              const wellFormed =
                Number.isInteger(res.status) && ((res.status >= 200 && res.status < 300) || (res.status >= 400 && res.status < 600));
              if (!wellFormed) bad.push(`#${i} ${d.event} [${d.ops.join("; ")}]: HTTP ${res.status} ${res.text.slice(0, 200)}`);
              if (res.status >= 500) {
                let msg = res.text || "(empty body)";
                try {
                  const said = (JSON.parse(msg) as { error?: unknown }).error;
                  if (typeof said === "string") msg = said;
                } catch {
                  // not JSON: keep the text
                }
                msg = msg.replace(/\d+/g, "N").replace(/\s+/g, " ").slice(0, 140);
                errors.set(msg, (errors.get(msg) ?? 0) + 1);
                if (!samples.has(msg)) samples.set(msg, `#${i} ${d.event} [${d.ops.join("; ")}]`);
              }
            } catch (err) {
              bad.push(
                `#${i} ${d.event} [${d.ops.join("; ")}]: no HTTP answer: ${(err as Error).message} ${String((err as { cause?: Error }).cause?.message ?? "")}`,
              );
            }
          }
        }),
      );
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - t0) / 1000;
    const rows = await rowCounts(w.deps.db);
    gc();
    const heap1 = process.memoryUsage().heapUsed;
    console.log(
      `fuzz: ${N} deliveries (${(bytes / MB).toFixed(1)} MB) in ${seconds.toFixed(1)} s (${Math.round(N / seconds)}/s); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; ` +
        `stored ${rows.deliveries} deliveries, ${rows.pipelines} pipelines, ${rows.repositories} repositories, ${rows.installations} installations; ` +
        `heap ${(heap0 / MB).toFixed(0)} → peak ${(peak / MB).toFixed(0)} → ${(heap1 / MB).toFixed(0)} MB after GC; ${(logged / MB).toFixed(1)} MB of logs`,
    );
    console.log(
      `fuzz: 5xx answers by message:\n${[...errors]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 25)
        .map(([m, n]) => `  ${n} × ${m}\n      e.g. ${samples.get(m)}`)
        .join("\n")}`,
    );

    expect(bad.slice(0, 20), `${bad.length} deliveries without a proper answer (seed ${SEED})`).toEqual([]);
    expect(processErrors, `unhandled errors in the process (seed ${SEED})`).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(N);
    expect((await fetch(`${w.service.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${w.service.url}/readyz`)).status).toBe(200);
    expect(heap1 - heap0, "heap retained after the run").toBeLessThan(200 * MB);
    expect(peak - heap0, "heap peak during the run").toBeLessThan(400 * MB);
    expect(Object.getOwnPropertyNames(Object.prototype).sort(), "Object.prototype untouched").toEqual(protoBefore);
    expect(({} as Record<string, unknown>).polluted, "no prototype pollution").toBeUndefined();
    if (w.deps.db.dialect === "sqlite") expect(sqliteOf(w.deps.db).pragma("integrity_check", { simple: true })).toBe("ok");

    // A valid delivery afterwards still runs its jobs (a repository the fuzzing never named).
    w.sim.addInstallation({ id: 4242, account: { login: "fresh", type: "Organization" } });
    const gizmo: SimRepo = w.sim.addRepo({ installationId: 4242, owner: "fresh", name: "gizmo", files: { ".packit.yaml": ONE_BUILD } });
    w.sim.setPermission("fresh", "gizmo", "contributor", "write");
    const sha = new Rng(SEED ^ 0xabcdef).hex(40);
    const res = await w.send("pull_request", pullRequestEvent("opened", { repo: gizmo, number: 1, headSha: sha, author: "contributor" }));
    expect(res.status, res.body).toBe(200);
    await waitFor(() => w.sim.checkRuns("fresh", "gizmo", sha).some((c) => c.conclusion === "success"), 15_000, "the build after fuzzing");
    expect(processErrors).toEqual([]);
  }, 180_000);
});
