/**
 * OpenScanHub client (kobo hub XML-RPC): the differential scan Packit runs after
 * a Copr build, its status, and cancel.
 *
 * Protocol notes (kobo/django/xmlrpc, kobo/hub/xmlrpc/client.py, osh/hub/osh_xmlrpc):
 * - Login, the session cookie and its renewal are in `session.ts`; calls that need
 *   a session fail with fault 1 "PermissionDenied: Login required." without one.
 * - Every server exception is fault 1 "<ExceptionType>: <message>".
 * - The hub scans only SRPMs it holds, so `submit` first downloads the Copr SRPM(s)
 *   and uploads them as osh-cli does (`upload.ts`).
 * - `scan.create_user_diff_task(options, {})` takes `upload_id` and `base_upload_id`
 *   (or `base_brew_build`, an NVR); `scan.mock_build(mock_config, comment, options)`
 *   takes `options.upload_id`. Each consumes its upload; the task is labelled with
 *   the SRPM file name.
 * - `scan.get_task_info(id)` returns kobo's `Task.export()` — or `{}` for an unknown task.
 * - `client.cancel_task(id)` returns nil when it cancelled; for an unknown task it
 *   returns the string "Specified task N does not exist."; for a finished task kobo
 *   raises "Cannot cancel task N, state is CLOSED" (newer kobo returns nil instead),
 *   so the outcome is read back (see `cancel`).
 * - kobo's task states and what a scan takes from the request: `task.ts`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BackendError } from "../../errors.js";
import type { BackendClient, BackendEndpoint, CallOptions, CancelOutcome, RemoteStatus, SubmitRequest, SubmitResult } from "../types.js";
import { describeFetchError, redactUrl } from "../http.js";
import { asStruct, XmlRpcFault, type XmlRpcStruct, type XmlRpcValue } from "../xmlrpc/codec.js";
import { malformedAnswer, parseTaskId } from "../xmlrpc/client.js";
import { OshSession, type OshAuth } from "./session.js";
import {
  ChecksumMismatch,
  DEFAULT_MAX_SRPM_BYTES,
  fileName,
  randomName,
  SRPM_NAME,
  SrpmTransfers,
  STAGING_PREFIX,
  type StagedSrpm,
} from "./upload.js";
import { OSH_TASK_STATES, OSH_TOKEN_MARK, type OshTaskStateName, mapState, oshStateName, oshTaskUrl } from "./task.js";
import { FINISHED, planScan, str } from "./task.js";

const BACKEND = "openscanhub";
const FIND_MAX_CANDIDATES = 10;

export interface OpenScanHubClientOptions {
  /** Largest SRPM downloaded and uploaded, bytes. Default 1 GiB. */
  maxSrpmBytes?: number;
  /** Where SRPMs wait between download and upload (one fresh directory per submission). Default `os.tmpdir()`. */
  tempDir?: string;
  /** Clock of the session renewal, for tests. */
  now?: () => number;
}

/** Where a hub lives and how to log in to it; the `backends.openscanhub` settings. */
export interface OpenScanHubEndpoint extends BackendEndpoint {
  /** `gssapi` or `password`; inferred when absent (a principal means Kerberos, a `user:password` token password login). */
  auth?: "gssapi" | "password";
  principal?: string;
  keytab?: string;
  krb5Config?: string;
}

/** The login a hub's settings ask for. Pure. */
export function oshAuthOf(e: OpenScanHubEndpoint): OshAuth {
  const method = e.auth ?? (e.principal ? "gssapi" : e.token ? "password" : undefined);
  if (method === "gssapi" && e.principal && e.keytab) return { method, principal: e.principal, keytab: e.keytab, krb5Config: e.krb5Config };
  const colon = e.token?.indexOf(":") ?? -1;
  if (method === "password" && colon > 0) return { method, user: e.token!.slice(0, colon), password: e.token!.slice(colon + 1) };
  return { method: "none" };
}

/**
 * An OpenScanHub client. `endpoint.url` is the hub's XML-RPC handler
 * (`https://openscanhub.fedoraproject.org/xmlrpc/client/`).
 */
export function createOpenScanHubClient(
  endpoint: OpenScanHubEndpoint,
  options: OpenScanHubClientOptions = {},
): BackendClient & { close(): Promise<void> } {
  return new OpenScanHubClient(endpoint, options);
}

class OpenScanHubClient implements BackendClient {
  readonly name = "openscanhub" as const;
  private readonly hub: OshSession;
  private readonly transfers: SrpmTransfers;
  private readonly tempDir: string;

  constructor(
    private readonly endpoint: OpenScanHubEndpoint,
    options: OpenScanHubClientOptions,
  ) {
    this.hub = new OshSession(endpoint.url, oshAuthOf(endpoint), endpoint.timeoutMs, options.now);
    this.transfers = new SrpmTransfers(endpoint.url, endpoint.timeoutMs, options.maxSrpmBytes ?? DEFAULT_MAX_SRPM_BYTES);
    this.tempDir = options.tempDir ?? tmpdir();
  }

  /** `auth.logout()` and close the connections (service shutdown). */
  close(): Promise<void> {
    return this.hub.close();
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
    const osh = (req.options.osh_options && typeof req.options.osh_options === "object" ? req.options.osh_options : {}) as Record<
      string,
      unknown
    >;
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
      const srpm = await this.transfers.download(target, join(dir, "target.src.rpm"), "the Copr build's SRPM", opts);
      const baseSrpm = base && (await this.transfers.download(base, join(dir, "base.src.rpm"), "the base Copr build's SRPM", opts));
      const options: XmlRpcStruct = { ...taskOptions, upload_id: await this.upload(srpm, opts) };
      let taskId: number;
      if (diff) {
        if (baseSrpm) options.base_upload_id = await this.upload(baseSrpm, opts);
        taskId = await this.hub.withCookie(opts, (cookie) => this.createUserDiffTask(cookie, options, opts));
      } else {
        taskId = await this.hub.withCookie(opts, (cookie) =>
          this.mockBuild(cookie, options.mock_config as string, options.comment as string, options, opts),
        );
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
    const user = this.hub.userName;
    if (!plan.label || !user) return null;
    const ids = await this.findTasks({ regex: `^${plan.label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$` }, opts);
    const newest = [...ids].sort((a, b) => b - a).slice(0, FIND_MAX_CANDIDATES);
    const infos = await Promise.all(newest.map((id) => this.getTaskInfo(id, opts)));
    const hit = infos.find((t) => {
      if (!t || t.owner !== user || asStruct(t.args)?.mock_config !== plan.mockConfig) return false;
      return typeof t.comment !== "string" || t.comment.includes(`${OSH_TOKEN_MARK}${req.token}`);
    });
    const id = hit?.id;
    return typeof id === "number" ? { externalId: String(id), url: oshTaskUrl(this.endpoint.url, id) } : null;
  }

  async status(externalId: string, opts: CallOptions = {}): Promise<RemoteStatus> {
    const id = parseTaskId(externalId);
    if (id === null) throw new BackendError(BACKEND, `not a task id: ${JSON.stringify(externalId)}`, { transient: false });
    const info = await this.getTaskInfo(id, opts);
    if (!info) throw new BackendError(BACKEND, `no such task: ${id}`, { transient: false, status: 404 });
    const state = info.state as number;
    const status: RemoteStatus = {
      state: mapState(state),
      rawState: str(info.state_label) ?? oshStateName(state),
      url: oshTaskUrl(this.endpoint.url, id),
    };
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
        answer = await this.hub.withCookie(opts, (cookie) => this.cancelTask(cookie, id, opts));
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

  /** Register and upload one SRPM (kobo `HubProxy.upload_file`) → upload id. */
  private async upload(srpm: StagedSrpm, opts: CallOptions): Promise<number> {
    return this.hub.withCookie(opts, async (cookie) => {
      const [id, key] = await this.registerUpload(cookie, srpm, opts);
      await this.transfers.postFile(cookie, id, key, srpm, opts);
      return id;
    });
  }

  /** `upload.register_upload(name, sha256, size, target_dir)` → `[id, key]`; `target_dir` is random, as osh-cli makes it. */
  private async registerUpload(cookie: string, srpm: StagedSrpm, opts: CallOptions): Promise<[number, string]> {
    const answer = await this.hub.callWith(cookie, "upload.register_upload", [srpm.name, srpm.sha256, srpm.size, randomName(32)], opts);
    if (!Array.isArray(answer) || typeof answer[0] !== "number" || typeof answer[1] !== "string") {
      throw new BackendError(BACKEND, "register_upload answered without an upload id and key", { transient: false });
    }
    return [answer[0], answer[1]];
  }

  /** `scan.create_user_diff_task(options, {})` → task id. */
  private async createUserDiffTask(cookie: string, options: XmlRpcStruct, opts: CallOptions): Promise<number> {
    return this.taskId(await this.hub.callWith(cookie, "scan.create_user_diff_task", [options, {}], opts));
  }

  /** `scan.mock_build(mock_config, comment, options)` → task id. */
  private async mockBuild(cookie: string, mockConfig: string, comment: string, options: XmlRpcStruct, opts: CallOptions): Promise<number> {
    return this.taskId(await this.hub.callWith(cookie, "scan.mock_build", [mockConfig, comment, options], opts));
  }

  /** `scan.get_task_info(id)` → `Task.export()`, or null for `{}` (unknown task). */
  private async getTaskInfo(id: number, opts: CallOptions): Promise<XmlRpcStruct | null> {
    const info = asStruct(await this.hub.anonymous("scan.get_task_info", [id], opts));
    if (!info || Object.keys(info).length === 0) return null;
    if (typeof info.id !== "number" || typeof info.state !== "number") {
      throw malformedAnswer(BACKEND, "scan.get_task_info", "a task info without a numeric id and state");
    }
    return info;
  }

  /** `client.cancel_task(id)` → nil, or a string for an unknown task. */
  private async cancelTask(cookie: string, id: number, opts: CallOptions): Promise<XmlRpcValue> {
    return await this.hub.callWith(cookie, "client.cancel_task", [id], opts);
  }

  /** `scan.find_tasks(query)` → task ids. */
  private async findTasks(query: XmlRpcStruct, opts: CallOptions): Promise<number[]> {
    const ids = await this.hub.anonymous("scan.find_tasks", [query], opts);
    return Array.isArray(ids) ? ids.filter((i): i is number => typeof i === "number") : [];
  }

  private taskId(v: XmlRpcValue): number {
    if (typeof v !== "number") throw malformedAnswer(BACKEND, "submit", "no task id");
    return v;
  }
}
