/**
 * OpenScanHub client (kobo hub XML-RPC): the differential scan Packit runs after
 * a Copr build, its status, and cancel.
 *
 * Protocol notes (kobo/django/xmlrpc, kobo/hub/xmlrpc/client.py, osh/hub/osh_xmlrpc):
 * - `auth.login_password(user, password)` starts a Django session; the hub answers
 *   with a `sessionid` cookie that later calls send back (kobo's CookieTransport).
 *   Calls that need it fail with fault 1 "PermissionDenied: Login required.".
 * - Every server exception is fault 1 "<ExceptionType>: <message>".
 * - The hub scans only SRPMs it holds (kobo `HubProxy.upload_file`, as osh-cli does):
 *   `upload.register_upload(name, sha256_hex, size, target_dir)` → `[upload_id,
 *   upload_key]` (`target_dir`: a random 32-character name), then a multipart POST of
 *   `upload_id`, `upload_key` and `file` to `<hub>/xmlrpc/upload/` (kobo `file_upload`):
 *   200 "Upload finished.", 403 "Not allowed to upload the file.", 500 "Checksum
 *   mismatch." or "File already exists.". So `submit` first downloads the Copr
 *   SRPM(s) to a temp file, hashing on the way, then uploads them.
 * - `scan.create_user_diff_task(options, {})` takes `upload_id` and `base_upload_id`
 *   (or `base_brew_build`, an NVR); `scan.mock_build(mock_config, comment, options)`
 *   takes `options.upload_id`. Each consumes its upload; the task is labelled with
 *   the SRPM file name.
 * - `scan.get_task_info(id)` returns kobo's `Task.export()` — or `{}` for an unknown task.
 * - `client.cancel_task(id)` returns nil when it cancelled; for an unknown task it
 *   returns the string "Specified task N does not exist."; for a finished task kobo
 *   raises "Cannot cancel task N, state is CLOSED" (newer kobo returns nil instead),
 *   so the outcome is read back (see `cancel`).
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, open, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
import { DEFAULT_TIMEOUT_MS, describeFetchError, errorText, redactUrl } from "../http.js";
import { asStruct, XmlRpcFault, type XmlRpcStruct, type XmlRpcValue } from "../xmlrpc/codec.js";
import { parseTaskId, xmlRpcExchange } from "../xmlrpc/client.js";

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
/** A submission stages its SRPMs in a fresh directory with this prefix under `tempDir`. */
const STAGING_PREFIX = "osh-srpm-";
/** Staging untouched this long belongs to a process that died: a live transfer stalls out far sooner. */
export const STALE_STAGING_MS = 3_600_000;
/** SRPMs reach hundreds of MB; anything above this is refused rather than staged. */
const DEFAULT_MAX_SRPM_BYTES = 1024 ** 3;
/** What an RPM file name may hold; it travels in a multipart header and becomes a file name on the hub. */
const SRPM_NAME = /^[\w.+~^-]+\.src\.rpm$/;
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

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

/** kobo's upload view: `<hub>/xmlrpc/upload/` (HubProxy posts to `<HUB_URL>/upload/`). */
export function oshUploadUrl(xmlrpcUrl: string): string {
  return `${oshHubRoot(xmlrpcUrl)}/xmlrpc/upload/`;
}

/** The page of one task: `<hub>/task/<id>/`. */
export function oshTaskUrl(xmlrpcUrl: string, taskId: number | string): string {
  return `${oshHubRoot(xmlrpcUrl)}/task/${taskId}/`;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The file name at the end of a URL, decoded. */
function fileName(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).pathname.split("/").pop() ?? "") || undefined;
  } catch {
    return undefined;
  }
}

/** What a scan needs from the request: SRPM, base, mock config (Packit's `osh-cli` arguments). */
interface ScanPlan {
  srpmUrl: string | undefined;
  /** The SRPM file name: the upload's name, and the label the hub gives the task. */
  label: string | undefined;
  mockConfig: string;
  baseNvr: string | undefined;
  baseSrpmUrl: string | undefined;
}

function planScan(req: SubmitRequest): ScanPlan {
  const artifacts = req.dependency?.artifacts ?? {};
  const osh = (req.options.osh_options && typeof req.options.osh_options === "object" ? req.options.osh_options : {}) as Record<string, unknown>;
  const srpmUrl = str(artifacts.srpmUrl) ?? str(artifacts.srpm_url) ?? str(req.options.srpm_url);
  return {
    srpmUrl,
    label: srpmUrl ? fileName(srpmUrl) : undefined,
    mockConfig: str(osh.config) ?? req.target,
    baseNvr: str(req.options.base_nvr),
    baseSrpmUrl: str(artifacts.baseSrpmUrl) ?? str(req.options.base_srpm_url),
  };
}

/** An SRPM downloaded to `path`, ready to upload as `name`. */
interface StagedSrpm {
  name: string;
  path: string;
  size: number;
  sha256: string;
}

/** The upload endpoint answered "Checksum mismatch.": the whole submission is tried once more (see `submit`). */
class ChecksumMismatch extends BackendError {}

function randomName(length: number): string {
  return Array.from(randomBytes(length), (b) => ALNUM[b % ALNUM.length]).join("");
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
 * Remove the staging directories a killed process left behind under `tempDir` (a
 * live submission removes its own): those in which nothing changed for
 * `olderThanMs`. SRPMs are large, so leftovers would fill the disk over restarts.
 * Returns how many were removed.
 */
export async function removeStaleStaging(tempDir: string = tmpdir(), olderThanMs = STALE_STAGING_MS, now = Date.now()): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(tempDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith(STAGING_PREFIX)) continue;
    const dir = join(tempDir, entry.name);
    try {
      const files = await readdir(dir);
      const times = await Promise.all([dir, ...files.map((f) => join(dir, f))].map(async (p) => (await stat(p)).mtimeMs));
      if (now - Math.max(...times) < olderThanMs) continue;
      await rm(dir, { recursive: true, force: true });
      removed++;
    } catch {
      // Removed meanwhile by its own submission: nothing to do.
    }
  }
  return removed;
}

export interface OpenScanHubClientOptions {
  /** Largest SRPM downloaded and uploaded, bytes. Default 1 GiB. */
  maxSrpmBytes?: number;
  /** Where SRPMs wait between download and upload (one fresh directory per submission). Default `os.tmpdir()`. */
  tempDir?: string;
}

/**
 * An OpenScanHub client. `endpoint.url` is the hub's XML-RPC handler
 * (`https://openscanhub.fedoraproject.org/xmlrpc/client/`); `endpoint.token` is
 * `user:password` for `auth.login_password` (Kerberos is not supported here).
 */
export function createOpenScanHubClient(endpoint: BackendEndpoint, options: OpenScanHubClientOptions = {}): BackendClient {
  return new OpenScanHubClient(endpoint, options);
}

class OpenScanHubClient implements BackendClient {
  readonly name = "openscanhub" as const;
  private readonly user: string | undefined;
  private readonly password: string | undefined;
  private cookie: string | undefined;

  private readonly maxSrpmBytes: number;
  private readonly tempDir: string;

  constructor(
    private readonly endpoint: BackendEndpoint,
    options: OpenScanHubClientOptions,
  ) {
    this.maxSrpmBytes = options.maxSrpmBytes ?? DEFAULT_MAX_SRPM_BYTES;
    this.tempDir = options.tempDir ?? tmpdir();
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
   * like `osh-cli mock-build` (a full scan) otherwise — `scan.mock_build`. The SRPMs
   * are downloaded from Copr and uploaded to the hub first.
   */
  async submit(req: SubmitRequest, opts: CallOptions = {}): Promise<SubmitResult> {
    const plan = planScan(req);
    if (!plan.srpmUrl) {
      throw new BackendError(BACKEND, "nothing to scan: the Copr build's artifacts carry no srpmUrl", { transient: false });
    }
    const target = this.srpmSource(plan.srpmUrl);
    const base = plan.baseNvr || !plan.baseSrpmUrl ? undefined : this.srpmSource(plan.baseSrpmUrl);
    const { owner, repo, sha, pr } = req.source;
    const comment = `Submitted via packit-probot for ${owner}/${repo}@${sha.slice(0, 12)}${pr ? ` (PR #${pr})` : ""} [${OSH_TOKEN_MARK}${req.token}]`;
    const osh = (req.options.osh_options && typeof req.options.osh_options === "object" ? req.options.osh_options : {}) as Record<string, unknown>;
    const options: XmlRpcStruct = { comment, mock_config: plan.mockConfig };
    if (str(osh.analyzer)) options.analyzers = str(osh.analyzer)!;
    if (str(osh.profile)) options.profile = str(osh.profile)!;
    if (str(req.options.csmock_args)) options.csmock_args = str(req.options.csmock_args)!;
    const diff = Boolean(plan.baseNvr || base);
    if (diff) options.base_mock_config = plan.mockConfig;
    if (plan.baseNvr) options.base_brew_build = plan.baseNvr;

    // A checksum mismatch means the bytes changed on the way: a fresh download and
    // upload usually settles it; twice in a row is not worth the queue's retries.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.uploadAndCreate(target, base, diff, options, opts);
      } catch (err) {
        if (!(err instanceof ChecksumMismatch) || attempt >= 2) throw err;
      }
    }
  }

  /** The URL and upload name of an SRPM; refused when the URL does not name an SRPM. */
  private srpmSource(url: string): { url: string; name: string } {
    const name = fileName(url);
    if (!name || !SRPM_NAME.test(name)) {
      throw new BackendError(BACKEND, `not an SRPM: ${redactUrl(url)}`, { transient: false });
    }
    return { url, name };
  }

  /** Download, upload, create the task; the staged files are removed whatever happens. */
  private async uploadAndCreate(
    target: { url: string; name: string },
    base: { url: string; name: string } | undefined,
    diff: boolean,
    taskOptions: XmlRpcStruct,
    opts: CallOptions,
  ): Promise<SubmitResult> {
    let dir: string;
    try {
      dir = await mkdtemp(join(this.tempDir, STAGING_PREFIX));
    } catch (err) {
      throw new BackendError(BACKEND, `cannot stage SRPMs in ${this.tempDir}: ${describeFetchError(err)}`, { transient: true, cause: err });
    }
    try {
      // Both downloads first: a vanished base fails before anything reaches the hub.
      const srpm = await this.download(target, join(dir, "target.src.rpm"), "the Copr build's SRPM", opts);
      const baseSrpm = base && (await this.download(base, join(dir, "base.src.rpm"), "the base Copr build's SRPM", opts));
      const options: XmlRpcStruct = { ...taskOptions, upload_id: await this.upload(srpm, opts) };
      let taskId: number;
      if (diff) {
        if (baseSrpm) options.base_upload_id = await this.upload(baseSrpm, opts);
        taskId = await this.withSession(opts, (cookie) => this.createUserDiffTask(cookie, options, opts));
      } else {
        taskId = await this.withSession(opts, (cookie) => this.mockBuild(cookie, options.mock_config as string, options.comment as string, options, opts));
      }
      return { externalId: String(taskId), url: oshTaskUrl(this.endpoint.url, taskId) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
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

  /**
   * Run one transfer with `endpoint.timeoutMs` as an idle limit: SRPMs are too big
   * for one deadline, so the clock restarts whenever `progress()` is called. An abort
   * from `opts.signal` is rethrown as is; other failures are transient.
   */
  private async transfer<T>(opts: CallOptions, where: string, fn: (signal: AbortSignal, progress: () => void) => Promise<T>): Promise<T> {
    const ms = this.endpoint.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const idle = new AbortController();
    const timer = setTimeout(() => idle.abort(), ms);
    try {
      return await fn(opts.signal ? AbortSignal.any([opts.signal, idle.signal]) : idle.signal, () => timer.refresh());
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      if (err instanceof BackendError) throw err;
      const what = idle.signal.aborted ? `timed out (nothing moved for ${ms} ms)` : describeFetchError(err);
      throw new BackendError(BACKEND, `${where}: ${what}`, { transient: true, cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** GET the SRPM into `path`, hashing and counting on the way; never more than `maxSrpmBytes`. */
  private async download(src: { url: string; name: string }, path: string, what: string, opts: CallOptions): Promise<StagedSrpm> {
    const shown = redactUrl(src.url);
    const tooBig = () =>
      new BackendError(BACKEND, `${what} is larger than the ${this.maxSrpmBytes}-byte limit: ${shown}`, { transient: false });
    return this.transfer(opts, `GET ${shown}`, async (signal, progress) => {
      const res = await fetch(src.url, { signal });
      progress();
      if (res.status !== 200 || !res.body) {
        await res.body?.cancel();
        if (res.status === 404 || res.status === 403 || res.status === 410) {
          throw new BackendError(BACKEND, `${what} is gone: ${shown} answered ${res.status}`, { transient: false, status: res.status });
        }
        const transient = res.status >= 500 || res.status === 408 || res.status === 429;
        throw new BackendError(BACKEND, `GET ${shown}: HTTP ${res.status}`, { transient, status: res.status });
      }
      if (Number(res.headers.get("content-length")) > this.maxSrpmBytes) {
        await res.body.cancel();
        throw tooBig();
      }
      const hash = createHash("sha256");
      let size = 0;
      const out = await open(path, "wx");
      try {
        for await (const chunk of res.body) {
          size += chunk.byteLength;
          if (size > this.maxSrpmBytes) throw tooBig();
          hash.update(chunk);
          await out.write(chunk);
          progress();
        }
      } finally {
        await out.close();
      }
      return { name: src.name, path, size, sha256: hash.digest("hex") };
    });
  }

  /** Register and upload one SRPM (kobo `HubProxy.upload_file`) → upload id. */
  private async upload(srpm: StagedSrpm, opts: CallOptions): Promise<number> {
    return this.withSession(opts, async (cookie) => {
      const [id, key] = await this.registerUpload(cookie, srpm, opts);
      await this.postFile(cookie, id, key, srpm, opts);
      return id;
    });
  }

  /**
   * The multipart POST of kobo's upload view, streamed from disk. The session cookie
   * goes along although the view only checks the upload key.
   */
  private async postFile(cookie: string, id: number, key: string, srpm: StagedSrpm, opts: CallOptions): Promise<void> {
    const url = oshUploadUrl(this.endpoint.url);
    const where = `upload of ${srpm.name} to ${redactUrl(url)}`;
    const boundary = `packit-probot-${randomName(24)}`;
    const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const head = Buffer.from(
      `${field("upload_id", String(id))}${field("upload_key", key)}--${boundary}\r\n` +
        `Content-Disposition: form-data; name="file"; filename="${srpm.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    await this.transfer(opts, where, async (signal, progress) => {
      async function* body(): AsyncGenerator<Uint8Array> {
        yield head;
        for await (const chunk of createReadStream(srpm.path, { highWaterMark: 1024 ** 2 })) {
          progress();
          yield chunk as Buffer;
        }
        yield tail;
      }
      const res = await fetch(url, {
        method: "POST",
        signal,
        // A redirect is a misconfigured hub URL: fail on it rather than resend the body and cookie.
        redirect: "manual",
        duplex: "half",
        body: body(),
        headers: {
          "content-type": `multipart/form-data; boundary=${boundary}`,
          // Django reads exactly Content-Length bytes; it ignores a chunked body.
          "content-length": String(head.length + srpm.size + tail.length),
          cookie,
        },
      });
      const text = errorText((await res.text()).trim());
      if (res.status === 200) return;
      const message = `${where}: HTTP ${res.status} ${text}`.trim();
      if (/Checksum mismatch/i.test(text)) throw new ChecksumMismatch(BACKEND, message, { transient: false, status: res.status });
      throw new BackendError(BACKEND, message, { transient: res.status >= 500, status: res.status });
    });
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

  /** `upload.register_upload(name, sha256, size, target_dir)` → `[id, key]`; `target_dir` is random, as osh-cli makes it. */
  private async registerUpload(cookie: string, srpm: StagedSrpm, opts: CallOptions): Promise<[number, string]> {
    const answer = (await this.call("upload.register_upload", [srpm.name, srpm.sha256, srpm.size, randomName(32)], opts, cookie)).value;
    if (!Array.isArray(answer) || typeof answer[0] !== "number" || typeof answer[1] !== "string") {
      throw new BackendError(BACKEND, "register_upload answered without an upload id and key", { transient: false });
    }
    return [answer[0], answer[1]];
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
