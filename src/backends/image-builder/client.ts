/**
 * VM Image Builder (console.redhat.com `image-builder/v1`) client: start a compose,
 * read its status, find it again after a crash, with access tokens from Red Hat SSO
 * (`sso.ts`). The service cannot stop a compose — `DELETE /composes/{id}` only hides
 * it while the build goes on — so `cancel` never calls the service.
 */
import { z } from "zod";
import { BackendError } from "../../errors.js";
import { createJsonApi } from "../http.js";
import type { BackendClient, CancelOutcome, RemoteState, RemoteStatus, SubmitRequest, SubmitResult } from "../types.js";
import { distributionForChroot } from "./distributions.js";
import { createAccessTokens, type SsoCredentials } from "./sso.js";

const NAME = "image-builder";

/** The API's limit on `image_name`. */
const IMAGE_NAME_MAX = 100;
/** `GET /composes` page size (the API's maximum) and how many pages `findByToken` reads. */
const PAGE_SIZE = 100;
const FIND_MAX_PAGES = 10;

export const CANCEL_NOT_SUPPORTED = "VM Image Builder cannot stop a compose; its result will be ignored";

const ARCHES = new Set(["x86_64", "aarch64"]);

export interface ImageBuilderEndpoint extends SsoCredentials {
  /** The API root, e.g. https://console.redhat.com/api/image-builder/v1. */
  url: string;
  /** Per-call timeout, ms (the token endpoint's too). */
  timeoutMs?: number;
}

/** `GET /composes/{id}` (ComposeStatus), the fields this client reads. */
const ComposeStatus = z.object({
  image_status: z.object({
    status: z.string(),
    upload_status: z.object({ status: z.string(), type: z.string(), options: z.record(z.string(), z.unknown()) }).nullish(),
    error: z.object({ reason: z.string() }).nullish(),
  }),
});
const ComposeCreated = z.object({ id: z.string() });
/** `GET /composes` (ComposesResponse): the user's composes, newest first. */
const ComposeList = z.object({
  meta: z.object({ count: z.number() }),
  data: z.array(
    z.object({ id: z.string(), image_name: z.string().nullish(), request: z.object({ image_name: z.string().nullish() }).nullish() }),
  ),
});

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
 * The image name that carries the job token: `<owner>-<repo>-<pr or ref>-<token>`,
 * the first part shortened so that the whole fits the API's 100 characters.
 */
export function imageName(req: SubmitRequest): string {
  const base = `${req.source.owner}-${req.source.repo}-${req.source.pr ?? req.source.ref ?? req.source.sha.slice(0, 12)}`;
  const room = Math.max(0, IMAGE_NAME_MAX - req.token.length - 1);
  return room > 0 ? `${base.slice(0, room)}-${req.token}` : req.token.slice(0, IMAGE_NAME_MAX);
}

/**
 * The JSON body of `POST /compose`, as Packit's `vm_image_build` makes it: the job's
 * `image_request` as the one image request, `image_customizations` as the
 * customizations, and the Copr build this compose waited for as a payload
 * repository (`rhsm: false`, no GPG check: Copr's key is not a URL Image Builder
 * takes). `distribution` is `image_distribution`, else the one the Copr chroot
 * stands for (`distributions.ts`); a chroot without one is a clear error before any
 * call. Every payload repository carries `rhsm`, which the API requires.
 */
export function composeBody(req: SubmitRequest): Record<string, unknown> {
  const o = req.options;
  if (!isRecord(o.image_request)) {
    throw new BackendError(NAME, "job options have no image_request (architecture, image_type, upload_request)", { transient: false });
  }
  const chroot = str(o.copr_chroot) ?? req.target;
  const distribution = str(o.image_distribution) ?? distributionForChroot(chroot);
  if (!distribution) {
    throw new BackendError(
      NAME,
      `Image Builder has no distribution for the Copr chroot ${chroot}: set image_distribution in the vm_image_build job (e.g. fedora-42, centos-10, rhel-10)`,
      { transient: false },
    );
  }
  const arch = chroot.split("-").at(-1) ?? "";
  const imageRequest = { ...o.image_request, architecture: o.image_request.architecture ?? (ARCHES.has(arch) ? arch : "x86_64") };
  const customizations: Record<string, unknown> = { ...(isRecord(o.image_customizations) ? o.image_customizations : {}) };
  const repos: unknown[] = Array.isArray(customizations.payload_repositories)
    ? [...(customizations.payload_repositories as unknown[])]
    : [];
  const repoUrl = req.dependency?.artifacts?.repoUrl;
  if (typeof repoUrl === "string") repos.push({ baseurl: `${repoUrl.replace(/\/+$/, "")}/${chroot}/`, check_gpg: false });
  if (repos.length > 0) customizations.payload_repositories = repos.map((r) => (isRecord(r) ? { rhsm: false, ...r } : r));
  return { image_name: imageName(req), distribution, image_requests: [imageRequest], customizations };
}

/** An Image Builder client for `endpoint.url` (the API root), with access tokens from Red Hat SSO. */
export function createImageBuilderClient(endpoint: ImageBuilderEndpoint, clock: { now?: () => number } = {}): BackendClient {
  const base = endpoint.url.replace(/\/+$/, "");
  const tokens = createAccessTokens(NAME, endpoint, { now: clock.now, timeoutMs: endpoint.timeoutMs });
  const api = createJsonApi({
    backend: NAME,
    baseUrl: base,
    timeoutMs: endpoint.timeoutMs,
    auth: async () => ({ authorization: `Bearer ${await tokens.current()}` }),
    // A token refused before its time (revoked, clocks apart): one fresh token, one more attempt.
    renewAuth: (refused) => {
      const token = refused?.authorization?.replace(/^Bearer /, "");
      if (token) tokens.refused(token);
      return Promise.resolve(true);
    },
    unauthorized: (said) =>
      `Image Builder refused a fresh Red Hat SSO access token (${said || "401"}): check that the account may use Image Builder`,
  });
  // The console page that lists a user's images; the API has no page per compose.
  const humanUrl = `${new URL(base).origin}/insights/image-builder`;

  return {
    name: NAME,

    async submit(req, opts): Promise<SubmitResult> {
      const body = composeBody(req);
      const ans = await api.call("POST", "/compose", { body, signal: opts?.signal });
      return { externalId: api.expect(ans, ComposeCreated, "start compose").id, url: humanUrl };
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
        const ans = await api.call("GET", "/composes", { query: { limit: PAGE_SIZE, offset }, signal: opts?.signal });
        const { data, meta } = api.expect(ans, ComposeList, "list composes");
        const hit = data.find((c) => {
          const name = c.image_name ?? c.request?.image_name;
          return name != null && (name.endsWith(suffix) || name === req.token);
        });
        if (hit) return { externalId: hit.id, url: humanUrl };
        if (data.length === 0 || offset + data.length >= meta.count) break;
      }
      return null;
    },

    async status(externalId, opts): Promise<RemoteStatus> {
      const ans = await api.call("GET", `/composes/${encodeURIComponent(externalId)}`, { signal: opts?.signal });
      if (ans.status === 404) {
        throw new BackendError(NAME, `unknown compose ${externalId} (or it was deleted): ${api.text(ans.body)}`.trim(), {
          transient: false,
          status: 404,
        });
      }
      const { image_status: s } = api.expect(ans, ComposeStatus, `get compose ${externalId}`);
      const state = mapState(s.status);
      const status: RemoteStatus = { state, rawState: s.status, url: humanUrl };
      if (s.error?.reason) status.message = s.error.reason;
      if (state === "success" && s.upload_status) status.artifacts = { upload: s.upload_status };
      return status;
    },

    cancel(): Promise<CancelOutcome> {
      // DELETE would only hide the compose (later GETs → 404) while it keeps building,
      // and a hidden compose can be neither polled nor found again: never call it.
      return Promise.resolve({ kind: "not_supported", message: CANCEL_NOT_SUPPORTED });
    },
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}
