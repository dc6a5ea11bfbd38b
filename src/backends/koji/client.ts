/**
 * Koji hub client (XML-RPC): scratch builds from SCM, task status, cancel.
 *
 * Protocol notes (koji/__init__.py, kojihub/auth.py, kojihub/kojihub.py):
 * - `login(user, password)` returns `{"session-id", "session-key"}`; every later
 *   call carries them and an increasing `callnum` as URL query parameters. The
 *   hub refuses a callnum lower than (SequenceError) or equal to (RetryError) the
 *   last one, so session calls from one client run one at a time.
 * - Read-only calls (`getTaskInfo`, `getUser`, `listTasks`) need no session and
 *   run in parallel.
 * - `cancelTask` always returns nil and is a no-op on finished tasks, so the
 *   outcome is read back with `getTaskInfo` (see `cancel`).
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
import { asStruct, decodeCall, XmlRpcFault, type XmlRpcStruct, type XmlRpcValue } from "../xmlrpc/codec.js";
import { parseTaskId, xmlRpcCall } from "../xmlrpc/client.js";

const BACKEND = "koji";

/** Koji task states (koji.TASK_STATES). */
export const KOJI_TASK_STATES = { FREE: 0, OPEN: 1, CLOSED: 2, CANCELED: 3, ASSIGNED: 4, FAILED: 5 } as const;
export type KojiTaskStateName = keyof typeof KOJI_TASK_STATES;

/** Koji fault codes used here (koji.GenericError and subclasses). */
export const KOJI_FAULTS = {
  GenericError: 1000,
  AuthError: 1002,
  ActionNotAllowed: 1004,
  AuthExpired: 1007,
  SequenceError: 1008,
  RetryError: 1009,
} as const;

/** Where the job's token travels: `opts.custom_user_metadata[TOKEN_KEY]` of the build call. */
export const KOJI_TOKEN_KEY = "packit_token";

/** How far back `findByToken` looks (crash recovery happens soon after a submit). */
const FIND_LOOKBACK_S = 2 * 24 * 3600;
const FIND_LIMIT = 200;

const STATE_NAMES = Object.fromEntries(Object.entries(KOJI_TASK_STATES).map(([k, v]) => [v, k])) as Record<number, KojiTaskStateName>;

/** The name of a Koji task state number, e.g. 2 → "CLOSED". */
export function kojiStateName(state: number): string {
  return STATE_NAMES[state] ?? `UNKNOWN(${state})`;
}

/** Koji task state → app state. Pure; an unknown number is an `error`. */
export function mapState(state: number): RemoteState {
  switch (state) {
    case KOJI_TASK_STATES.FREE:
    case KOJI_TASK_STATES.ASSIGNED:
      return "queued";
    case KOJI_TASK_STATES.OPEN:
      return "running";
    case KOJI_TASK_STATES.CLOSED:
      return "success";
    case KOJI_TASK_STATES.FAILED:
      return "failure";
    case KOJI_TASK_STATES.CANCELED:
      return "cancelled";
    default:
      return "error";
  }
}

function isFinished(state: number): boolean {
  return state === KOJI_TASK_STATES.CLOSED || state === KOJI_TASK_STATES.FAILED || state === KOJI_TASK_STATES.CANCELED;
}

/** The web UI that belongs to a hub: `https://h/kojihub` → `https://h/koji`. */
export function kojiWebUrl(hubUrl: string): string {
  const u = new URL(hubUrl);
  const path = u.pathname.replace(/\/+$/, "");
  return `${u.origin}${path.endsWith("/kojihub") ? path.slice(0, -"hub".length) : "/koji"}`;
}

/** The page of one task. */
export function kojiTaskUrl(hubUrl: string, taskId: number | string): string {
  return `${kojiWebUrl(hubUrl)}/taskinfo?taskID=${taskId}`;
}

/** Koji's SCM URL for a commit: `git+https://host/repo.git#<sha>` (the fragment is the revision). */
export function kojiScmUrl(cloneUrl: string, sha: string): string {
  const base = cloneUrl.startsWith("git+") || cloneUrl.startsWith("git://") ? cloneUrl : `git+${cloneUrl}`;
  return `${base}#${sha}`;
}

interface Session {
  id: number;
  key: string;
  callnum: number;
}

/** The fields of a task this client reads. */
interface TaskInfo {
  id: number;
  state: number;
  request?: XmlRpcValue;
}

function asTaskInfo(v: XmlRpcValue): TaskInfo | null {
  const s = asStruct(v);
  if (!s) return null;
  if (typeof s.id !== "number" || typeof s.state !== "number") {
    throw new BackendError(BACKEND, "unexpected task info (no numeric id/state)", { transient: false });
  }
  return { id: s.id, state: s.state, request: s.request };
}

/** The token stored in a build task's request `[src, target, opts]`; raw XML when not decoded. */
function tokenOfRequest(request: XmlRpcValue | undefined): string | undefined {
  let params = request;
  if (typeof params === "string") {
    try {
      params = decodeCall(params).params;
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(params)) return undefined;
  const meta = asStruct(asStruct(params[2])?.custom_user_metadata);
  const token = meta?.[KOJI_TOKEN_KEY];
  return typeof token === "string" ? token : undefined;
}

/** Session faults after which one fresh login is worth a retry. */
function isSessionFault(err: unknown): boolean {
  return (
    err instanceof XmlRpcFault &&
    (err.code === KOJI_FAULTS.AuthError || err.code === KOJI_FAULTS.AuthExpired || err.code === KOJI_FAULTS.SequenceError)
  );
}

/** Koji sessions one client keeps at most: as many as cancel calls may run per backend (cancel.concurrency). */
const MAX_SESSIONS = 16;

/**
 * A Koji client. `endpoint.url` is the hub's XML-RPC URL
 * (`https://koji.fedoraproject.org/kojihub`); `endpoint.token` is `user:password`
 * for `login`. Submissions are scratch builds of `git+<cloneUrl>#<sha>` for
 * `options.koji_target` (or the job's target).
 */
export function createKojiClient(endpoint: BackendEndpoint): BackendClient {
  return new KojiClient(endpoint);
}

class KojiClient implements BackendClient {
  readonly name = "koji" as const;
  private readonly user: string | undefined;
  private readonly password: string | undefined;
  private ownerId: number | undefined;
  /**
   * Calls on one session must run in callnum order, so parallel calls (a cancel
   * of ten tasks) each take a session of a small pool: idle ones are reused,
   * new ones logged in up to MAX_SESSIONS, and callers beyond that wait in turn.
   */
  private readonly idle: Session[] = [];
  private open = 0;
  private readonly waiters: ((s: Session | undefined) => void)[] = [];

  constructor(private readonly endpoint: BackendEndpoint) {
    const token = endpoint.token ?? "";
    const colon = token.indexOf(":");
    if (colon > 0) {
      this.user = token.slice(0, colon);
      this.password = token.slice(colon + 1);
    }
  }

  async submit(req: SubmitRequest, opts: CallOptions = {}): Promise<SubmitResult> {
    const target = typeof req.options.koji_target === "string" && req.options.koji_target ? req.options.koji_target : req.target;
    const src = kojiScmUrl(req.source.cloneUrl, req.source.sha);
    // The token rides in custom_user_metadata: kept verbatim in the task request,
    // unlike anything in the SCM URL (its ?query is the module path, #fragment the revision).
    const buildOpts = { scratch: true, custom_user_metadata: { [KOJI_TOKEN_KEY]: req.token } };
    const taskId = await this.withSession(opts, (s) => this.build(s, src, target, buildOpts, opts));
    return { externalId: String(taskId), url: kojiTaskUrl(this.endpoint.url, taskId) };
  }

  async findByToken(req: SubmitRequest, opts: CallOptions = {}): Promise<SubmitResult | null> {
    if (!this.user) return null;
    this.ownerId ??= await this.getUserId(this.user, opts);
    if (this.ownerId === undefined) return null;
    const createdAfter = Math.floor(Date.now() / 1000) - FIND_LOOKBACK_S;
    const tasks = await this.listTasks(
      { method: "build", owner: this.ownerId, decode: true, createdAfter },
      { order: "-id", limit: FIND_LIMIT },
      opts,
    );
    const hit = tasks.find((t) => tokenOfRequest(t.request) === req.token);
    return hit ? { externalId: String(hit.id), url: kojiTaskUrl(this.endpoint.url, hit.id) } : null;
  }

  async status(externalId: string, opts: CallOptions = {}): Promise<RemoteStatus> {
    const id = parseTaskId(externalId);
    if (id === null) throw new BackendError(BACKEND, `not a task id: ${JSON.stringify(externalId)}`, { transient: false });
    const info = await this.getTaskInfo(id, true, opts);
    if (!info) throw new BackendError(BACKEND, `no such task: ${id}`, { transient: false, status: 404 });
    return { state: mapState(info.state), rawState: kojiStateName(info.state), url: kojiTaskUrl(this.endpoint.url, id) };
  }

  /**
   * Read, cancel, read again. `cancelTask` answers nil whatever happened, so:
   * - a task already finished before the call (CLOSED, FAILED, or CANCELED by
   *   someone else) is `already_finished` with its state, and is not touched;
   * - after `cancelTask`, CANCELED means we stopped it (`cancelled`); CLOSED or
   *   FAILED means it ended in between and the call was a no-op (`already_finished`).
   * - if that last read fails transiently, the hub did accept the cancel but its
   *   effect is unknown: `cancel_requested` (a retry would misread our own cancel
   *   as "already finished").
   * Faults (ActionNotAllowed, GenericError "No such task") and other permanent
   * errors are returned as `error`; transient ones are thrown for a retry.
   */
  async cancel(externalId: string, opts: CallOptions = {}): Promise<CancelOutcome> {
    const id = parseTaskId(externalId);
    if (id === null) return { kind: "error", message: `not a Koji task id: ${JSON.stringify(externalId)}` };
    try {
      const before = await this.getTaskInfo(id, false, opts);
      if (!before) return { kind: "error", message: `Koji task ${id} does not exist` };
      if (isFinished(before.state)) return { kind: "already_finished", state: mapState(before.state) };
      await this.withSession(opts, (s) => this.cancelTask(s, id, opts));
      const after = await this.readBack(id, opts);
      if (after === "unknown") return { kind: "cancel_requested" };
      if (!after) return { kind: "error", message: `Koji task ${id} disappeared while cancelling` };
      if (after.state === KOJI_TASK_STATES.CANCELED) return { kind: "cancelled" };
      if (isFinished(after.state)) return { kind: "already_finished", state: mapState(after.state) };
      return { kind: "error", message: `cancelTask returned but task ${id} is still ${kojiStateName(after.state)}` };
    } catch (err) {
      if (err instanceof XmlRpcFault) {
        const text = err.code === KOJI_FAULTS.ActionNotAllowed ? `not allowed: ${err.faultString}` : err.faultString;
        return { kind: "error", message: text };
      }
      if (err instanceof BackendError && !err.transient) return { kind: "error", message: err.message };
      throw err;
    }
  }

  /** The task after a cancel, or "unknown" when the read failed transiently. */
  private async readBack(id: number, opts: CallOptions): Promise<TaskInfo | null | "unknown"> {
    try {
      return await this.getTaskInfo(id, false, opts);
    } catch (err) {
      if (err instanceof BackendError && err.transient) return "unknown";
      throw err;
    }
  }

  // ───────────── session ─────────────

  /**
   * Run `fn` with a logged-in session of the pool. When the hub says the session is
   * gone (AuthError, AuthExpired, SequenceError), drop it and retry once on another.
   */
  private async withSession<T>(opts: CallOptions, fn: (s: Session) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const session = await this.acquire(opts);
      try {
        const result = await fn(session);
        this.release(session);
        return result;
      } catch (err) {
        const stale = isSessionFault(err);
        this.release(stale ? undefined : session);
        if (!stale || attempt >= 2) throw err;
      }
    }
  }

  private async acquire(opts: CallOptions): Promise<Session> {
    opts.signal?.throwIfAborted(); // aborted while waiting for its turn
    const ready = this.idle.pop();
    if (ready) return ready;
    if (this.open < MAX_SESSIONS) {
      this.open++;
      try {
        return await this.login(opts);
      } catch (err) {
        this.release(undefined);
        throw err;
      }
    }
    // All sessions busy: wait for one (or for a free slot, signalled by undefined).
    return (await new Promise<Session | undefined>((resolve) => this.waiters.push(resolve))) ?? this.acquire(opts);
  }

  /** Give a session back; `undefined` means it was dropped and its slot is free. */
  private release(session: Session | undefined): void {
    if (!session) this.open--;
    const next = this.waiters.shift();
    if (next) next(session);
    else if (session) this.idle.push(session);
  }

  private call(method: string, params: unknown[], opts: CallOptions, session?: Session): Promise<XmlRpcValue> {
    let url = this.endpoint.url;
    if (session) {
      const u = new URL(url);
      u.searchParams.set("session-id", String(session.id));
      u.searchParams.set("session-key", session.key);
      u.searchParams.set("callnum", String(session.callnum++));
      url = u.toString();
    }
    return xmlRpcCall(BACKEND, url, method, params, { timeoutMs: this.endpoint.timeoutMs, signal: opts.signal });
  }

  // ───────────── one function per remote method ─────────────

  /** `login(user, password)` → a new session; a refusal is a permanent error naming the user only. */
  private async login(opts: CallOptions): Promise<Session> {
    if (!this.user || this.password === undefined) {
      throw new BackendError(BACKEND, "no credentials configured (token must be user:password)", { transient: false });
    }
    let sinfo: XmlRpcValue;
    try {
      sinfo = await this.call("login", [this.user, this.password], opts);
    } catch (err) {
      if (err instanceof XmlRpcFault) {
        throw new BackendError(BACKEND, `login as ${this.user} failed: ${err.faultString}`, { transient: false, cause: err });
      }
      throw err;
    }
    const s = asStruct(sinfo);
    const id = s?.["session-id"];
    const key = s?.["session-key"];
    if (typeof id !== "number" || typeof key !== "string") {
      throw new BackendError(BACKEND, "login answered without session-id/session-key", { transient: false });
    }
    return { id, key, callnum: 0 };
  }

  /** `build(src, target, opts)` → task id. */
  private async build(s: Session, src: string, target: string, buildOpts: XmlRpcStruct, opts: CallOptions): Promise<number> {
    const id = await this.call("build", [src, target, buildOpts], opts, s);
    if (typeof id !== "number") throw new BackendError(BACKEND, "build did not return a task id", { transient: false });
    return id;
  }

  /** `getTaskInfo(id, request)` → info, or null for an unknown task (strict=False). */
  private async getTaskInfo(id: number, request: boolean, opts: CallOptions): Promise<TaskInfo | null> {
    return asTaskInfo(await this.call("getTaskInfo", [id, request], opts));
  }

  /** `cancelTask(id, recurse=True)` → always nil. */
  private async cancelTask(s: Session, id: number, opts: CallOptions): Promise<void> {
    await this.call("cancelTask", [id, true], opts, s);
  }

  /** `getUser(name)` → the user's numeric id, or undefined when there is none. */
  private async getUserId(name: string, opts: CallOptions): Promise<number | undefined> {
    const id = asStruct(await this.call("getUser", [name], opts))?.id;
    return typeof id === "number" ? id : undefined;
  }

  /** `listTasks(opts, queryOpts)` → tasks. */
  private async listTasks(filter: XmlRpcStruct, queryOpts: XmlRpcStruct, opts: CallOptions): Promise<TaskInfo[]> {
    const list = await this.call("listTasks", [filter, queryOpts], opts);
    if (!Array.isArray(list)) throw new BackendError(BACKEND, "listTasks did not return a list", { transient: false });
    return list.map(asTaskInfo).filter((t): t is TaskInfo => t !== null);
  }
}
