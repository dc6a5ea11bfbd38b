/**
 * A local Copr speaking the slice of APIv3 the client uses: SCM build creation, build
 * details, build list, source build config and cancel. Builds move through their
 * states on a clock (read lazily on every request, so no timers are left behind).
 */
import { startHttpFake, type FakeReply, type FakeRequest, type FakeServer } from "./http-fake.js";

export type CoprBuildState =
  | "pending"
  | "starting"
  | "importing"
  | "running"
  | "waiting"
  | "succeeded"
  | "failed"
  | "canceled"
  | "skipped"
  | "forked";

/** What a create call asked for, as `setOutcome` matchers see it. */
export interface CoprSubmission {
  id: number;
  ownername: string;
  projectname: string;
  clone_url: string;
  committish: string;
  chroots: string[];
  submitter: string;
  /** The JSON body as received. */
  body: Record<string, unknown>;
}

/** A build as the fake holds it, with its state as of now. */
export interface FakeCoprBuild extends CoprSubmission {
  state: CoprBuildState;
  submittedAt: number;
}

export interface FakeCoprOptions {
  /** Accepted `login:token` pairs (HTTP Basic). Default: [FAKE_COPR_TOKEN]. A login may build in and cancel builds of its own owner name only. */
  tokens?: string[];
  /** Length of each phase (pending, running) in ms; default 50. `Infinity` keeps builds pending until `finish`. */
  phaseMs?: number;
  /** `false` is the same as `phaseMs: Infinity`. */
  autoAdvance?: boolean;
}

export interface FakeCopr extends FakeServer {
  /** Forget builds, outcomes, recorded calls and faults. */
  reset(): void;
  /** Snapshots of all builds, oldest first. */
  builds(): FakeCoprBuild[];
  /** How many create calls succeeded. */
  readonly submissions: number;
  /** Builds the matcher accepts end in `outcome` (later rules win). Default outcome: `succeeded`. */
  setOutcome(matcher: (s: CoprSubmission) => boolean, outcome: CoprBuildState): void;
  /** Force a build into a state now (it stays there). */
  finish(id: number | string, state: CoprBuildState): void;
}

export const FAKE_COPR_TOKEN = "packit:fake-copr-token";

const PHASES: CoprBuildState[] = ["pending", "running"];
const FINISHED = new Set<CoprBuildState>(["succeeded", "failed", "canceled", "skipped", "forked"]);

interface Rec extends CoprSubmission {
  submittedAt: number;
  outcome: CoprBuildState;
  /** A forced state and when it was forced. */
  pinned?: { state: CoprBuildState; at: number };
}

/** Start a fake Copr on 127.0.0.1, port 0. */
export async function startFakeCopr(opts: FakeCoprOptions = {}): Promise<FakeCopr> {
  const tokens = new Set(opts.tokens ?? [FAKE_COPR_TOKEN]);
  const phaseMs = opts.autoAdvance === false ? Infinity : (opts.phaseMs ?? 50);
  const builds = new Map<number, Rec>();
  let rules: Array<{ matcher: (s: CoprSubmission) => boolean; outcome: CoprBuildState }> = [];
  let nextId = 1000;
  let submissions = 0;

  function stateOf(b: Rec, now = Date.now()): CoprBuildState {
    if (b.pinned) return b.pinned.state;
    const phase = Math.floor((now - b.submittedAt) / phaseMs);
    return PHASES[phase] ?? b.outcome;
  }

  /** Unix seconds of when a phase began, or null when it has not begun. */
  function phaseStart(b: Rec, phase: number): number | null {
    const at = b.submittedAt + phase * phaseMs;
    return Number.isFinite(at) && at <= Date.now() ? Math.floor(at / 1000) : null;
  }

  function toDict(b: Rec, base: string) {
    const state = stateOf(b);
    const ended = FINISHED.has(state) ? Math.floor((b.pinned?.at ?? b.submittedAt + PHASES.length * phaseMs) / 1000) : null;
    return {
      id: b.id,
      state,
      ownername: b.ownername,
      projectname: b.projectname,
      repo_url: `${base}/results/${b.ownername}/${b.projectname}/`,
      source_package: FINISHED.has(state) || state === "running" ? { name: "package", version: "1.0-1", url: `${base}/results/${b.ownername}/${b.projectname}/srpm-builds/${b.id}/package-1.0-1.src.rpm` } : { name: null, version: null, url: null },
      submitted_on: Math.floor(b.submittedAt / 1000),
      started_on: phaseStart(b, 1),
      ended_on: ended,
      submitter: b.submitter,
      chroots: b.chroots,
      project_dirname: b.projectname,
      is_background: false,
    };
  }

  /** The login of a valid Basic header, else null. */
  function loginOf(req: FakeRequest): string | null {
    const h = req.headers.authorization;
    if (typeof h !== "string" || !h.startsWith("Basic ")) return null;
    const pair = Buffer.from(h.slice(6), "base64").toString("utf8");
    return tokens.has(pair) ? pair.slice(0, pair.indexOf(":")) : null;
  }

  const error = (status: number, message: string): FakeReply => ({ status, body: { error: message } });
  const loginInvalid = () => error(401, "Login invalid/expired. Please visit the Copr API page to get or renew your API token.");

  let server: FakeServer;

  function handle(req: FakeRequest): FakeReply {
    const base = server.url;
    const path = req.path.replace(/\/+$/, "");
    let m: RegExpMatchArray | null;

    if (path === "/api_3/build/create/scm" && req.method === "POST") {
      const login = loginOf(req);
      if (!login) return loginInvalid();
      const body = (req.json ?? {}) as Record<string, unknown>;
      const { ownername, projectname, clone_url, chroots } = body;
      if (typeof ownername !== "string" || typeof projectname !== "string") return error(400, "Bad request parameters: ownername and projectname are required");
      if (typeof clone_url !== "string" || !clone_url) return error(400, "Bad request parameters: {'clone_url': ['This field is required.']}");
      if (!Array.isArray(chroots) || chroots.length === 0 || !chroots.every((c) => typeof c === "string")) {
        return error(400, "Bad request parameters: {'chroots': ['At least one chroot must be selected']}");
      }
      if (ownername !== login) return error(403, `User ${login} is not allowed to build in the copr: ${ownername}/${projectname}`);
      const sub: CoprSubmission = {
        id: nextId++,
        ownername,
        projectname,
        clone_url,
        committish: typeof body.committish === "string" ? body.committish : "",
        chroots: chroots as string[],
        submitter: login,
        body,
      };
      const rule = [...rules].reverse().find((r) => r.matcher(sub));
      const rec: Rec = { ...sub, submittedAt: Date.now(), outcome: rule?.outcome ?? "succeeded" };
      builds.set(rec.id, rec);
      submissions++;
      return { status: 200, body: toDict(rec, base) };
    }

    if (path === "/api_3/build/list" && req.method === "GET") {
      const owner = req.query.get("ownername");
      const project = req.query.get("projectname");
      if (!owner) return error(400, "Missing argument ownername");
      if (!project) return error(400, "Missing argument projectname");
      const items = [...builds.values()].filter((b) => b.ownername === owner && b.projectname === project);
      if (items.length === 0) return error(404, `Project ${owner}/${project} does not exist.`);
      const desc = (req.query.get("order_type") ?? "ASC") === "DESC";
      items.sort((a, b) => (desc ? b.id - a.id : a.id - b.id));
      const offset = Number(req.query.get("offset") ?? 0);
      const limit = req.query.get("limit") ? Number(req.query.get("limit")) : undefined;
      const status = req.query.get("status");
      let dicts = items.slice(offset).map((b) => toDict(b, base));
      if (status) dicts = dicts.filter((d) => d.state === status);
      if (limit !== undefined) dicts = dicts.slice(0, limit);
      return { status: 200, body: { items: dicts, meta: { limit: limit ?? null, offset, order: "id", order_type: desc ? "DESC" : "ASC" } } };
    }

    if ((m = path.match(/^\/api_3\/build\/source-build-config\/(\d+)$/)) && req.method === "GET") {
      const b = builds.get(Number(m[1]));
      if (!b) return error(404, `Build ${m[1]} does not exist.`);
      return {
        status: 200,
        body: {
          source_type: "scm",
          source_dict: {
            clone_url: b.clone_url,
            committish: b.committish,
            subdirectory: b.body.subdirectory ?? "",
            spec: b.body.spec ?? "",
            type: b.body.scm_type ?? "git",
            srpm_build_method: b.body.source_build_method ?? "rpkg",
          },
          memory_limit: 2048,
          timeout: typeof b.body.timeout === "number" ? b.body.timeout : 18000,
          is_background: false,
        },
      };
    }

    // APIv3 maps "PUT" routes to both POST and PUT.
    if ((m = path.match(/^\/api_3\/build\/cancel\/(\d+)$/)) && (req.method === "PUT" || req.method === "POST")) {
      const login = loginOf(req);
      if (!login) return loginInvalid();
      const b = builds.get(Number(m[1]));
      if (!b) return error(404, `Build ${m[1]} does not exist.`);
      if (b.ownername !== login) return error(403, "You are not allowed to cancel this build.");
      if (FINISHED.has(stateOf(b))) return error(409, `Cannot cancel build ${b.id}`);
      b.pinned = { state: "canceled", at: Date.now() };
      return { status: 200, body: toDict(b, base) };
    }

    if ((m = path.match(/^\/api_3\/build\/(\d+)$/)) && req.method === "GET") {
      const b = builds.get(Number(m[1]));
      if (!b) return error(404, `Build ${m[1]} does not exist.`);
      return { status: 200, body: toDict(b, base) };
    }

    return error(404, `No such API endpoint: ${req.method} ${req.path}`);
  }

  server = await startHttpFake("copr", handle);

  return {
    ...server,
    reset() {
      builds.clear();
      rules = [];
      submissions = 0;
      server.resetHttp();
    },
    builds() {
      return [...builds.values()].map((b) => ({
        id: b.id,
        ownername: b.ownername,
        projectname: b.projectname,
        clone_url: b.clone_url,
        committish: b.committish,
        chroots: b.chroots,
        submitter: b.submitter,
        body: b.body,
        submittedAt: b.submittedAt,
        state: stateOf(b),
      }));
    },
    get submissions() {
      return submissions;
    },
    setOutcome(matcher, outcome) {
      rules.push({ matcher, outcome });
    },
    finish(id, state) {
      const b = builds.get(Number(id));
      if (!b) throw new Error(`fake copr: no build ${id}`);
      b.pinned = { state, at: Date.now() };
    },
    async stop() {
      builds.clear();
      await server.stop();
    },
  };
}
