/**
 * Koji hub client (XML-RPC): scratch builds from SCM, task status, cancel.
 *
 * Protocol notes (koji/__init__.py, kojihub/kojihub.py, kojihub/kojixmlrpc.py):
 * - Login, the session headers and `multiCall` are in `session.ts`. Read-only calls
 *   (`getTaskInfo`, `listTasks`) need no session and run in parallel.
 * - `cancelTask` always returns nil and is a no-op on finished tasks, so the outcome
 *   is read back with `getTaskInfo` (see `cancel`). Cancels that arrive together are
 *   sent as one `multiCall` (issue 22): a batch of N tasks costs two requests.
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
import { asStruct, decodeCall, type XmlRpcValue } from "../xmlrpc/codec.js";
import { malformedAnswer, parseTaskId } from "../xmlrpc/client.js";
import { KOJI_FAULTS, KojiSession, kwargs, type KojiAuth, type MultiCallResult } from "./session.js";

const BACKEND = "koji";

/** Koji task states (koji.TASK_STATES). */
const KOJI_TASK_STATES = { FREE: 0, OPEN: 1, CLOSED: 2, CANCELED: 3, ASSIGNED: 4, FAILED: 5 } as const;
type KojiTaskStateName = keyof typeof KOJI_TASK_STATES;

/** Where the job's token travels: `opts.custom_user_metadata[TOKEN_KEY]` of the build call. */
const KOJI_TOKEN_KEY = "packit_token";

/** How far back `findByToken` looks (crash recovery happens soon after a submit). */
const FIND_LOOKBACK_S = 2 * 24 * 3600;
const FIND_LIMIT = 200;

const STATE_NAMES = Object.fromEntries(Object.entries(KOJI_TASK_STATES).map(([k, v]) => [v, k])) as Record<number, KojiTaskStateName>;

/** The name of a Koji task state number, e.g. 2 → "CLOSED". */
function kojiStateName(state: number): string {
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
    throw malformedAnswer(BACKEND, "getTaskInfo", "a task info without a numeric id and state");
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

/** Cancels that arrive within this window go out together. */
const CANCEL_BATCH_WINDOW_MS = 5;
/** Tasks per cancel batch (two multiCall entries each). */
const CANCEL_BATCH_MAX = 50;

/** Where a hub lives and how to log in to it; the `backends.koji` settings. */
export interface KojiEndpoint extends BackendEndpoint {
  /** `gssapi`, `certificate` or `password`; inferred from the fields below when absent. */
  auth?: "gssapi" | "certificate" | "password";
  principal?: string;
  keytab?: string;
  krb5Config?: string;
  certificate?: string;
  key?: string;
  ca?: string;
}

/** The login a hub's settings ask for. `token` is `user:password` (password login). Pure. */
export function kojiAuthOf(e: KojiEndpoint): KojiAuth {
  const method = e.auth ?? (e.principal ? "gssapi" : e.certificate ? "certificate" : e.token ? "password" : undefined);
  if (method === "gssapi" && e.principal && e.keytab) return { method, principal: e.principal, keytab: e.keytab, krb5Config: e.krb5Config };
  if (method === "certificate" && e.certificate && e.key) return { method, certificate: e.certificate, key: e.key, ca: e.ca };
  const colon = e.token?.indexOf(":") ?? -1;
  if (method === "password" && colon > 0) return { method, user: e.token!.slice(0, colon), password: e.token!.slice(colon + 1) };
  return { method: "none" };
}

/**
 * A Koji client. `endpoint.url` is the hub's XML-RPC URL
 * (`https://koji.fedoraproject.org/kojihub`). Submissions are scratch builds of
 * `git+<cloneUrl>#<sha>` for `options.koji_target` (or the job's target).
 */
export function createKojiClient(endpoint: KojiEndpoint): BackendClient & { close(): Promise<void> } {
  return new KojiClient(endpoint);
}

interface PendingCancel {
  id: number;
  resolve(outcome: CancelOutcome): void;
  reject(err: unknown): void;
}

class KojiClient implements BackendClient {
  readonly name = "koji" as const;
  readonly batchesCancels = true;
  private readonly hub: KojiSession;
  private ownerId: number | undefined;
  private pending: PendingCancel[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  /** Tasks whose cancel may have run although its answer was lost: a retry reading CANCELED is ours. */
  private readonly maybeCancelled = new Set<number>();

  constructor(private readonly endpoint: KojiEndpoint) {
    this.hub = new KojiSession(endpoint.url, kojiAuthOf(endpoint), endpoint.timeoutMs);
  }

  async submit(req: SubmitRequest, opts: CallOptions = {}): Promise<SubmitResult> {
    const target = typeof req.options.koji_target === "string" && req.options.koji_target ? req.options.koji_target : req.target;
    const src = kojiScmUrl(req.source.cloneUrl, req.source.sha);
    // The token rides in custom_user_metadata: kept verbatim in the task request,
    // unlike anything in the SCM URL (its ?query is the module path, #fragment the revision).
    const buildOpts = { scratch: true, custom_user_metadata: { [KOJI_TOKEN_KEY]: req.token } };
    const taskId = await this.hub.call("build", [src, target, buildOpts], opts);
    if (typeof taskId !== "number") throw malformedAnswer(BACKEND, "build", "no task id");
    return { externalId: String(taskId), url: kojiTaskUrl(this.endpoint.url, taskId) };
  }

  async findByToken(req: SubmitRequest, opts: CallOptions = {}): Promise<SubmitResult | null> {
    if (kojiAuthOf(this.endpoint).method === "none") return null;
    this.ownerId ??= await this.loggedInUserId(opts);
    if (this.ownerId === undefined) return null;
    const createdAfter = Math.floor(Date.now() / 1000) - FIND_LOOKBACK_S;
    const list = await this.hub.anonymous(
      "listTasks",
      [
        kwargs({
          opts: { method: "build", owner: this.ownerId, decode: true, createdAfter },
          queryOpts: { order: "-id", limit: FIND_LIMIT },
        }),
      ],
      opts,
    );
    if (!Array.isArray(list)) throw malformedAnswer(BACKEND, "listTasks", "not a list");
    const hit = list.map(asTaskInfo).find((t) => t !== null && tokenOfRequest(t.request) === req.token);
    return hit ? { externalId: String(hit.id), url: kojiTaskUrl(this.endpoint.url, hit.id) } : null;
  }

  async status(externalId: string, opts: CallOptions = {}): Promise<RemoteStatus> {
    const id = parseTaskId(externalId);
    if (id === null) throw new BackendError(BACKEND, `not a task id: ${JSON.stringify(externalId)}`, { transient: false });
    // As koji's CLI asks: getTaskInfo(id, request=True).
    const info = asTaskInfo(await this.hub.anonymous("getTaskInfo", [id, kwargs({ request: true })], opts));
    if (!info) throw new BackendError(BACKEND, `no such task: ${id}`, { transient: false, status: 404 });
    return { state: mapState(info.state), rawState: kojiStateName(info.state), url: kojiTaskUrl(this.endpoint.url, id) };
  }

  /**
   * Read, cancel, read again — for every task of a batch at once. `cancelTask`
   * answers nil whatever happened, so:
   * - a task already finished before the call (CLOSED, FAILED, or CANCELED by
   *   someone else) is `already_finished` with its state, and is not touched;
   * - after `cancelTask`, CANCELED means we stopped it (`cancelled`); CLOSED or
   *   FAILED means it ended in between and the call was a no-op (`already_finished`).
   * Faults (ActionNotAllowed, GenericError "No such task") and other permanent
   * errors are returned as `error`; transient ones are thrown for a retry.
   *
   * Cancels arriving within a few ms share two requests: a `multiCall` of
   * `getTaskInfo` for all (no session), then one of `cancelTask` + `getTaskInfo`
   * per unfinished task on the session.
   */
  cancel(externalId: string, opts: CallOptions = {}): Promise<CancelOutcome> {
    const id = parseTaskId(externalId);
    if (id === null) return Promise.resolve({ kind: "error", message: `not a Koji task id: ${JSON.stringify(externalId)}` });
    if (opts.signal?.aborted) return Promise.reject(opts.signal.reason);
    return new Promise<CancelOutcome>((resolve, reject) => {
      const entry: PendingCancel = { id, resolve, reject };
      opts.signal?.addEventListener(
        "abort",
        () => {
          // Still waiting for its batch: leave it. Already sent: the batch finishes, this caller does not wait.
          this.pending = this.pending.filter((p) => p !== entry);
          reject(opts.signal!.reason);
        },
        { once: true },
      );
      this.pending.push(entry);
      if (this.pending.length >= CANCEL_BATCH_MAX) this.flushCancels();
      else this.flushTimer ??= setTimeout(() => this.flushCancels(), CANCEL_BATCH_WINDOW_MS);
    });
  }

  /** `logout()` and close the connections (service shutdown). */
  close(): Promise<void> {
    return this.hub.close();
  }

  private flushCancels(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.pending.splice(0, CANCEL_BATCH_MAX);
    if (this.pending.length > 0) this.flushTimer = setTimeout(() => this.flushCancels(), 0);
    if (batch.length > 0) void this.cancelBatch(batch);
  }

  private async cancelBatch(batch: PendingCancel[]): Promise<void> {
    const settle = (p: PendingCancel, outcome: CancelOutcome) => {
      this.maybeCancelled.delete(p.id);
      p.resolve(outcome);
    };
    const sent: PendingCancel[] = [];
    try {
      const before = await this.hub.multiCall(
        batch.map((p) => ({ methodName: "getTaskInfo", params: [p.id] })),
        { anonymous: true },
      );
      batch.forEach((p, i) => {
        const read = readOne(before[i]!);
        if ("error" in read) return settle(p, { kind: "error", message: read.error });
        if (!read.info) return settle(p, { kind: "error", message: `Koji task ${p.id} does not exist` });
        if (!isFinished(read.info.state)) return sent.push(p);
        // Our earlier cancel whose answer was lost, or someone else's: only we know which.
        if (read.info.state === KOJI_TASK_STATES.CANCELED && this.maybeCancelled.has(p.id)) return settle(p, { kind: "cancelled" });
        settle(p, { kind: "already_finished", state: mapState(read.info.state) });
      });
      if (sent.length === 0) return;
      for (const p of sent) this.maybeCancelled.add(p.id);
      const results = await this.hub.multiCall(
        sent.flatMap((p) => [
          { methodName: "cancelTask", params: [p.id, true] },
          { methodName: "getTaskInfo", params: [p.id] },
        ]),
      );
      sent.forEach((p, i) => settle(p, afterCancel(p.id, results[2 * i]!, results[2 * i + 1]!)));
    } catch (err) {
      // Entries settled before the failure keep their outcome (a settled promise ignores this).
      for (const p of batch) {
        if (err instanceof BackendError && !err.transient) settle(p, { kind: "error", message: err.message });
        else p.reject(err);
      }
    }
  }

  /** The id of the user the session belongs to (`getLoggedInUser`). */
  private async loggedInUserId(opts: CallOptions): Promise<number | undefined> {
    const id = asStruct(await this.hub.call("getLoggedInUser", [], opts))?.id;
    return typeof id === "number" ? id : undefined;
  }
}

/** A multiCall entry of `getTaskInfo`: the task, null when unknown, or the fault's text. */
function readOne(r: MultiCallResult): { info: TaskInfo | null } | { error: string } {
  if (!r.ok) return { error: r.fault.faultString };
  try {
    return { info: asTaskInfo(r.value) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** The outcome of one task from its `cancelTask` and following `getTaskInfo` entries. Pure. */
export function afterCancel(id: number, cancelled: MultiCallResult, read: MultiCallResult): CancelOutcome {
  if (!cancelled.ok) {
    const f = cancelled.fault;
    return { kind: "error", message: f.code === KOJI_FAULTS.ActionNotAllowed ? `not allowed: ${f.faultString}` : f.faultString };
  }
  const after = readOne(read);
  if ("error" in after) return { kind: "error", message: after.error };
  if (!after.info) return { kind: "error", message: `Koji task ${id} disappeared while cancelling` };
  if (after.info.state === KOJI_TASK_STATES.CANCELED) return { kind: "cancelled" };
  if (isFinished(after.info.state)) return { kind: "already_finished", state: mapState(after.info.state) };
  return { kind: "error", message: `cancelTask returned but task ${id} is still ${kojiStateName(after.info.state)}` };
}
