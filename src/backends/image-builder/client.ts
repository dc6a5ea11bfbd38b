/**
 * VM Image Builder (console.redhat.com `image-builder/v1`) client: start a compose,
 * read its status, find it again after a crash. The service cannot stop a compose —
 * `DELETE /composes/{id}` only hides it while the build goes on — so `cancel` never
 * calls the service.
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

const NAME = "image-builder";

/** The API's limit on `image_name`. */
const IMAGE_NAME_MAX = 100;
/** `GET /composes` page size (the API's maximum) and how many pages `findByToken` reads. */
const PAGE_SIZE = 100;
const FIND_MAX_PAGES = 10;

export const CANCEL_NOT_SUPPORTED = "VM Image Builder cannot stop a compose; its result will be ignored";

const ARCHES = new Set(["x86_64", "aarch64"]);

/** The fields of `GET /composes/{id}` this client reads. */
export interface ComposeStatus {
  image_status: {
    status: string;
    upload_status?: { status?: string; type?: string; options?: Record<string, unknown> } | null;
    error?: { id?: number; reason?: string; details?: unknown } | null;
  };
  request?: Record<string, unknown>;
}

/**
 * Image status → app state: `pending` has not started; `building`, `uploading` and
 * `registering` are the compose at work; `success`/`failure` are final. Unknown words
 * stay non-final so that polling goes on.
 */
export function mapState(raw: string): RemoteState {
  switch (raw) {
    case "pending":
      return "queued";
    case "building":
    case "uploading":
    case "registering":
      return "running";
    case "success":
      return "success";
    case "failure":
      return "failure";
    default:
      return "running";
  }
}

/**
 * The image name that carries the job token: `<base>-<token>`, the base being
 * `options.image_name` or `<owner>-<repo>-<pr or ref>`, shortened so that the whole
 * fits the API's 100 characters.
 */
export function imageName(req: SubmitRequest): string {
  const given = typeof req.options.image_name === "string" ? req.options.image_name : undefined;
  const base = given ?? `${req.source.owner}-${req.source.repo}-${req.source.pr ?? req.source.ref ?? req.source.sha.slice(0, 12)}`;
  const room = Math.max(0, IMAGE_NAME_MAX - req.token.length - 1);
  return room > 0 ? `${base.slice(0, room)}-${req.token}` : req.token.slice(0, IMAGE_NAME_MAX);
}

/**
 * The JSON body of `POST /compose` from the job options (Packit's `image_request`,
 * `image_distribution`, `image_customizations`; the API's own names are accepted too).
 * A build this compose waited for is added as a payload repository so that the image
 * can install its RPMs.
 */
export function composeBody(req: SubmitRequest): Record<string, unknown> {
  const o = req.options;
  const parts = req.target.split("-");
  const targetArch = ARCHES.has(parts[parts.length - 1] ?? "") ? parts.pop() : undefined;
  const requested = (isRecord(o.image_request) ? o.image_request : Array.isArray(o.image_requests) && isRecord(o.image_requests[0]) ? o.image_requests[0] : undefined);
  if (!requested) {
    throw new BackendError(NAME, "job options have no image_request (architecture, image_type, upload_request)", { transient: false });
  }
  const imageRequest = { ...requested, architecture: requested.architecture ?? targetArch ?? "x86_64" };
  const distribution = str(o.image_distribution) ?? str(o.distribution) ?? parts.join("-");
  const customizations: Record<string, unknown> = {
    ...(isRecord(o.image_customizations) ? o.image_customizations : isRecord(o.customizations) ? o.customizations : {}),
  };
  const repoUrl = req.dependency?.artifacts?.repoUrl;
  if (typeof repoUrl === "string") {
    const chroot = str(o.copr_chroot) ?? req.target;
    const repo = { baseurl: `${repoUrl.replace(/\/+$/, "")}/${chroot}/`, check_gpg: false };
    const existing = Array.isArray(customizations.payload_repositories) ? customizations.payload_repositories : [];
    customizations.payload_repositories = [...existing, repo];
  }
  return { image_name: imageName(req), distribution, image_requests: [imageRequest], customizations };
}

/** An Image Builder client for `endpoint.url` (the API root, e.g. https://console.redhat.com/api/image-builder/v1). */
export function createImageBuilderClient(endpoint: BackendEndpoint): BackendClient {
  const base = endpoint.url.replace(/\/+$/, "");
  const authHeader = endpoint.token ? { authorization: `Bearer ${endpoint.token}` } : undefined;
  // The console page that lists a user's images; the API has no page per compose.
  const humanUrl = `${new URL(base).origin}/insights/image-builder`;

  function call(method: string, path: string, opts: CallOptions | undefined, body?: unknown): Promise<HttpAnswer> {
    return httpCall(NAME, `${base}${path}`, {
      method,
      body,
      headers: authHeader,
      timeoutMs: endpoint.timeoutMs,
      signal: opts?.signal,
    });
  }

  async function createCompose(req: SubmitRequest, opts?: CallOptions): Promise<string> {
    const ans = await call("POST", "/compose", opts, composeBody(req));
    const body = expectOk(ans, "start compose");
    if (typeof body.id !== "string") throw new BackendError(NAME, "start compose: answer has no id", { transient: false, status: ans.status });
    return body.id;
  }

  async function getCompose(id: string, opts?: CallOptions): Promise<ComposeStatus> {
    const ans = await call("GET", `/composes/${encodeURIComponent(id)}`, opts);
    if (ans.status === 404) {
      throw new BackendError(NAME, `unknown compose ${id} (or it was deleted): ${errorText(ans.body)}`.trim(), { transient: false, status: 404 });
    }
    const body = expectOk(ans, `get compose ${id}`);
    if (!isRecord(body.image_status) || typeof body.image_status.status !== "string") {
      throw new BackendError(NAME, `get compose ${id}: answer has no image_status`, { transient: false, status: ans.status });
    }
    return body as unknown as ComposeStatus;
  }

  async function listComposes(offset: number, opts?: CallOptions): Promise<{ items: Array<Record<string, unknown>>; count: number }> {
    const ans = await call("GET", `/composes?limit=${PAGE_SIZE}&offset=${offset}`, opts);
    const body = expectOk(ans, "list composes");
    const items = Array.isArray(body.data) ? body.data.filter(isRecord) : [];
    const count = isRecord(body.meta) && typeof body.meta.count === "number" ? body.meta.count : offset + items.length;
    return { items, count };
  }

  return {
    name: NAME,

    async submit(req, opts): Promise<SubmitResult> {
      return { externalId: await createCompose(req, opts), url: humanUrl };
    },

    /**
     * The token is the tail of the compose's `image_name` (see `imageName`);
     * `GET /composes?limit=&offset=` lists the user's composes newest first with
     * their `image_name`, and we page through them. (Source: osbuild
     * image-builder-crc `internal/v1/api.yaml`, `ComposesResponseItem`.)
     */
    async findByToken(req, opts): Promise<SubmitResult | null> {
      const suffix = `-${req.token}`;
      for (let page = 0, offset = 0; page < FIND_MAX_PAGES; page++, offset += PAGE_SIZE) {
        const { items, count } = await listComposes(offset, opts);
        const hit = items.find((c) => {
          const name = str(c.image_name) ?? (isRecord(c.request) ? str(c.request.image_name) : undefined);
          return name !== undefined && (name.endsWith(suffix) || name === req.token);
        });
        if (hit && typeof hit.id === "string") return { externalId: hit.id, url: humanUrl };
        if (items.length === 0 || offset + items.length >= count) break;
      }
      return null;
    },

    async status(externalId, opts): Promise<RemoteStatus> {
      const { image_status: s } = await getCompose(externalId, opts);
      const state = mapState(s.status);
      const status: RemoteStatus = { state, rawState: s.status, url: humanUrl };
      if (s.error?.reason) status.message = s.error.reason;
      if (state === "success" && s.upload_status) status.artifacts = { upload: s.upload_status };
      return status;
    },

    async cancel(): Promise<CancelOutcome> {
      // DELETE would only hide the compose (later GETs → 404) while it keeps building,
      // and a hidden compose can be neither polled nor found again: never call it.
      return { kind: "not_supported", message: CANCEL_NOT_SUPPORTED };
    },
  };
}

function expectOk(ans: HttpAnswer, what: string): Record<string, unknown> {
  if (ans.status >= 200 && ans.status < 300 && isRecord(ans.body)) return ans.body;
  const why = ans.status === 401 ? "authentication failed" : `HTTP ${ans.status}`;
  throw new BackendError(NAME, `${what}: ${why} ${errorText(ans.body)}`.trim(), { transient: false, status: ans.status });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}
