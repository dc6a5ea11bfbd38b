/**
 * Access tokens for console.redhat.com from Red Hat SSO (Keycloak): the OAuth
 * `refresh_token` grant with client id `rhsm-api` and an offline token (what Packit
 * and the `packit` CLI use), or `client_credentials` for a service account. A token
 * lives 900 s: it is cached, fetched again shortly before it expires or when the API
 * refuses it, and callers that need one at the same moment share one request.
 */
import { z } from "zod";
import { BackendError } from "../../errors.js";
import { RED_HAT_SSO_TOKEN_URL } from "../../settings-backends.js";
import { httpCall, keepAliveAgent } from "../http.js";

/** The public client Red Hat's offline tokens (access.redhat.com/management/api) are issued for. */
const OFFLINE_TOKEN_CLIENT_ID = "rhsm-api";
/** The scope console.redhat.com APIs ask of a service account's token. */
const SERVICE_ACCOUNT_SCOPE = "api.console";
/** A token is renewed this long before it expires, so that a call never carries one that dies on the way. */
const RENEW_BEFORE_MS = 60_000;

export interface SsoCredentials {
  /** The token endpoint, default Red Hat SSO's. */
  tokenUrl?: string;
  /** An offline token: the `refresh_token` grant. */
  refreshToken?: string;
  /** With `clientSecret`, a service account (`client_credentials`); alone, the client of the offline token. */
  clientId?: string;
  clientSecret?: string;
}

const TokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.number().positive() });
const KeycloakError = z.object({ error: z.string(), error_description: z.string().optional() });

export interface AccessTokens {
  /** A token valid for a while yet. */
  current(): Promise<string>;
  /** The API refused `token`: forget it, so that the next `current` fetches a new one. */
  refused(token: string): void;
}

/** `backend` names the service in errors; `now` is the clock expiry is read on. */
export function createAccessTokens(
  backend: string,
  creds: SsoCredentials,
  opts: { now?: () => number; timeoutMs?: number } = {},
): AccessTokens {
  const now = opts.now ?? Date.now;
  const url = creds.tokenUrl ?? RED_HAT_SSO_TOKEN_URL;
  const agent = keepAliveAgent();
  const grant = creds.clientSecret ? "service account" : "offline token";
  let cached: { token: string; renewAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  function form(): string {
    if (creds.clientSecret) {
      if (!creds.clientId) throw missing("backends.imageBuilder.clientId (the service account's client id)");
      return new URLSearchParams({
        grant_type: "client_credentials",
        client_id: creds.clientId,
        client_secret: creds.clientSecret,
        scope: SERVICE_ACCOUNT_SCOPE,
      }).toString();
    }
    if (!creds.refreshToken)
      throw missing("backends.imageBuilder.refreshToken (an offline token) or clientId and clientSecret (a service account)");
    return new URLSearchParams({
      grant_type: "refresh_token",
      client_id: creds.clientId ?? OFFLINE_TOKEN_CLIENT_ID,
      refresh_token: creds.refreshToken,
    }).toString();
  }

  function missing(what: string): BackendError {
    return new BackendError(backend, `no Red Hat SSO credentials configured: set ${what}`, { transient: false });
  }

  // Shared by every caller waiting for it, so no one caller's abort may cut it short: the timeout bounds it.
  async function fetchToken(): Promise<string> {
    const asked = now();
    const ans = await httpCall(backend, url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form(),
      timeoutMs: opts.timeoutMs,
      dispatcher: agent,
    });
    if (ans.status !== 200) {
      // Keycloak: 400 invalid_grant for a revoked or unknown offline token, 401 for a wrong client secret.
      const said = KeycloakError.safeParse(ans.body);
      const why = said.success
        ? `${said.data.error}${said.data.error_description ? `: ${said.data.error_description}` : ""}`
        : `HTTP ${ans.status}`;
      const fix = creds.clientSecret
        ? "check the service account's client id and secret"
        : "generate a new offline token at https://access.redhat.com/management/api";
      throw new BackendError(backend, `Red Hat SSO refused the ${grant} (${why}): ${fix}`, { transient: false, status: ans.status });
    }
    const parsed = TokenAnswer.safeParse(ans.body);
    if (!parsed.success)
      throw new BackendError(backend, "Red Hat SSO: malformed token answer (no access_token / expires_in)", {
        transient: true,
        status: ans.status,
      });
    cached = { token: parsed.data.access_token, renewAt: asked + parsed.data.expires_in * 1000 - RENEW_BEFORE_MS };
    return cached.token;
  }

  return {
    current() {
      if (cached && now() < cached.renewAt) return Promise.resolve(cached.token);
      inFlight ??= fetchToken().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    refused(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
}
