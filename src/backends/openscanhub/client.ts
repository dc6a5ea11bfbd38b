/**
 * OpenScanHub client (kobo hub XML-RPC): the differential scan Packit runs after
 * a Copr build, its status, and cancel.
 *
 * Protocol notes (kobo/django/xmlrpc, kobo/hub/xmlrpc/client.py, osh/hub/osh_xmlrpc):
 * - `auth.login_password(user, password)` starts a Django session; the hub answers
 *   with a `sessionid` cookie that later calls send back (kobo's CookieTransport).
 *   Calls that need it fail with fault 1 "PermissionDenied: Login required.".
 * - Every server exception is fault 1 "<ExceptionType>: <message>".
 * - `scan.get_task_info(id)` returns kobo's `Task.export()` — or `{}` for an unknown task.
 * - `client.cancel_task(id)` returns nil when it cancelled; for an unknown task it
 *   returns the string "Specified task N does not exist."; for a finished task kobo
 *   raises "Cannot cancel task N, state is CLOSED" (newer kobo returns nil instead),
 *   so the outcome is read back (see `cancel`).
 */
import { BackendError } from "../../errors.js";
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
import { XmlRpcFault, type XmlRpcStruct, type XmlRpcValue } from "../xmlrpc/codec.js";
import { xmlRpcExchange } from "../xmlrpc/client.js";

const BACKEND = "openscanhub";

/** kobo task states (kobo.hub.models.TASK_STATES) — not Koji's numbering. */
export const OSH_TASK_STATES = {
  FREE: 0,
  ASSIGNED: 1,
  OPEN: 2,
  CLOSED: 3,
  CANCELED: 4,
  FAILED: 5,
  INTERRUPTED: 6,
  TIMEOUT: 7,
  CREATED: 8,
} as const;
export type OshTaskStateName = keyof typeof OSH_TASK_STATES;

/** Written into the task comment: `… [packit-token:<token>]`. */
export const OSH_TOKEN_MARK = "packit-token:";

const STATE_NAMES = Object.fromEntries(Object.entries(OSH_TASK_STATES).map(([k, v]) => [v, k])) as Record<number, OshTaskStateName>;
const FINISHED = new Set<number>([
  OSH_TASK_STATES.CLOSED,
  OSH_TASK_STATES.CANCELED,
  OSH_TASK_STATES.FAILED,
  OSH_TASK_STATES.INTERRUPTED,
  OSH_TASK_STATES.TIMEOUT,
]);
/** Candidates `findByToken` inspects (newest first). */
const FIND_MAX_CANDIDATES = 10;

/** The name of a kobo task state number, e.g. 3 → "CLOSED". */
export function oshStateName(state: number): string {
  return STATE_NAMES[state] ?? `UNKNOWN(${state})`;
}

/** kobo task state → app state. Pure; INTERRUPTED, TIMEOUT and unknown numbers are `error`. */
export function mapState(state: number): RemoteState {
  switch (state) {
    case OSH_TASK_STATES.FREE:
    case OSH_TASK_STATES.ASSIGNED:
    case OSH_TASK_STATES.CREATED:
      return "queued";
    case OSH_TASK_STATES.OPEN:
      return "running";
    case OSH_TASK_STATES.CLOSED:
      return "success";
    case OSH_TASK_STATES.FAILED:
      return "failure";
    case OSH_TASK_STATES.CANCELED:
      return "cancelled";
    default:
      return "error";
  }
}

/** The hub's web root: everything before `/xmlrpc/`. */
export function oshHubRoot(xmlrpcUrl: string): string {
  const u = new URL(xmlrpcUrl);
  const i = u.pathname.indexOf("/xmlrpc");
  return `${u.origin}${i >= 0 ? u.pathname.slice(0, i) : u.pathname.replace(/\/+$/, "")}`;
}

/** The page of one task: `<hub>/task/<id>/`. */
export function oshTaskUrl(xmlrpcUrl: string, taskId: number | string): string {
  return `${oshHubRoot(xmlrpcUrl)}/task/${taskId}/`;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function asStruct(v: XmlRpcValue | undefined): XmlRpcStruct | undefined {
  return v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v) ? (v as XmlRpcStruct) : undefined;
}

function parseTaskId(externalId: string): number | null {
  return /^\d{1,15}$/.test(externalId) ? Number(externalId) : null;
}

/** What a scan needs from the request: SRPM, base, mock config (Packit's `osh-cli` arguments). */
interface ScanPlan {
  srpmUrl: string | undefined;
  /** The hub labels the task with the SRPM file name. */
  label: string | undefined;
  mockConfig: string;
  baseNvr: string | undefined;
  baseSrpmUrl: string | undefined;
}

function planScan(req: SubmitRequest): ScanPlan {
  const artifacts = req.dependency?.artifacts ?? {};
  const osh = (req.options.osh_options && typeof req.options.osh_options === "object" ? req.options.osh_options : {}) as Record<string, unknown>;
  const srpmUrl = str(artifacts.srpmUrl) ?? str(artifacts.srpm_url) ?? str(req.options.srpm_url);
  let label: string | undefined;
  if (srpmUrl) {
    try {
      label = decodeURIComponent(new URL(srpmUrl).pathname.split("/").pop() ?? "") || undefined;
    } catch {
      label = undefined;
    }
  }
  return {
    srpmUrl,
    label,
    mockConfig: str(osh.config) ?? req.target,
    baseNvr: str(req.options.base_nvr),
    baseSrpmUrl: str(artifacts.baseSrpmUrl) ?? str(req.options.base_srpm_url),
  };
}

function isLoginRequired(err: unknown): boolean {
  return err instanceof XmlRpcFault && /Login required/i.test(err.faultString);
}

/** `name=value` pairs of the Set-Cookie headers, as one Cookie header. */
function cookieHeader(headers: Headers): string | undefined {
  const pairs = headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!.trim())
    .filter((p) => p.includes("="));
  return pairs.length > 0 ? pairs.join("; ") : undefined;
}

/**
 * An OpenScanHub client. `endpoint.url` is the hub's XML-RPC handler
 * (`https://openscanhub.fedoraproject.org/xmlrpc/client/`); `endpoint.token` is
 * `user:password` for `auth.login_password` (Kerberos is not supported here).
 */
export function createOpenScanHubClient(endpoint: BackendEndpoint): BackendClient {
  return new OpenScanHubClient(endpoint);
}

class OpenScanHubClient implements BackendClient {
  readonly name = "openscanhub" as const;
  private readonly user: string | undefined;
  private readonly password: string | undefined;
  private cookie: string | undefined;

  constructor(private readonly endpoint: BackendEndpoint) {
    const token = endpoint.token ?? "";
    const colon = token.indexOf(":");
    if (colon > 0) {
      this.user = token.slice(0, colon);
      this.password = token.slice(colon + 1);
    }
  }

  /**
   * Like `osh-cli version-diff-build --srpm … --base-… --config <chroot> --comment …`
   * (what Packit runs) when a base is known — `scan.create_user_diff_task` — and
   * like `osh-cli mock-build` (a full scan) otherwise — `scan.mock_build`.
   */
  async submit(req: SubmitRequest, opts: CallOptions = {}): Promise<SubmitResult> {
    const plan = planScan(req);
    if (!plan.srpmUrl) {
      throw new BackendError(BACKEND, "nothing to scan: the Copr build's artifacts carry no srpmUrl", { transient: false });
    }
    const { owner, repo, sha, pr } = req.source;
    const comment = `Submitted via packit-probot for ${owner}/${repo}@${sha.slice(0, 12)}${pr ? ` (PR #${pr})` : ""} [${OSH_TOKEN_MARK}${req.token}]`;
    const osh = (req.options.osh_options && typeof req.options.osh_options === "object" ? req.options.osh_options : {}) as Record<string, unknown>;
    const options: XmlRpcStruct = { comment, mock_config: plan.mockConfig, srpm_url: plan.srpmUrl };
    if (str(osh.analyzer)) options.analyzers = str(osh.analyzer)!;
    if (str(osh.profile)) options.profile = str(osh.profile)!;
    if (str(req.options.csmock_args)) options.csmock_args = str(req.options.csmock_args)!;

    let taskId: number;
    if (plan.baseNvr || plan.baseSrpmUrl) {
      options.base_mock_config = plan.mockConfig;
      if (plan.baseNvr) options.base_brew_build = plan.baseNvr;
      else options.base_srpm_url = plan.baseSrpmUrl!;
      taskId = await this.withSession(opts, (cookie) => this.createUserDiffTask(cookie, options, opts));
    } else {
      taskId = await this.withSession(opts, (cookie) => this.mockBuild(cookie, plan.mockConfig, comment, options, opts));
    }
    return { externalId: String(taskId), url: oshTaskUrl(this.endpoint.url, taskId) };
  }

  /**
   * kobo keeps the comment (which carries the token) but `Task.export()` does not
   * return it; it does return `label` (the SRPM file name), `owner`, `method` and
   * `args.mock_config`. So: `scan.find_tasks` by exact label, then the newest task
   * of ours with the same mock config — and, where the hub does export `comment`,
   * only one whose comment carries this token.
   */
  async findByToken(req: SubmitRequest, opts: CallOptions = {}): Promise<SubmitResult | null> {
    const plan = planScan(req);
    if (!plan.label || !this.user) return null;
    const ids = await this.findTasks({ regex: `^${plan.label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$` }, opts);
    const newest = [...ids].sort((a, b) => b - a).slice(0, FIND_MAX_CANDIDATES);
    const infos = await Promise.all(newest.map((id) => this.getTaskInfo(id, opts)));
    const hit = infos.find((t) => {
      if (!t || t.owner !== this.user || asStruct(t.args)?.mock_config !== plan.mockConfig) return false;
      return typeof t.comment !== "string" || t.comment.includes(`${OSH_TOKEN_MARK}${req.token}`);
    });
    return hit ? { externalId: String(hit.id), url: oshTaskUrl(this.endpoint.url, hit.id as number) } : null;
  }

  async status(externalId: string, opts: CallOptions = {}): Promise<RemoteStatus> {
    const id = parseTaskId(externalId);
    if (id === null) throw new BackendError(BACKEND, `not a task id: ${JSON.stringify(externalId)}`, { transient: false });
    const info = await this.getTaskInfo(id, opts);
    if (!info) throw new BackendError(BACKEND, `no such task: ${id}`, { transient: false, status: 404 });
    const state = info.state as number;
    const status: RemoteStatus = { state: mapState(state), rawState: str(info.state_label) ?? oshStateName(state), url: oshTaskUrl(this.endpoint.url, id) };
    const result = str(info.result);
    if (result && (status.state === "failure" || status.state === "error")) status.message = result.slice(0, 300);
    return status;
  }

  /**
   * Read, cancel, read again — the same shape as Koji, because kobo versions differ
   * on finished tasks (fault vs. nil):
   * - already finished before the call (incl. cancelled by someone else) → `already_finished`;
   * - "Specified task N does not exist." (a string, not a fault) → `error`;
   * - fault "Cannot cancel task N, state is X" → `already_finished` (ended in between);
   * - any other fault → `not_supported` (the job is marked cancelled, its result ignored);
   * - nil, then CANCELED → `cancelled`; nil, then finished → `already_finished`;
   *   nil, then a failed read → `cancel_requested`.
   */
  async cancel(externalId: string, opts: CallOptions = {}): Promise<CancelOutcome> {
    const id = parseTaskId(externalId);
    if (id === null) return { kind: "error", message: `not an OpenScanHub task id: ${JSON.stringify(externalId)}` };
    try {
      const before = await this.getTaskInfo(id, opts);
      if (!before) return { kind: "error", message: `Specified task ${id} does not exist.` };
      if (FINISHED.has(before.state as number)) return { kind: "already_finished", state: mapState(before.state as number) };
      let answer: XmlRpcValue;
      try {
        answer = await this.withSession(opts, (cookie) => this.cancelTask(cookie, id, opts));
      } catch (err) {
        if (!(err instanceof XmlRpcFault)) throw err;
        const finished = /Cannot cancel task \d+, state is (\w+)/.exec(err.faultString);
        if (finished) {
          const n = OSH_TASK_STATES[finished[1] as OshTaskStateName];
          return { kind: "already_finished", state: n === undefined ? undefined : mapState(n) };
        }
        return { kind: "not_supported", message: `OpenScanHub refused to cancel: ${err.faultString}; its result will be ignored` };
      }
      if (typeof answer === "string") return { kind: "error", message: answer };
      let after: XmlRpcStruct | null;
      try {
        after = await this.getTaskInfo(id, opts);
      } catch (err) {
        // The hub accepted the cancel; only its effect is unknown.
        if (err instanceof BackendError && err.transient) return { kind: "cancel_requested" };
        throw err;
      }
      if (!after) return { kind: "error", message: `OpenScanHub task ${id} disappeared while cancelling` };
      const state = after.state as number;
      if (state === OSH_TASK_STATES.CANCELED) return { kind: "cancelled" };
      if (FINISHED.has(state)) return { kind: "already_finished", state: mapState(state) };
      return { kind: "error", message: `cancel_task returned but task ${id} is still ${oshStateName(state)}` };
    } catch (err) {
      if (err instanceof BackendError && !err.transient) return { kind: "error", message: err.message };
      throw err;
    }
  }

  // ───────────── session ─────────────

  /** Run `fn` with the session cookie; log in first, and once more when the hub says "Login required". */
  private async withSession<T>(opts: CallOptions, fn: (cookie: string) => Promise<T>): Promise<T> {
    const cookie = this.cookie ?? (await this.login(opts));
    try {
      return await fn(cookie);
    } catch (err) {
      if (!isLoginRequired(err)) throw err;
      this.cookie = undefined;
      return fn(await this.login(opts));
    }
  }

  private async call(method: string, params: unknown[], opts: CallOptions, cookie?: string): Promise<{ value: XmlRpcValue; headers: Headers }> {
    return xmlRpcExchange(BACKEND, this.endpoint.url, method, params, {
      timeoutMs: this.endpoint.timeoutMs,
      signal: opts.signal,
      headers: cookie ? { cookie } : undefined,
    });
  }

  // ───────────── one function per remote method ─────────────

  /** `auth.login_password(user, password)` → session key; the cookie it sets is the session. */
  private async login(opts: CallOptions): Promise<string> {
    if (!this.user || this.password === undefined) {
      throw new BackendError(BACKEND, "no credentials configured (token must be user:password)", { transient: false });
    }
    let answer: { value: XmlRpcValue; headers: Headers };
    try {
      answer = await this.call("auth.login_password", [this.user, this.password], opts);
    } catch (err) {
      if (err instanceof XmlRpcFault) {
        throw new BackendError(BACKEND, `login as ${this.user} failed: ${err.faultString}`, { transient: false, cause: err });
      }
      throw err;
    }
    const cookie = cookieHeader(answer.headers) ?? (typeof answer.value === "string" && answer.value ? `sessionid=${answer.value}` : undefined);
    if (!cookie) throw new BackendError(BACKEND, "login answered without a session", { transient: false });
    this.cookie = cookie;
    return cookie;
  }

  /** `scan.create_user_diff_task(options, {})` → task id. */
  private async createUserDiffTask(cookie: string, options: XmlRpcStruct, opts: CallOptions): Promise<number> {
    return this.taskId((await this.call("scan.create_user_diff_task", [options, {}], opts, cookie)).value);
  }

  /** `scan.mock_build(mock_config, comment, options)` → task id. */
  private async mockBuild(cookie: string, mockConfig: string, comment: string, options: XmlRpcStruct, opts: CallOptions): Promise<number> {
    return this.taskId((await this.call("scan.mock_build", [mockConfig, comment, options], opts, cookie)).value);
  }

  /** `scan.get_task_info(id)` → `Task.export()`, or null for `{}` (unknown task). */
  private async getTaskInfo(id: number, opts: CallOptions): Promise<XmlRpcStruct | null> {
    const info = asStruct((await this.call("scan.get_task_info", [id], opts)).value);
    if (!info || Object.keys(info).length === 0) return null;
    if (typeof info.id !== "number" || typeof info.state !== "number") {
      throw new BackendError(BACKEND, "unexpected task info (no numeric id/state)", { transient: false });
    }
    return info;
  }

  /** `client.cancel_task(id)` → nil, or a string for an unknown task. */
  private async cancelTask(cookie: string, id: number, opts: CallOptions): Promise<XmlRpcValue> {
    return (await this.call("client.cancel_task", [id], opts, cookie)).value;
  }

  /** `scan.find_tasks(query)` → task ids. */
  private async findTasks(query: XmlRpcStruct, opts: CallOptions): Promise<number[]> {
    const ids = (await this.call("scan.find_tasks", [query], opts)).value;
    return Array.isArray(ids) ? ids.filter((i): i is number => typeof i === "number") : [];
  }

  private taskId(v: XmlRpcValue): number {
    if (typeof v !== "number") throw new BackendError(BACKEND, "the hub did not return a task id", { transient: false });
    return v;
  }
}
