/**
 * The one interface every backend client meets. A client speaks its service's real
 * protocol (HTTP JSON or XML-RPC), turns transport faults into `BackendError`
 * (transient: 5xx, timeouts, connection errors; permanent: 4xx, auth, faults), and
 * returns *expected* answers — "already finished", "cannot cancel" — as values.
 */

export type BackendName = "copr" | "testing-farm" | "koji" | "image-builder" | "openscanhub";

/** A backend's state, mapped onto the app's vocabulary. */
export type RemoteState =
  | "queued" // accepted, not started
  | "running"
  | "success"
  | "failure" // the build/test itself failed
  | "error" // the service failed to run it (infrastructure error)
  | "cancel_requested"
  | "cancelled";

export const FINAL_REMOTE_STATES: ReadonlySet<RemoteState> = new Set(["success", "failure", "error", "cancelled"]);

export interface RemoteStatus {
  state: RemoteState;
  /** The backend's own state word, e.g. Copr "succeeded", Koji "CLOSED". */
  rawState: string;
  /** A page a human can open for this build/test/task. */
  url?: string;
  /** A short human explanation, e.g. TF result summary or error text. */
  message?: string;
  /**
   * Outputs other jobs need: for a Copr build, `{ repoUrl, chroots }` so that a
   * Testing Farm run can install the build.
   */
  artifacts?: Record<string, unknown>;
}

export type CancelOutcome =
  /** The backend stopped it (or accepted the request to stop it). */
  | { kind: "cancelled" | "cancel_requested" }
  /** It had already ended; nothing was stopped. */
  | { kind: "already_finished"; state?: RemoteState }
  /** The service has no way to stop it (VM Image Builder; OSH refusing). */
  | { kind: "not_supported"; message: string }
  /** The backend answered with an error (permission, unknown id, 5xx after retries). */
  | { kind: "error"; message: string };

export interface CallOptions {
  /** Aborts the outbound call (task abort or shutdown). */
  signal?: AbortSignal;
}

/**
 * What the caller knows when it looks for a submission it may have made before a
 * crash, so that a backend without a field for the job token can still tell the
 * job's submission from a look-alike (another job's build of the same commit).
 */
interface FindOptions extends CallOptions {
  /** When the job's submission was last attempted (epoch ms): anything submitted well before is not it. */
  submittedAfter?: number;
  /** True for ids another job already recorded as its own. */
  isRecorded?: (externalId: string) => boolean | Promise<boolean>;
}

export interface SubmitResult {
  externalId: string;
  url?: string;
}

/**
 * What a job asks a backend to do. `token` is a unique id of the app's job (a UUID)
 * that the client stores with the submission wherever the protocol allows, so that
 * after a crash between "submitted" and "id stored" `findByToken` finds it and the
 * job is never submitted twice.
 */
export interface SubmitRequest {
  token: string;
  /** Backend target, e.g. "fedora-rawhide-x86_64". */
  target: string;
  /** Repository, commit and PR the job is for. */
  source: {
    owner: string;
    repo: string;
    cloneUrl: string;
    sha: string;
    ref?: string;
    pr?: number;
  };
  /** Job options from .packit.yaml (e.g. Copr owner/project, TF fmf url, image request). */
  options: Record<string, unknown>;
  /** Outputs of the job this one waited for (e.g. the Copr build's artifacts). */
  dependency?: { externalId: string; artifacts?: Record<string, unknown> };
}

export interface BackendClient {
  readonly name: BackendName;
  submit(req: SubmitRequest, opts?: CallOptions): Promise<SubmitResult>;
  /** The submission carrying `token`, if the backend has one; null when none exists. */
  findByToken(req: SubmitRequest, opts?: FindOptions): Promise<SubmitResult | null>;
  status(externalId: string, opts?: CallOptions): Promise<RemoteStatus>;
  cancel(externalId: string, opts?: CallOptions): Promise<CancelOutcome>;
  /**
   * The client batches concurrent cancels into few requests itself (Koji's multiCall):
   * callers pass them all at once instead of bounding them per task.
   */
  readonly batchesCancels?: boolean;
  /** End the client's session with its service (Koji and OpenScanHub log out) and close its connections; at shutdown. */
  close?(): Promise<void>;
}

/** Where a backend lives and how to authenticate; from service settings. */
export interface BackendEndpoint {
  url: string;
  /** Koji/OSH: "user:password" for their logins. */
  token?: string;
  /** Per-call timeout, ms. */
  timeoutMs?: number;
  /** Where the service should notify us of state changes (Testing Farm's webhook), with its shared token. */
  notify?: { url: string; token?: string };
}
