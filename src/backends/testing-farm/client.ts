/**
 * Testing Farm API v0.1 client: request a tmt (fmf) test run, read its state and
 * result, cancel it, and find it again after a crash. The API key travels only in
 * the `Authorization: Bearer` header (never in the body, where the API used to take
 * `api_key`).
 */
import { z } from "zod";
import { createJsonApi, errorText } from "../http.js";
import type { BackendClient, BackendEndpoint, CancelOutcome, RemoteState, RemoteStatus, SubmitRequest, SubmitResult } from "../types.js";

const NAME = "testing-farm";

/** The environment variable that carries the job token into the request (and back out on GET). */
export const TOKEN_VARIABLE = "PACKIT_JOB_TOKEN";

/** How far back `findByToken` lists requests when the attempt's time is unknown; recovery happens minutes after a crash. */
const FIND_LOOKBACK_MS = 3 * 24 * 3600 * 1000;
/** Testing Farm's clock and ours may differ a little. */
const CLOCK_SLACK_MS = 5 * 60_000;

const ARCHES = new Set(["x86_64", "aarch64", "ppc64le", "s390x", "i386", "i686", "armhfp", "noarch"]);

export interface TestingFarmEndpoint {
  /** The API, e.g. https://api.testing-farm.io. */
  url: string;
  /** The API key Testing Farm issued (onboarding): it authenticates every request. */
  apiKey?: string;
  /** Per-call timeout, ms. */
  timeoutMs?: number;
  /** Where Testing Farm should notify us of state changes, with its shared token. */
  notify?: BackendEndpoint["notify"];
}

/** A Testing Farm request (`GET /v0.1/requests/{id}`), the fields this client reads. */
const TfRequest = z.object({
  id: z.string(),
  state: z.string(),
  result: z.object({ overall: z.string().nullish(), summary: z.string().nullish() }).nullish(),
  run: z.object({ artifacts: z.string().nullish() }).nullish(),
  environments_requested: z.array(z.object({ variables: z.record(z.string(), z.unknown()).nullish() }).nullish()).nullish(),
});
const Created = z.object({ id: z.string() });

/**
 * Testing Farm request state (+ `result.overall`, read only in `complete`) → app
 * state. `complete` + `skipped` (every test skipped, none failed) counts as success;
 * `complete` with a missing or `unknown`/`error` result is an error of the run. An
 * `error` request is the service's failure, whatever `overall` says. Unknown state
 * words stay non-final so that polling goes on.
 */
export function mapState(state: string, overall?: string | null): RemoteState {
  switch (state) {
    case "new":
    case "queued":
      return "queued";
    case "running":
      return "running";
    case "cancel-requested":
      return "cancel_requested";
    case "canceled":
      return "cancelled";
    case "error":
      return "error";
    case "complete":
      if (overall === "passed" || overall === "skipped") return "success";
      if (overall === "failed") return "failure";
      return "error";
    default:
      return "running";
  }
}

/**
 * A Copr-style target (`fedora-39-x86_64`, `fedora-rawhide-aarch64`,
 * `centos-stream-9-x86_64`, `epel-9-x86_64`) → Testing Farm compose and arch, as
 * Packit maps them on the public ranch. `options.compose` / `options.arch` override.
 */
export function targetEnvironment(
  target: string,
  options: Record<string, unknown> = {},
): { distro: string; arch: string; compose: string } {
  const parts = target.split("-");
  const last = parts[parts.length - 1] ?? "";
  const arch = typeof options.arch === "string" ? options.arch : ARCHES.has(last) ? last : "x86_64";
  const distro = ARCHES.has(last) ? parts.slice(0, -1).join("-") : target;
  let compose: string;
  if (typeof options.compose === "string") compose = options.compose;
  else if (/^fedora-rawhide$/.test(distro)) compose = "Fedora-Rawhide";
  else if (/^fedora-\d+$/.test(distro)) compose = `Fedora-${distro.slice(7)}`;
  else if (/^(centos-stream|epel)-\d+$/.test(distro)) compose = `CentOS-Stream-${distro.replace(/^\D+/, "")}`;
  else compose = distro;
  return { distro, arch, compose };
}

/** The JSON body of `POST /v0.1/requests` for a job. */
export function requestBody(req: SubmitRequest, notify?: TestingFarmEndpoint["notify"]): Record<string, unknown> {
  const o = req.options;
  const env = targetEnvironment(req.target, o);
  const str = (k: string) => (typeof o[k] === "string" ? o[k] : undefined);
  const userVars = typeof o.env === "object" && o.env !== null ? (o.env as Record<string, unknown>) : {};
  const fmf: Record<string, unknown> = { url: str("fmf_url") ?? req.source.cloneUrl, ref: str("fmf_ref") ?? req.source.sha };
  if (str("fmf_path")) fmf.path = str("fmf_path");
  if (str("tmt_plan")) fmf.name = str("tmt_plan");

  const environment: Record<string, unknown> = {
    arch: env.arch,
    os: { compose: env.compose },
    variables: {
      ...userVars,
      PACKIT_FULL_REPO_NAME: `${req.source.owner}/${req.source.repo}`,
      PACKIT_COMMIT_SHA: req.source.sha,
      ...(req.source.pr !== undefined ? { PACKIT_PR_ID: String(req.source.pr) } : {}),
      [TOKEN_VARIABLE]: req.token,
    },
    tmt: { context: { distro: env.distro, arch: env.arch, trigger: req.source.pr !== undefined ? "pull-request" : "commit" } },
  };
  if (req.dependency) {
    // Install the Copr build this test waited for: "<build id>:<chroot>".
    const chroot = str("copr_chroot") ?? req.target;
    environment.artifacts = [{ type: "fedora-copr-build", id: `${req.dependency.externalId}:${chroot}` }];
  }
  const body: Record<string, unknown> = { test: { fmf }, environments: [environment] };
  // TF calls this URL on every state change (with the token, so we know it is TF); polling stays the fallback.
  if (notify) body.notification = { webhook: { url: notify.url, ...(notify.token ? { token: notify.token } : {}) } };
  return body;
}

/** A Testing Farm client for `endpoint.url` (e.g. https://api.testing-farm.io), with a bearer API key. */
export function createTestingFarmClient(endpoint: TestingFarmEndpoint, clock: { now?: () => number } = {}): BackendClient {
  const now = clock.now ?? Date.now;
  const base = endpoint.url.replace(/\/+$/, "");
  const authHeader = endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : undefined;
  const api = createJsonApi({
    backend: NAME,
    baseUrl: `${base}/v0.1`,
    timeoutMs: endpoint.timeoutMs,
    auth: () => authHeader,
    errorText: tfErrorText,
    unauthorized: (said) =>
      authHeader
        ? `Testing Farm refused the API key (${said || "401"}): check backends.testingFarm.apiKey`
        : "no Testing Farm API key configured: set backends.testingFarm.apiKey",
  });

  const requestUrl = (id: string) => `${base}/v0.1/requests/${id}`;

  return {
    name: NAME,

    async submit(req, opts): Promise<SubmitResult> {
      const ans = await api.call("POST", "/requests", { body: requestBody(req, endpoint.notify), signal: opts?.signal });
      const { id } = api.expect(ans, Created, "submit test request");
      return { externalId: id, url: requestUrl(id) };
    },

    /**
     * The token rides in the request's environment variables
     * (`environments[].variables.PACKIT_JOB_TOKEN`), which Testing Farm returns on
     * GET as `environments_requested[].variables` (secrets are hidden, variables are
     * not). `GET /v0.1/requests?created_after=…` with the bearer key lists the key
     * owner's requests — the way `testing-farm list --mine` does — and we match the
     * variable. (Sources: testing-farm/cli `command/listing.py`; request details as
     * recorded in redhat-plumbers-in-action/testing-farm tests.)
     */
    async findByToken(req, opts): Promise<SubmitResult | null> {
      const after = new Date(opts?.submittedAfter !== undefined ? opts.submittedAfter - CLOCK_SLACK_MS : now() - FIND_LOOKBACK_MS);
      // TF keeps naive UTC timestamps ("2023-03-22T13:34:50.975382"); send the same form.
      const ans = await api.call("GET", "/requests", {
        query: { created_after: after.toISOString().replace(/Z$/, "") },
        signal: opts?.signal,
      });
      const list = api.expect(ans, z.array(TfRequest), "list requests");
      const hit = list.find((r) => (r.environments_requested ?? []).some((e) => e?.variables?.[TOKEN_VARIABLE] === req.token));
      return hit ? { externalId: hit.id, url: requestUrl(hit.id) } : null;
    },

    async status(externalId, opts): Promise<RemoteStatus> {
      const ans = await api.call("GET", `/requests/${encodeURIComponent(externalId)}`, { signal: opts?.signal });
      const r = api.expect(ans, TfRequest, `get request ${externalId}`);
      const overall = r.result?.overall ?? null;
      const state = mapState(r.state, overall);
      const status: RemoteStatus = { state, rawState: r.state, url: r.run?.artifacts || requestUrl(externalId) };
      const summary = r.result?.summary;
      if (overall && (r.state === "complete" || r.state === "error")) status.message = summary ? `${overall}: ${summary}` : overall;
      return status;
    },

    async cancel(externalId, opts): Promise<CancelOutcome> {
      // 5xx and timeouts throw (transient) so that the caller can retry.
      const ans = await api.call("DELETE", `/requests/${encodeURIComponent(externalId)}`, { signal: opts?.signal });
      const text = api.text(ans.body);
      switch (ans.status) {
        case 200:
          return { kind: "cancel_requested" };
        case 204:
          return { kind: "cancelled" };
        case 409:
          return { kind: "already_finished" };
        case 401:
          return { kind: "error", message: api.explain(ans) };
        case 403:
          return { kind: "error", message: `permission denied (request of another user): ${text}`.trim() };
        case 404:
          return { kind: "error", message: `unknown request ${externalId}: ${text}`.trim() };
        case 400:
        case 422:
          return { kind: "error", message: `invalid request id ${JSON.stringify(externalId)}: ${text}`.trim() };
        default:
          return { kind: "error", message: `cancel request ${externalId}: HTTP ${ans.status} ${text}`.trim() };
      }
    },
  };
}

/** TF answers `{message}` (or `{code, message}`), and FastAPI validation errors `{detail: [{loc, msg}]}`. */
function tfErrorText(body: unknown): string {
  if (typeof body === "object" && body !== null && Array.isArray((body as { detail?: unknown }).detail)) {
    return (body as { detail: unknown[] }).detail
      .map((d) =>
        typeof d !== "object" || d === null
          ? String(d)
          : typeof (d as { msg?: unknown }).msg === "string"
            ? (d as { msg: string }).msg
            : "",
      )
      .filter(Boolean)
      .join("; ");
  }
  return errorText(body);
}
