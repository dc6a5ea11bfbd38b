/**
 * Copr APIv3 client: SCM builds in the job's project (see `projects.ts`), status,
 * cancel, and recovery of a submission after a crash. Copr's API config
 * (<copr>/api) has three values: `login` — a generated string — and `token`
 * authenticate (HTTP Basic `login:token`); `username` is the user they belong to,
 * the owner of the projects we create and the `submitter` of our builds.
 */
import { z } from "zod";
import { BackendError } from "../../errors.js";
import { createJsonApi } from "../http.js";
import type { BackendClient, CancelOutcome, RemoteState, RemoteStatus, SubmitRequest, SubmitResult } from "../types.js";
import { expectCopr, hasError } from "./answers.js";
import { coprProject, createCoprProjects, pick } from "./projects.js";

export { coprProject } from "./projects.js";

const NAME = "copr";

/** How many of the project's newest builds `findByToken` looks at. */
const FIND_LIMIT = 50;
/** How many candidate builds `findByToken` opens to compare their source. */
const FIND_MAX_CANDIDATES = 20;
/** Copr's clock and ours may differ a little: a build this much older than our attempt may still be ours. */
const CLOCK_SLACK_MS = 5 * 60_000;

export interface CoprEndpoint {
  /** The Copr instance, e.g. https://copr.fedorainfracloud.org. */
  url: string;
  /** `login` and `token` from <url>/api (Copr's API config): they authenticate. */
  login?: string;
  token?: string;
  /** `username` from the same config: our projects' owner and our builds' submitter. */
  username?: string;
  /** Per-call timeout, ms. */
  timeoutMs?: number;
}

/** A Copr build object (APIv3 `to_dict`), the fields this client reads. */
const Build = z.object({
  id: z.number().int(),
  state: z.string(),
  repo_url: z.string().nullish(),
  source_package: z.object({ url: z.string().nullish() }).nullish(),
  submitted_on: z.number().nullish(),
  submitter: z.string().nullish(),
  chroots: z.array(z.string()).nullish(),
});
type CoprBuild = z.output<typeof Build>;
/** `build/create/*`: one build, or `{items}` (URL builds may make several). */
const Created = z.union([Build, z.object({ items: z.array(Build).min(1) })]);
const BuildList = z.object({ items: z.array(Build) });
const SourceConfig = z.object({ source_dict: z.record(z.string(), z.unknown()).nullish() });

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

/** A Copr client for `endpoint.url`, authenticated with the API login and token. */
export function createCoprClient(endpoint: CoprEndpoint, clock: { now?: () => number } = {}): BackendClient {
  const now = clock.now ?? Date.now;
  const base = endpoint.url.replace(/\/+$/, "");
  const { login, token, username } = endpoint;
  // Built once; it only ever travels in a header, never into a message.
  const authHeader = login && token ? { authorization: `Basic ${Buffer.from(`${login}:${token}`).toString("base64")}` } : undefined;
  const api = createJsonApi({
    backend: NAME,
    baseUrl: `${base}/api_3`,
    timeoutMs: endpoint.timeoutMs,
    auth: () => authHeader,
    // Copr answers "Login invalid/expired" alike for both; tokens expire after 180 days, the usual cause.
    unauthorized: (said) =>
      authHeader
        ? `Copr API token expired: renew it at ${base}/api (Copr: ${said.split(". ")[0] ?? said})`
        : `no Copr API token configured: set backends.copr.login, username and token from ${base}/api`,
  });

  const buildUrl = (id: number | string) => `${base}/coprs/build/${id}/`;
  // Copr's web UI puts group projects (`@group`) under /coprs/g/group/.
  const settingsUrl = (owner: string, project: string) =>
    `${base}/coprs/${owner.startsWith("@") ? `g/${owner.slice(1)}` : owner}/${project}/edit/`;
  const projects = createCoprProjects(api, { user: username ? `the Copr user ${username}` : "the app's Copr user", settingsUrl, now });

  async function createScmBuild(req: SubmitRequest, signal?: AbortSignal, again = false): Promise<CoprBuild> {
    await projects.ensure(req, { signal });
    const { owner, project } = coprProject(req);
    const ans = await api.call("POST", "/build/create/scm", {
      signal,
      body: {
        ownername: owner,
        projectname: project,
        clone_url: req.source.cloneUrl,
        committish: req.source.sha,
        chroots: [req.target],
        scm_type: "git",
        ...pick(req.options, ["spec", "subdirectory", "source_build_method", "timeout", "enable_net"]),
      },
    });
    if (ans.status === 404 && hasError(ans.body)) {
      // "Project o/p does not exist.": deleted since we saw it (Copr deletes throwaway
      // projects after delete_after_days). No build was made: create it again, once.
      projects.forget(owner, project);
      if (!again) return createScmBuild(req, signal, true);
    }
    const created = expectCopr(api, ans, Created, `submit build to ${owner}/${project}`);
    return "items" in created ? created.items[0]! : created;
  }

  async function getBuild(id: string, signal?: AbortSignal): Promise<CoprBuild> {
    return expectCopr(api, await api.call("GET", `/build/${id}/`, { signal }), Build, `get build ${id}`);
  }

  /** Newest builds first; null when the project does not exist (nothing was submitted there). */
  async function listBuilds(owner: string, project: string, signal?: AbortSignal): Promise<CoprBuild[] | null> {
    const query = { ownername: owner, projectname: project, limit: FIND_LIMIT, order: "id", order_type: "DESC" };
    const ans = await api.call("GET", "/build/list/", { query, signal });
    if (ans.status === 404) {
      projects.forget(owner, project);
      return null;
    }
    return expectCopr(api, ans, BuildList, `list builds of ${owner}/${project}`).items;
  }

  async function sourceOf(id: number, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const ans = await api.call("GET", `/build/source-build-config/${id}/`, { signal });
    return expectCopr(api, ans, SourceConfig, `get source of build ${id}`).source_dict ?? {};
  }

  return {
    name: NAME,

    async submit(req, opts): Promise<SubmitResult> {
      const build = await createScmBuild(req, opts?.signal);
      return { externalId: String(build.id), url: buildUrl(build.id) };
    },

    /**
     * Copr keeps nothing free-form per build that we could set from the token and
     * read back: APIv3 `build/create/scm` stores only the source (`clone_url`,
     * `committish`, `subdirectory`, `spec`, `scm_type`, `srpm_build_method`) and
     * generic options (chroots, timeout, …; `packit_forge_project` is stored but not
     * returned). So the job's build is recognised by what identifies it in Copr: a
     * build in the job's project (`GET /api_3/build/list/`, newest first), for its
     * chroot, whose `submitter` is our username, submitted no earlier than our
     * attempt, that no other job recorded as its own, and whose `source_dict`
     * (`GET /api_3/build/source-build-config/{id}/`) has the job's clone URL and
     * commit. (Source: fedora-copr/copr frontend `apiv3_builds.py` `to_dict`,
     * `to_source_build_config`, `get_build_list`.)
     */
    async findByToken(req, opts): Promise<SubmitResult | null> {
      const { owner, project } = coprProject(req);
      const builds = await listBuilds(owner, project, opts?.signal);
      if (!builds) return null;
      const after = opts?.submittedAfter === undefined ? -Infinity : opts.submittedAfter - CLOCK_SLACK_MS;
      const candidates = builds
        .filter((b) => (b.chroots ?? []).includes(req.target))
        .filter((b) => username === undefined || b.submitter == null || b.submitter === username)
        .filter((b) => b.submitted_on == null || b.submitted_on * 1000 >= after)
        .slice(0, FIND_MAX_CANDIDATES);
      for (const b of candidates) {
        if (await opts?.isRecorded?.(String(b.id))) continue;
        const src = await sourceOf(b.id, opts?.signal);
        if (src.clone_url === req.source.cloneUrl && src.committish === req.source.sha) {
          return { externalId: String(b.id), url: buildUrl(b.id) };
        }
      }
      return null;
    },

    async status(externalId, opts): Promise<RemoteStatus> {
      const id = buildId(externalId);
      const build = await getBuild(id, opts?.signal);
      const state = mapState(build.state);
      const status: RemoteStatus = { state, rawState: build.state, url: buildUrl(id) };
      // srpmUrl feeds the OpenScanHub scan that may run after this build.
      if (state === "success")
        status.artifacts = { repoUrl: build.repo_url, chroots: build.chroots ?? [], srpmUrl: build.source_package?.url ?? undefined };
      if (state === "failure") status.message = `Copr build ${id} failed; see the build logs`;
      return status;
    },

    async cancel(externalId, opts): Promise<CancelOutcome> {
      if (!/^\d+$/.test(externalId)) return { kind: "error", message: `unknown build ${externalId}: not a Copr build id` };
      // 5xx and timeouts throw (transient) so that the caller can retry; every
      // answer Copr gives on purpose is a value. Copr lets everyone with build rights
      // in the project cancel (`can_build_in`), and answers 409 for a finished build.
      const ans = await api.call("PUT", `/build/cancel/${externalId}`, { signal: opts?.signal });
      const text = api.text(ans.body);
      if (ans.status === 200 && !hasError(ans.body)) return { kind: "cancelled" };
      if (ans.status === 409) return { kind: "already_finished" };
      if (ans.status === 401) return { kind: "error", message: api.explain(ans) };
      if (ans.status === 403) return { kind: "error", message: `permission denied: ${text}`.trim() };
      if (ans.status === 404) return { kind: "error", message: `unknown build ${externalId}: ${text}`.trim() };
      return { kind: "error", message: `cancel build ${externalId}: HTTP ${ans.status} ${text}`.trim() };
    },
  };
}

/** Copr build ids are integers; anything else cannot be one (and must not reach a URL). */
function buildId(externalId: string): string {
  if (!/^\d+$/.test(externalId)) {
    throw new BackendError(NAME, `unknown build ${JSON.stringify(externalId)}: not a Copr build id`, { transient: false });
  }
  return externalId;
}
