/**
 * Copr APIv3 client: the job's project (created or given the job's chroot when
 * needed), SCM builds, status, cancel, and recovery of a submission after a crash.
 * Every error body of Copr is `{"error": "<message>"}`; any `error` key is read as
 * failure, whatever the HTTP status.
 */
import { BackendError } from "../../errors.js";
import { errorText, httpCall, type HttpAnswer } from "../http.js";
import type {
  BackendClient,
  BackendEndpoint,
  CallOptions,
  CancelOutcome,
  RemoteState,
  RemoteStatus,
  SubmitRequest,
  SubmitResult,
} from "../types.js";

const NAME = "copr";

/** How many of the project's newest builds `findByToken` looks at. */
const FIND_LIMIT = 50;
/** How many candidate builds `findByToken` opens to compare their source. */
const FIND_MAX_CANDIDATES = 20;
/** How long a project seen to exist, with its chroots, is trusted without asking Copr again. */
const PROJECT_TTL_MS = 10 * 60_000;
/** Packit's default lifetime of the projects it creates (unless `preserve_project`). */
const DELETE_AFTER_DAYS = 60;
/**
 * Copr's answers to adding a project that exists: the form validator's "You already
 * have a project named 'p'." (or "Group g already has …"), or, when two adds race
 * past it, "Copr: 'o/p' already exists".
 */
const ALREADY_EXISTS = /already exists|already ha(ve|s) a project named/i;

/** The fields of a Copr build object this client reads. */
export interface CoprBuild {
  id: number;
  state: string;
  ownername?: string;
  projectname?: string;
  repo_url?: string;
  source_package?: { name?: string | null; version?: string | null; url?: string | null };
  submitted_on?: number | null;
  started_on?: number | null;
  ended_on?: number | null;
  submitter?: string | null;
  chroots?: string[];
}

/**
 * Copr build state → app state. `pending, starting, importing, waiting` have not
 * started building yet. `forked` builds were copied with a forked project and are as
 * good as `succeeded`. `skipped` means Copr did not rebuild because this very package
 * version already succeeded in the project for that chroot — the RPMs are in the
 * repository, so dependants may go on: success. Unknown words (including Copr's own
 * `unknown`) stay non-final so that polling goes on rather than concluding wrongly.
 */
export function mapState(raw: string): RemoteState {
  switch (raw) {
    case "pending":
    case "starting":
    case "importing":
    case "waiting":
      return "queued";
    case "running":
      return "running";
    case "succeeded":
    case "forked":
    case "skipped":
      return "success";
    case "failed":
      return "failure";
    case "canceled":
      return "cancelled";
    default:
      return "running";
  }
}

/**
 * The Copr project a job builds in: `options.owner`/`options.project` when set,
 * else Packit's convention, owner `packit` and project `<owner>-<repo>-<pr or ref>`
 * (characters Copr does not allow in a name become `-`).
 */
export function coprProject(req: SubmitRequest): { owner: string; project: string } {
  const owner = stringOption(req.options, "owner") ?? "packit";
  const explicit = stringOption(req.options, "project");
  if (explicit) return { owner, project: explicit };
  const suffix = req.source.pr !== undefined ? String(req.source.pr) : (req.source.ref ?? req.source.sha.slice(0, 12));
  const project = `${req.source.owner}-${req.source.repo}-${suffix}`.replace(/[^\w.-]+/g, "-");
  return { owner, project };
}

/** A Copr client for `endpoint.url` (the Copr base URL), authenticated with `login:token`. */
export function createCoprClient(endpoint: BackendEndpoint): BackendClient {
  const base = endpoint.url.replace(/\/+$/, "");
  const token = endpoint.token ?? "";
  const login = token.includes(":") ? token.slice(0, token.indexOf(":")) : undefined;
  // Built once; it only ever travels in a header, never into a message.
  const authHeader = token ? { authorization: `Basic ${Buffer.from(token).toString("base64")}` } : undefined;

  function call(method: string, path: string, opts: CallOptions | undefined, body?: unknown): Promise<HttpAnswer> {
    return httpCall(NAME, `${base}/api_3${path}`, {
      method,
      body,
      headers: authHeader,
      timeoutMs: endpoint.timeoutMs,
      signal: opts?.signal,
    });
  }

  const buildUrl = (id: number | string) => `${base}/coprs/build/${id}/`;
  // Copr's web UI puts group projects (`@group`) under /coprs/g/group/.
  const settingsUrl = (owner: string, project: string) =>
    `${base}/coprs/${owner.startsWith("@") ? `g/${owner.slice(1)}` : owner}/${project}/edit/`;
  const us = login ? `the Copr user ${login}` : "the app's Copr user";

  /**
   * Projects known to exist and the chroots they had, per `owner/project`. Map order
   * is refresh order (an entry is re-inserted when refreshed), so expired entries sit
   * at the front and are dropped there.
   */
  const known = new Map<string, { chroots: Set<string>; until: number }>();
  /** The one project check under way per project; callers add the chroot they need to `wanted`. */
  const syncing = new Map<string, { wanted: Set<string>; done: Promise<void> }>();

  function remember(key: string, chroots: Set<string>): void {
    const now = Date.now();
    for (const [k, v] of known) {
      if (v.until > now) break;
      known.delete(k);
    }
    known.delete(key);
    known.set(key, { chroots, until: now + PROJECT_TTL_MS });
  }

  function knownChroots(key: string): Set<string> | undefined {
    const k = known.get(key);
    return k && k.until > Date.now() ? k.chroots : undefined;
  }

  /**
   * Makes sure the job's project exists and has the job's chroot, as Packit does
   * before a build. Concurrent callers for one project share one check, which adds
   * every chroot they asked for in one call.
   */
  async function ensureProject(req: SubmitRequest, opts?: CallOptions): Promise<void> {
    const { owner, project } = coprProject(req);
    const key = `${owner}/${project}`;
    for (;;) {
      if (knownChroots(key)?.has(req.target)) return;
      const running = syncing.get(key);
      if (!running) {
        const wanted = new Set([req.target]);
        const done = syncProject(owner, project, wanted, req, opts).finally(() => syncing.delete(key));
        syncing.set(key, { wanted, done });
        return done;
      }
      running.wanted.add(req.target);
      let failure: unknown;
      await running.done.catch((err: unknown) => {
        failure = err;
      });
      if (knownChroots(key)?.has(req.target)) return;
      // A BackendError concerns our chroot too; anything else is the other caller's
      // abort, so look again ourselves. No failure: our chroot came too late for it.
      if (failure instanceof BackendError) throw failure;
    }
  }

  async function syncProject(owner: string, project: string, wanted: Set<string>, req: SubmitRequest, opts?: CallOptions): Promise<void> {
    const key = `${owner}/${project}`;
    let found = knownChroots(key) ?? (await getProject(owner, project, opts));
    if (!found) {
      // null: another submission created it meanwhile; read what it made.
      found = (await addProject(owner, project, [...wanted].sort(), req, opts)) ?? (await getProject(owner, project, opts));
      if (!found) throw new BackendError(NAME, `create Copr project ${key}: Copr says it exists but does not show it`, { transient: true });
    }
    const chroots = found;
    remember(key, chroots);
    const missing = [...wanted].filter((c) => !chroots.has(c)).sort();
    if (missing.length > 0) remember(key, await addChroots(owner, project, chroots, missing, opts));
  }

  /** The project's chroots, or null when it does not exist. */
  async function getProject(owner: string, project: string, opts?: CallOptions): Promise<Set<string> | null> {
    const q = new URLSearchParams({ ownername: owner, projectname: project });
    const ans = await call("GET", `/project?${q}`, opts);
    if (ans.status === 404) return null;
    return chrootsOf(expectOk(ans, `get Copr project ${owner}/${project}`));
  }

  /** Creates the project; null when it exists already (a concurrent submission was first). */
  async function addProject(owner: string, project: string, chroots: string[], req: SubmitRequest, opts?: CallOptions): Promise<Set<string> | null> {
    const ans = await call("POST", `/project/add/${encodeURIComponent(owner)}`, opts, projectForm(req, project, chroots));
    const text = errorText(ans.body);
    if (hasError(ans.body) && ALREADY_EXISTS.test(text)) return null;
    if (ans.status === 403) {
      throw new BackendError(
        NAME,
        `Copr project ${owner}/${project} does not exist and packit-probot may not create it (${text}): create it with the chroot ${chroots.join(", ")} and give ${us} builder rights`,
        { transient: false, status: ans.status },
      );
    }
    return chrootsOf(expectOk(ans, `create Copr project ${owner}/${project}`));
  }

  /** Adds `missing` to the project's chroots; Copr's edit replaces the whole list. */
  async function addChroots(owner: string, project: string, have: Set<string>, missing: string[], opts?: CallOptions): Promise<Set<string>> {
    const path = `/project/edit/${encodeURIComponent(owner)}/${encodeURIComponent(project)}`;
    const ans = await call("POST", path, opts, { chroots: [...have, ...missing].sort() });
    if (ans.status === 404) {
      known.delete(`${owner}/${project}`);
      throw new BackendError(NAME, `Copr project ${owner}/${project} was deleted meanwhile; the next attempt creates it again`, { transient: true, status: 404 });
    }
    // A bad token (401) is not the user's to fix.
    if ((ans.status === 403 || hasError(ans.body)) && ans.status !== 401) {
      const s = missing.length > 1 ? "s" : "";
      throw new BackendError(
        NAME,
        `Copr project ${owner}/${project} has no chroot${s} ${missing.join(", ")} and packit-probot may not edit it (${errorText(ans.body)}): add the chroot${s} at ${settingsUrl(owner, project)} or give ${us} admin rights on the project`,
        { transient: false, status: ans.status },
      );
    }
    return chrootsOf(expectOk(ans, `add chroots ${missing.join(", ")} to Copr project ${owner}/${project}`));
  }

  async function createScmBuild(req: SubmitRequest, opts?: CallOptions, again = false): Promise<CoprBuild> {
    await ensureProject(req, opts);
    const { owner, project } = coprProject(req);
    const o = req.options;
    const ans = await call("POST", "/build/create/scm", opts, {
      ownername: owner,
      projectname: project,
      clone_url: req.source.cloneUrl,
      committish: req.source.sha,
      chroots: [req.target],
      scm_type: "git",
      ...pick(o, ["spec", "subdirectory", "source_build_method", "timeout", "enable_net"]),
    });
    if (ans.status === 404 && hasError(ans.body)) {
      // "Project o/p does not exist.": deleted since we saw it (Copr deletes throwaway
      // projects after delete_after_days). No build was made: create it again, once.
      known.delete(`${owner}/${project}`);
      if (!again) return createScmBuild(req, opts, true);
    }
    const body = expectOk(ans, `submit build to ${owner}/${project}`);
    // URL builds may answer with `{items: [...]}`; SCM builds answer with one build.
    const build = (Array.isArray(body.items) ? body.items[0] : body) as CoprBuild | undefined;
    if (!build || typeof build.id !== "number") {
      throw new BackendError(NAME, `submit build to ${owner}/${project}: answer has no build id`, { transient: false, status: ans.status });
    }
    return build;
  }

  async function getBuild(id: string, opts?: CallOptions): Promise<CoprBuild> {
    const ans = await call("GET", `/build/${id}/`, opts);
    return expectOk(ans, `get build ${id}`) as unknown as CoprBuild;
  }

  /** Newest builds first; null when the project does not exist (nothing was submitted there). */
  async function listBuilds(owner: string, project: string, opts?: CallOptions): Promise<CoprBuild[] | null> {
    const q = new URLSearchParams({ ownername: owner, projectname: project, limit: String(FIND_LIMIT), order: "id", order_type: "DESC" });
    const ans = await call("GET", `/build/list/?${q}`, opts);
    if (ans.status === 404) {
      known.delete(`${owner}/${project}`);
      return null;
    }
    const body = expectOk(ans, `list builds of ${owner}/${project}`);
    return Array.isArray(body.items) ? (body.items as CoprBuild[]) : [];
  }

  async function getSourceDict(id: number, opts?: CallOptions): Promise<Record<string, unknown>> {
    const ans = await call("GET", `/build/source-build-config/${id}/`, opts);
    const body = expectOk(ans, `get source of build ${id}`);
    return isRecord(body.source_dict) ? body.source_dict : {};
  }

  async function cancelBuild(id: string, opts?: CallOptions): Promise<HttpAnswer> {
    return call("PUT", `/build/cancel/${id}`, opts);
  }

  return {
    name: NAME,

    async submit(req, opts): Promise<SubmitResult> {
      const build = await createScmBuild(req, opts);
      return { externalId: String(build.id), url: buildUrl(build.id) };
    },

    /**
     * Copr keeps nothing free-form per build that we could set from the token and
     * read back: APIv3 `build/create/scm` stores only the source (`clone_url`,
     * `committish`, `subdirectory`, `spec`, `scm_type`, `srpm_build_method`) and
     * generic options (chroots, timeout, …; `packit_forge_project` is stored but not
     * returned). So the job is recognised by what identifies it in Copr: a build in
     * the job's project (`GET /api_3/build/list/`, newest first), for its chroot,
     * submitted by our login, whose `source_dict` (`GET
     * /api_3/build/source-build-config/{id}/`) has the job's clone URL and commit.
     * Caveat: another job of ours for the same project, commit and chroot (an
     * explicit rebuild of the same head) looks identical — callers use this for
     * crash recovery of a job, not to decide whether a fresh job may be submitted.
     * (Source: fedora-copr/copr frontend `apiv3_builds.py` `to_dict`,
     * `to_source_build_config`, `get_build_list`.)
     */
    async findByToken(req, opts): Promise<SubmitResult | null> {
      const { owner, project } = coprProject(req);
      const builds = await listBuilds(owner, project, opts);
      if (!builds) return null;
      const candidates = builds
        .filter((b) => (b.chroots ?? []).includes(req.target))
        .filter((b) => login === undefined || b.submitter == null || b.submitter === login)
        .slice(0, FIND_MAX_CANDIDATES);
      for (const b of candidates) {
        const src = await getSourceDict(b.id, opts);
        if (src.clone_url === req.source.cloneUrl && src.committish === req.source.sha) {
          return { externalId: String(b.id), url: buildUrl(b.id) };
        }
      }
      return null;
    },

    async status(externalId, opts): Promise<RemoteStatus> {
      const id = buildId(externalId);
      const build = await getBuild(id, opts);
      const state = mapState(build.state);
      const status: RemoteStatus = { state, rawState: build.state, url: buildUrl(id) };
      // srpmUrl feeds the OpenScanHub scan that may run after this build.
      if (state === "success") status.artifacts = { repoUrl: build.repo_url, chroots: build.chroots ?? [], srpmUrl: build.source_package?.url ?? undefined };
      if (state === "failure") status.message = `Copr build ${id} failed; see the build logs`;
      return status;
    },

    async cancel(externalId, opts): Promise<CancelOutcome> {
      if (!/^\d+$/.test(externalId)) return { kind: "error", message: `unknown build ${externalId}: not a Copr build id` };
      // 5xx and timeouts throw (transient) so that the caller can retry; every
      // answer Copr gives on purpose is a value.
      const ans = await cancelBuild(externalId, opts);
      const text = errorText(ans.body);
      if (ans.status === 200 && !hasError(ans.body)) return { kind: "cancelled" };
      if (ans.status === 409) return { kind: "already_finished" };
      if (ans.status === 401) return { kind: "error", message: `authentication failed: ${text}`.trim() };
      if (ans.status === 403) return { kind: "error", message: `permission denied: ${text}`.trim() };
      if (ans.status === 404) return { kind: "error", message: `unknown build ${externalId}: ${text}`.trim() };
      return { kind: "error", message: `cancel build ${externalId}: HTTP ${ans.status} ${text}`.trim() };
    },
  };
}

/**
 * Copr APIv3 project form (`project/add`) for a project the app creates. Packit's
 * defaults: unlisted and deleted after 60 days unless the job says `list_on_homepage`
 * or `preserve_project`; the other Copr options of the job are passed as they are.
 */
function projectForm(req: SubmitRequest, project: string, chroots: string[]): Record<string, unknown> {
  const o = req.options;
  // The base repository, not the clone URL: a fork's PR builds from the fork.
  const repo = `${req.source.owner}/${req.source.repo}`;
  return {
    name: project,
    chroots,
    description: `Continuous builds of ${repo} initiated by packit-probot.`,
    instructions: `You can check out the upstream project ${repo} to find out how to consume these builds. This Copr project is created and handled by packit-probot.`,
    unlisted_on_hp: o.list_on_homepage !== true,
    ...(o.preserve_project === true ? {} : { delete_after_days: DELETE_AFTER_DAYS }),
    ...pick(o, ["enable_net", "additional_repos", "module_hotfixes", "bootstrap", "follow_fedora_branching"]),
  };
}

/** The chroots of an APIv3 project: the keys of `chroot_repos`. */
function chrootsOf(project: Record<string, unknown>): Set<string> {
  return new Set(isRecord(project.chroot_repos) ? Object.keys(project.chroot_repos) : []);
}

/** Copr build ids are integers; anything else cannot be one (and must not reach a URL). */
function buildId(externalId: string): string {
  if (!/^\d+$/.test(externalId)) {
    throw new BackendError(NAME, `unknown build ${JSON.stringify(externalId)}: not a Copr build id`, { transient: false });
  }
  return externalId;
}

/** The body of a successful answer, or a permanent error naming what failed and why. */
function expectOk(ans: HttpAnswer, what: string): Record<string, unknown> {
  if (ans.status >= 200 && ans.status < 300 && isRecord(ans.body) && !hasError(ans.body)) return ans.body;
  const why = ans.status === 401 ? "authentication failed" : `HTTP ${ans.status}`;
  throw new BackendError(NAME, `${what}: ${why} ${errorText(ans.body)}`.trim(), { transient: false, status: ans.status });
}

function hasError(body: unknown): boolean {
  return isRecord(body) && body.error !== undefined && body.error !== null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stringOption(options: Record<string, unknown>, key: string): string | undefined {
  const v = options[key];
  return typeof v === "string" && v !== "" ? v : undefined;
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
