/**
 * A local Testing Farm speaking API v0.1 requests: create, details, list (own
 * requests) and cancel. Requests move `new → queued → running → complete|error` on a
 * clock that is read lazily on every request, so no timers are left behind; a
 * cancel-requested request becomes `canceled` one phase later.
 *
 * As strict as the service: creating and cancelling need the API key (bearer), a
 * wrong key is refused with 401 even where none is needed, another user's request
 * is 403 to a key that does not own it, a malformed id is FastAPI's 422, and
 * answers have the shape of the recorded real ones (`test` and every environment
 * filled in with TF's defaults, `result.xunit`, `notes`).
 */
import { randomUUID } from "node:crypto";
import { startHttpFake, type FakeReply, type FakeRequest, type FakeServer } from "./http-fake.js";

type TfState = "new" | "queued" | "running" | "complete" | "error" | "cancel-requested" | "canceled";
type TfOverall = "passed" | "failed" | "error" | "skipped" | "unknown";

/** How a request ends: a shorthand (`passed`, `failed`, `skipped` complete the request; `error` errors it) or explicit. */
type TfOutcome = TfOverall | { state: "complete" | "error"; overall: TfOverall; summary?: string };

/** What a create call asked for, as `setOutcome` matchers see it. */
interface TfSubmission {
  id: string;
  /** The user the bearer key belongs to. */
  user: string;
  /** The JSON body as received. */
  body: Record<string, unknown>;
  /** `environments[0].variables`, for convenience. */
  variables: Record<string, unknown>;
  /** `environments[0].tmt.context`, for convenience. */
  context: Record<string, unknown>;
}

/** A request as the fake holds it, with its state as of now. */
interface FakeTfRequest extends TfSubmission {
  state: TfState;
  createdAt: number;
}

export interface FakeTestingFarmOptions {
  /** Accepted API keys; each is its own user. Default: [FAKE_TF_API_KEY]. */
  tokens?: string[];
  /** Length of each phase (new, queued, running, cancel-requested) in ms; default 50. `Infinity` leaves it to `finish`. */
  phaseMs?: number;
  /** `false` is the same as `phaseMs: Infinity`. */
  autoAdvance?: boolean;
}

export interface FakeTestingFarm extends FakeServer {
  /** Forget requests, outcomes, recorded calls and faults. */
  reset(): void;
  /** Snapshots of all requests, oldest first. */
  requests(): FakeTfRequest[];
  /** How many create calls succeeded. */
  readonly submissions: number;
  /** Requests the matcher accepts end in `outcome` (later rules win). Default: `passed`. */
  setOutcome(matcher: (s: TfSubmission) => boolean, outcome: TfOutcome): void;
  /** Force a request into a state now (it stays there); `overall` for complete/error. */
  finish(id: string, state: TfState, overall?: TfOverall): void;
}

export const FAKE_TF_API_KEY = "fake-testing-farm-token";

const PHASES: TfState[] = ["new", "queued", "running"];
const FINISHED = new Set<TfState>(["complete", "error", "canceled"]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Rec extends TfSubmission {
  createdAt: number;
  outcome: { state: "complete" | "error"; overall: TfOverall; summary?: string };
  pinned?: { state: TfState; at: number; overall?: TfOverall };
}

function normalise(o: TfOutcome): Rec["outcome"] {
  if (typeof o !== "string") return o;
  return o === "error" ? { state: "error", overall: "error", summary: "infrastructure error" } : { state: "complete", overall: o };
}

/** Start a fake Testing Farm on 127.0.0.1, port 0. */
export async function startFakeTestingFarm(opts: FakeTestingFarmOptions = {}): Promise<FakeTestingFarm> {
  // Each key is a user with a stable id, as TF's `user_id`.
  const users = new Map((opts.tokens ?? [FAKE_TF_API_KEY]).map((t) => [t, randomUUID()]));
  const phaseMs = opts.autoAdvance === false ? Infinity : (opts.phaseMs ?? 50);
  const requests = new Map<string, Rec>();
  let rules: Array<{ matcher: (s: TfSubmission) => boolean; outcome: TfOutcome }> = [];
  let submissions = 0;

  /** State and overall result as of `now`. */
  function current(r: Rec, now = Date.now()): { state: TfState; overall: TfOverall | null; summary: string | null } {
    if (r.pinned) {
      // A cancel request is honoured one phase later.
      if (r.pinned.state === "cancel-requested" && now - r.pinned.at >= phaseMs) return { state: "canceled", overall: null, summary: null };
      const finished = r.pinned.state === "complete" || r.pinned.state === "error";
      return {
        state: r.pinned.state,
        overall: finished ? (r.pinned.overall ?? (r.pinned.state === "error" ? "error" : "passed")) : null,
        summary: null,
      };
    }
    const phase = Math.floor((now - r.createdAt) / phaseMs);
    const state = PHASES[phase];
    if (state) return { state, overall: null, summary: null };
    return { state: r.outcome.state, overall: r.outcome.overall, summary: r.outcome.summary ?? null };
  }

  /** An environment as TF echoes it: every field of its model, defaults filled in; secrets are never shown. */
  function environmentJson(env: Record<string, unknown>) {
    const artifacts = Array.isArray(env.artifacts) ? (env.artifacts as Array<Record<string, unknown>>) : null;
    return {
      arch: env.arch,
      os: env.os ?? null,
      pool: env.pool ?? null,
      variables: env.variables ?? null,
      artifacts: artifacts?.map((a) => ({ packages: null, ...a })) ?? null,
      settings: env.settings ?? null,
      tmt: env.tmt ?? null,
      hardware: env.hardware ?? null,
      kickstart: env.kickstart ?? null,
    };
  }

  function testJson(test: Record<string, unknown>) {
    const fmf = test.fmf as Record<string, unknown> | undefined;
    return {
      fmf: fmf
        ? { url: fmf.url, ref: fmf.ref ?? "main", merge_sha: fmf.merge_sha ?? null, path: fmf.path ?? ".", name: fmf.name ?? null }
        : null,
      script: null,
      sti: test.sti ?? null,
    };
  }

  function toJson(r: Rec, base: string) {
    const { state, overall, summary } = current(r);
    const env = Array.isArray(r.body.environments) ? (r.body.environments as Array<Record<string, unknown>>) : [];
    return {
      id: r.id,
      user_id: r.user,
      test: testJson(r.body.test as Record<string, unknown>),
      state,
      environments_requested: env.map(environmentJson),
      notes: [{ level: "info", message: `tf-tmt/dispatch-${Math.floor(r.createdAt / 1000)}` }],
      result: overall ? { overall, summary, xunit: null, xunit_url: null } : null,
      run: state === "new" || state === "queued" ? null : { artifacts: `${base}/artifacts/${r.id}`, console: null, stages: null },
      settings: r.body.settings ?? null,
      created: new Date(r.createdAt).toISOString().replace(/Z$/, ""),
      updated: new Date().toISOString().replace(/Z$/, ""),
    };
  }

  const message = (status: number, text: string): FakeReply => ({ status, body: { code: status, message: text } });
  const badUuid = (): FakeReply => ({
    status: 422,
    body: { detail: [{ loc: ["path", "request_id"], msg: "value is not a valid uuid", type: "type_error.uuid" }] },
  });

  /** The user of the bearer key: a user id, `null` for a bad key, `undefined` for none at all. */
  function userOf(req: FakeRequest): string | null | undefined {
    const h = req.headers.authorization;
    if (h === undefined) return undefined;
    if (typeof h !== "string" || !h.startsWith("Bearer ")) return null;
    return users.get(h.slice(7)) ?? null;
  }

  function handle(req: FakeRequest): FakeReply {
    const base = server.url;
    const path = req.path.replace(/\/+$/, "");
    const user = userOf(req);
    const m = path.match(/^\/v0\.1\/requests\/([^/]+)$/);

    if (path === "/v0.1/requests" && req.method === "POST") {
      if (!user) return message(401, "Not authorized to perform this action");
      const body = req.json as Record<string, unknown> | undefined;
      const test = body?.test as { fmf?: { url?: unknown } } | undefined;
      const envs = body?.environments;
      if (!body || typeof test?.fmf?.url !== "string") return message(400, "test.fmf.url is required");
      if (!Array.isArray(envs) || envs.length === 0) return message(400, "at least one environment is required");
      if (envs.some((e) => typeof (e as { arch?: unknown } | null)?.arch !== "string"))
        return message(400, "environments[].arch is required");
      const env0 = (envs[0] ?? {}) as { variables?: Record<string, unknown>; tmt?: { context?: Record<string, unknown> } };
      const sub: TfSubmission = { id: randomUUID(), user, body, variables: env0.variables ?? {}, context: env0.tmt?.context ?? {} };
      const rule = [...rules].reverse().find((r) => r.matcher(sub));
      const rec: Rec = { ...sub, createdAt: Date.now(), outcome: normalise(rule?.outcome ?? "passed") };
      requests.set(rec.id, rec);
      submissions++;
      const { created, updated, test: echoedTest, environments_requested } = toJson(rec, base);
      const echo = {
        test: echoedTest,
        environments: environments_requested,
        notification: body.notification ?? null,
        settings: body.settings ?? null,
      };
      return { status: 200, body: { id: rec.id, state: "new", ...echo, created, updated } };
    }

    if (path === "/v0.1/requests" && req.method === "GET") {
      // With a key, only the key owner's requests ("mine"); a bad key is refused.
      if (user === null) return message(401, "Not authorized to perform this action");
      const after = req.query.get("created_after");
      const afterMs = after ? Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(after) ? after : `${after}Z`) : -Infinity;
      const state = req.query.get("state");
      const list = [...requests.values()]
        .filter((r) => user === undefined || r.user === user)
        .filter((r) => r.createdAt >= afterMs)
        .map((r) => toJson(r, base))
        .filter((r) => !state || r.state === state);
      return { status: 200, body: list };
    }

    if (m && req.method === "GET") {
      // Anyone may read a request; a key that does not own it may not.
      if (user === null) return message(401, "Not authorized to perform this action");
      if (!UUID.test(m[1]!)) return badUuid();
      const r = requests.get(m[1]!);
      if (!r) return message(404, "No such entity");
      if (user !== undefined && r.user !== user) return message(403, "Not authorized to view this request");
      return { status: 200, body: toJson(r, base) };
    }

    if (m && req.method === "DELETE") {
      if (!user) return message(401, "Not authorized to perform this action");
      if (!UUID.test(m[1]!)) return badUuid();
      const r = requests.get(m[1]!);
      if (!r) return message(404, "No such entity");
      if (r.user !== user) return message(403, "Not authorized to cancel this request");
      const { state } = current(r);
      if (state === "cancel-requested" || state === "canceled") return { status: 204 };
      if (FINISHED.has(state)) return message(409, "Request is already finished");
      r.pinned = { state: "cancel-requested", at: Date.now() };
      return { status: 200, body: toJson(r, base) };
    }

    return message(404, `No such endpoint: ${req.method} ${req.path}`);
  }

  const server = await startHttpFake("testing-farm", handle);

  return {
    ...server,
    reset() {
      requests.clear();
      rules = [];
      submissions = 0;
      server.resetHttp();
    },
    requests() {
      return [...requests.values()].map((r) => ({
        id: r.id,
        user: r.user,
        body: r.body,
        variables: r.variables,
        context: r.context,
        createdAt: r.createdAt,
        state: current(r).state,
      }));
    },
    get submissions() {
      return submissions;
    },
    setOutcome(matcher, outcome) {
      rules.push({ matcher, outcome });
    },
    finish(id, state, overall) {
      const r = requests.get(id);
      if (!r) throw new Error(`fake testing-farm: no request ${id}`);
      r.pinned = { state, at: Date.now(), overall };
    },
    async stop() {
      requests.clear();
      await server.stop();
    },
  };
}
