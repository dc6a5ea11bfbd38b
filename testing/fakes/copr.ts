/**
 * A local Copr speaking the slice of APIv3 the client uses: project get, add and
 * edit, SCM build creation, build details, build list, source build config and
 * cancel; the active chroots (mock-chroots list); and the results server's SRPM of each build. As in Copr, builds go only
 * into projects that exist and have the build's chroots. Builds move through their
 * states on a clock (read lazily on every request, so no timers are left behind).
 *
 * Authentication is Copr's: HTTP Basic with an account's API `login` (a generated
 * string, not the user name) and `token`, required by every write and refused with
 * 401 "Login invalid/expired…" when wrong or past its expiration date; reads are
 * anonymous. Permissions are by user name: owner, admins and builders may build and
 * cancel (`can_build_in`), owner and admins may edit.
 */
import { startHttpFake, type FakeReply, type FakeRequest } from "./http-fake.js";
import {
  type CoprBuildState,
  type CoprSubmission,
  FAKE_COPR_ACCOUNT,
  FAKE_COPR_MOCK_CHROOTS,
  type FakeCopr,
  type FakeCoprOptions,
  fakeSrpm,
} from "./copr-types.js";

export { FAKE_COPR_ACCOUNT, FAKE_COPR_MOCK_CHROOTS, fakeSrpm } from "./copr-types.js";
export type { CoprAccount, FakeCoprOptions, FakeCopr } from "./copr-types.js";

const PHASES: CoprBuildState[] = ["pending", "running"];
const FINISHED = new Set<CoprBuildState>(["succeeded", "failed", "canceled", "skipped", "forked"]);

interface Rec extends CoprSubmission {
  submittedAt: number;
  outcome: CoprBuildState;
  /** A forced state and when it was forced. */
  pinned?: { state: CoprBuildState; at: number };
}

interface ProjectRec {
  id: number;
  ownername: string;
  projectname: string;
  chroots: Set<string>;
  admins: Set<string>;
  builders: Set<string>;
  form: Record<string, unknown>;
}

/** Copr's rule for project names. */
const PROJECT_NAME = /^[\w.-]+$/;

/** Start a fake Copr on 127.0.0.1, port 0. */
export async function startFakeCopr(opts: FakeCoprOptions = {}): Promise<FakeCopr> {
  const accounts = new Map((opts.accounts ?? [FAKE_COPR_ACCOUNT]).map((a) => [a.login, a]));
  const now = opts.now ?? Date.now;
  const mockChroots = { ...(opts.mockChroots ?? FAKE_COPR_MOCK_CHROOTS) };
  const phaseMs = opts.autoAdvance === false ? Infinity : (opts.phaseMs ?? 50);
  const builds = new Map<number, Rec>();
  const projects = new Map<string, ProjectRec>();
  const projectKey = (owner: string, name: string) => `${owner}/${name}`;
  let rules: Array<{ matcher: (s: CoprSubmission) => boolean; outcome: CoprBuildState }> = [];
  let nextId = 1000;
  let nextProjectId = 1;
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

  /** The SRPM exists once the build has started (as in Copr, where the SRPM is built first). */
  const hasSrpm = (state: CoprBuildState) => FINISHED.has(state) || state === "running";
  // Copr's SRPM names differ per build (Packit puts a timestamp and the commit into the release).
  const srpmPath = (b: CoprSubmission) => `/results/${b.ownername}/${b.projectname}/srpm-builds/${b.id}/package-1.0-1.${b.id}.src.rpm`;

  function toDict(b: Rec, base: string) {
    const state = stateOf(b);
    const ended = FINISHED.has(state) ? Math.floor((b.pinned?.at ?? b.submittedAt + PHASES.length * phaseMs) / 1000) : null;
    return {
      id: b.id,
      state,
      ownername: b.ownername,
      projectname: b.projectname,
      // As Copr: the project's repository root, no trailing slash.
      repo_url: `${base}/results/${b.ownername}/${b.projectname}`,
      source_package: hasSrpm(state)
        ? { name: "package", version: "1.0-1", url: `${base}${srpmPath(b)}` }
        : { name: null, version: null, url: null },
      submitted_on: Math.floor(b.submittedAt / 1000),
      started_on: phaseStart(b, 1),
      ended_on: ended,
      submitter: b.submitter,
      chroots: b.chroots,
      project_dirname: b.projectname,
      is_background: false,
    };
  }

  /** APIv3 `project` to_dict (the fields the client may read). */
  function projectDict(p: ProjectRec, base: string) {
    const f = p.form;
    return {
      id: p.id,
      name: p.projectname,
      ownername: p.ownername,
      full_name: projectKey(p.ownername, p.projectname),
      description: f.description ?? null,
      instructions: f.instructions ?? null,
      persistent: false,
      unlisted_on_hp: f.unlisted_on_hp === true,
      auto_prune: true,
      chroot_repos: Object.fromEntries([...p.chroots].sort().map((c) => [c, `${base}/results/${p.ownername}/${p.projectname}/${c}/`])),
      additional_repos: Array.isArray(f.additional_repos) ? f.additional_repos : [],
      enable_net: f.enable_net === true,
      bootstrap: f.bootstrap ?? "default",
      module_hotfixes: f.module_hotfixes === true,
    };
  }

  const mayEdit = (p: ProjectRec, user: string) => user === p.ownername || p.admins.has(user);
  const mayBuild = (p: ProjectRec, user: string) => mayEdit(p, user) || p.builders.has(user);
  const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((c) => typeof c === "string");

  /** The user name of a valid Basic `login:token` whose token has not expired, else null (Copr's `api_login_required`). */
  function userOf(req: FakeRequest): string | null {
    const h = req.headers.authorization;
    if (typeof h !== "string" || !h.startsWith("Basic ")) return null;
    const pair = Buffer.from(h.slice(6), "base64").toString("utf8");
    const colon = pair.indexOf(":");
    const account = accounts.get(pair.slice(0, colon));
    if (!account || colon < 0 || account.token !== pair.slice(colon + 1)) return null;
    const today = new Date(now()).toISOString().slice(0, 10);
    return account.expiresOn === undefined || account.expiresOn >= today ? account.username : null;
  }

  const error = (status: number, message: string): FakeReply => ({ status, body: { error: message } });
  // Copr's answer to a missing, wrong or expired token alike.
  const loginInvalid = (): FakeReply => ({
    status: 401,
    body: { output: "notok", error: `Login invalid/expired. Please visit ${server.url}/api to get or renew your API token.` },
  });
  const noProject = (owner: string, name: string) => error(404, `Project ${owner}/${name} does not exist.`);

  function handle(req: FakeRequest): FakeReply {
    const base = server.url;
    const path = req.path.replace(/\/+$/, "");
    let m: RegExpMatchArray | null;

    // No login needed, as in Copr; only active chroots are listed.
    if (path === "/api_3/mock-chroots/list" && req.method === "GET") return { status: 200, body: mockChroots };

    if (path === "/api_3/project" && req.method === "GET") {
      const owner = req.query.get("ownername");
      const name = req.query.get("projectname");
      if (!owner) return error(400, "Missing argument ownername");
      if (!name) return error(400, "Missing argument projectname");
      const p = projects.get(projectKey(owner, name));
      return p ? { status: 200, body: projectDict(p, base) } : noProject(owner, name);
    }

    if ((m = path.match(/^\/api_3\/project\/add\/([^/]+)$/)) && req.method === "POST") {
      const user = userOf(req);
      if (!user) return loginInvalid();
      const owner = decodeURIComponent(m[1]!);
      const body = (req.json ?? {}) as Record<string, unknown>;
      if (owner !== user)
        return error(403, `You were authorized as '${user}' user without permissions to access projects of user '${owner}'`);
      const { name, chroots } = body;
      if (typeof name !== "string" || !name) return error(400, "name: This field is required.");
      if (!PROJECT_NAME.test(name)) return error(400, "name: Name must contain only letters, digits, underscores, dashes and dots.");
      if (!isStringList(chroots) || chroots.length === 0) return error(400, "chroots: At least one chroot must be selected");
      if (projects.has(projectKey(owner, name))) return error(400, `name: You already have a project named '${name}'.`);
      const p: ProjectRec = {
        id: nextProjectId++,
        ownername: owner,
        projectname: name,
        chroots: new Set(chroots),
        admins: new Set(),
        builders: new Set(),
        form: body,
      };
      projects.set(projectKey(owner, name), p);
      return { status: 200, body: projectDict(p, base) };
    }

    // APIv3 maps "PUT" routes to both POST and PUT.
    if ((m = path.match(/^\/api_3\/project\/edit\/([^/]+)\/([^/]+)$/)) && (req.method === "PUT" || req.method === "POST")) {
      const user = userOf(req);
      if (!user) return loginInvalid();
      const owner = decodeURIComponent(m[1]!);
      const name = decodeURIComponent(m[2]!);
      const p = projects.get(projectKey(owner, name));
      if (!p) return noProject(owner, name);
      if (!mayEdit(p, user)) return error(403, "Only owners and admins may update their projects.");
      const body = (req.json ?? {}) as Record<string, unknown>;
      // An empty or missing list leaves the chroots as they are; a list replaces them.
      if (isStringList(body.chroots) && body.chroots.length > 0) p.chroots = new Set(body.chroots);
      p.form = { ...p.form, ...body, chroots: [...p.chroots] };
      return { status: 200, body: projectDict(p, base) };
    }

    if ((m = path.match(/^\/results\/.+\/srpm-builds\/(\d+)\/[^/]+$/)) && (req.method === "GET" || req.method === "HEAD")) {
      const b = builds.get(Number(m[1]));
      if (!b || path !== srpmPath(b) || !hasSrpm(stateOf(b))) return { status: 404, body: "Not Found" };
      const bytes = fakeSrpm(b.id);
      return {
        status: 200,
        body: bytes.toString("ascii"),
        headers: { "content-type": "application/x-rpm", "content-length": String(bytes.length) },
      };
    }

    if (path === "/api_3/build/create/scm" && req.method === "POST") {
      const user = userOf(req);
      if (!user) return loginInvalid();
      const body = (req.json ?? {}) as Record<string, unknown>;
      const { ownername, projectname, clone_url, chroots } = body;
      if (typeof ownername !== "string" || typeof projectname !== "string")
        return error(400, "Bad request parameters: ownername and projectname are required");
      if (typeof clone_url !== "string" || !clone_url)
        return error(400, "Bad request parameters: {'clone_url': ['This field is required.']}");
      if (!Array.isArray(chroots) || chroots.length === 0 || !chroots.every((c) => typeof c === "string")) {
        return error(400, "Bad request parameters: {'chroots': ['At least one chroot must be selected']}");
      }
      const project = projects.get(projectKey(ownername, projectname));
      if (!project) return noProject(ownername, projectname);
      if (!mayBuild(project, user)) return error(403, `User ${user} is not allowed to build in the copr: ${ownername}/${projectname}`);
      const foreign = chroots.find((c) => !project.chroots.has(c));
      if (foreign) return error(400, `chroots: '${foreign}' is not a valid choice for this field.`);
      const sub: CoprSubmission = {
        id: nextId++,
        ownername,
        projectname,
        clone_url,
        committish: typeof body.committish === "string" ? body.committish : "",
        chroots: chroots,
        submitter: user,
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
      if (!projects.has(projectKey(owner, project))) return noProject(owner, project);
      const items = [...builds.values()].filter((b) => b.ownername === owner && b.projectname === project);
      const desc = (req.query.get("order_type") ?? "ASC") === "DESC";
      items.sort((a, b) => (desc ? b.id - a.id : a.id - b.id));
      const offset = Number(req.query.get("offset") ?? 0);
      const limit = req.query.get("limit") ? Number(req.query.get("limit")) : undefined;
      const status = req.query.get("status");
      let dicts = items.slice(offset).map((b) => toDict(b, base));
      if (status) dicts = dicts.filter((d) => d.state === status);
      if (limit !== undefined) dicts = dicts.slice(0, limit);
      return {
        status: 200,
        body: { items: dicts, meta: { limit: limit ?? null, offset, order: "id", order_type: desc ? "DESC" : "ASC" } },
      };
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
      const user = userOf(req);
      if (!user) return loginInvalid();
      const b = builds.get(Number(m[1]));
      if (!b) return error(404, `Build ${m[1]} does not exist.`);
      // BuildsLogic.cancel_build: `user.can_build_in(build.copr)`, not only the owner.
      const p = projects.get(projectKey(b.ownername, b.projectname));
      if (!(p ? mayBuild(p, user) : b.ownername === user)) return error(403, "You are not allowed to cancel this build.");
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

  const server = await startHttpFake("copr", handle);

  return {
    ...server,
    reset() {
      builds.clear();
      projects.clear();
      rules = [];
      submissions = 0;
      server.resetHttp();
    },
    project(owner, name) {
      const p = projects.get(projectKey(owner, name));
      if (!p) return undefined;
      return {
        ownername: p.ownername,
        projectname: p.projectname,
        chroots: [...p.chroots].sort(),
        admins: [...p.admins],
        builders: [...p.builders],
        form: { ...p.form },
      };
    },
    addProject(owner, name, opts) {
      projects.set(projectKey(owner, name), {
        id: nextProjectId++,
        ownername: owner,
        projectname: name,
        chroots: new Set(opts.chroots),
        admins: new Set(opts.admins),
        builders: new Set(opts.builders),
        form: { name, chroots: opts.chroots },
      });
    },
    deleteProject(owner, name) {
      projects.delete(projectKey(owner, name));
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
    expireToken(login) {
      const account = accounts.get(login);
      if (!account) throw new Error(`fake copr: no account ${login}`);
      accounts.set(login, { ...account, expiresOn: new Date(now() - 86_400_000).toISOString().slice(0, 10) });
    },
    async stop() {
      builds.clear();
      projects.clear();
      await server.stop();
    },
  };
}
