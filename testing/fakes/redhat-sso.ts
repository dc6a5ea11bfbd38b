/**
 * A local Red Hat SSO token endpoint (Keycloak's OpenID Connect `token` route of the
 * `redhat-external` realm), as console.redhat.com clients use it: the
 * `refresh_token` grant with client `rhsm-api` and an offline token, and
 * `client_credentials` for a service account. Access tokens expire on the fake's
 * clock; refusals have Keycloak's statuses and `{"error", "error_description"}`
 * bodies. Image Builder's fake asks `verify` whether a bearer token is good.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { startHttpFake, type FakeReply, type FakeServer } from "./http-fake.js";

export const SSO_TOKEN_PATH = "/auth/realms/redhat-external/protocol/openid-connect/token";
const OFFLINE_CLIENT = "rhsm-api";

export interface ServiceAccount {
  clientId: string;
  clientSecret: string;
}

export interface FakeRedHatSsoOptions {
  /** Offline tokens it accepts, each its own user. Default: [FAKE_OFFLINE_TOKEN]. */
  offlineTokens?: string[];
  /** Service accounts it accepts. Default: [FAKE_SERVICE_ACCOUNT]. */
  serviceAccounts?: ServiceAccount[];
  /** Access token lifetime, seconds; Red Hat SSO's is 900. */
  lifetimeS?: number;
  /** The fake's clock, epoch ms. Default: Date.now. */
  now?: () => number;
}

export interface FakeRedHatSso extends FakeServer {
  /** The token endpoint's URL. */
  readonly tokenUrl: string;
  /** `valid` with the user an access token was issued to, or why it is no good. */
  verify(accessToken: string): { state: "valid"; subject: string } | { state: "expired" | "unknown" };
  /** Revoke an offline token: later refresh grants with it are refused. */
  revoke(offlineToken: string): void;
  /** The access tokens it issued, oldest first (secrets: tests check that none leaks). */
  issuedTokens(): string[];
  /** Forget issued tokens and revocations, recorded calls and faults. */
  reset(): void;
}

export const FAKE_OFFLINE_TOKEN = "fake-redhat-offline-token-0123456789";
export const FAKE_SERVICE_ACCOUNT: ServiceAccount = { clientId: "fake-service-account", clientSecret: "fake-service-account-secret-0123" };

/** Start a fake Red Hat SSO on 127.0.0.1, port 0. */
export async function startFakeRedHatSso(opts: FakeRedHatSsoOptions = {}): Promise<FakeRedHatSso> {
  const now = opts.now ?? Date.now;
  const lifetimeS = opts.lifetimeS ?? 900;
  const offline = new Map((opts.offlineTokens ?? [FAKE_OFFLINE_TOKEN]).map((t, i) => [t, `offline-user-${i}`]));
  const accounts = new Map((opts.serviceAccounts ?? [FAKE_SERVICE_ACCOUNT]).map((a) => [a.clientId, a]));
  const revoked = new Set<string>();
  const tokens = new Map<string, { subject: string; expiresAt: number }>();

  const refuse = (status: number, error: string, description: string): FakeReply => ({
    status,
    body: { error, error_description: description },
  });

  function issue(subject: string, extra: Record<string, unknown>): FakeReply {
    const token = randomBytes(24).toString("base64url");
    tokens.set(token, { subject, expiresAt: now() + lifetimeS * 1000 });
    return {
      status: 200,
      headers: { "cache-control": "no-store", pragma: "no-cache" },
      body: {
        access_token: token,
        expires_in: lifetimeS,
        refresh_expires_in: 0,
        token_type: "Bearer",
        "not-before-policy": 0,
        session_state: randomUUID(),
        ...extra,
      },
    };
  }

  const server = await startHttpFake("redhat-sso", (req) => {
    if (req.path !== SSO_TOKEN_PATH) return { status: 404, body: { error: "RESTEASY003210: Could not find resource for full path" } };
    if (req.method !== "POST") return { status: 405, body: { error: "RESTEASY003650: No resource method found" } };
    // Keycloak reads a form; a JSON body has no grant_type for it.
    const form = String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")
      ? new URLSearchParams(req.body)
      : new URLSearchParams();
    const grant = form.get("grant_type");
    const clientId = form.get("client_id");
    if (!grant) return refuse(400, "invalid_request", "Missing form parameter: grant_type");
    if (grant === "refresh_token") {
      if (clientId !== OFFLINE_CLIENT) return refuse(401, "invalid_client", "Invalid client or Invalid client credentials");
      const refresh = form.get("refresh_token");
      if (!refresh) return refuse(400, "invalid_request", "Missing parameter: refresh_token");
      const subject = offline.get(refresh);
      if (!subject || revoked.has(refresh)) return refuse(400, "invalid_grant", "Invalid refresh token");
      return issue(subject, { refresh_token: refresh, scope: "offline_access" });
    }
    if (grant === "client_credentials") {
      const account = clientId ? accounts.get(clientId) : undefined;
      if (!account) return refuse(401, "invalid_client", "Invalid client or Invalid client credentials");
      if (form.get("client_secret") !== account.clientSecret)
        return refuse(401, "unauthorized_client", "Invalid client or Invalid client credentials");
      return issue(`service-account-${account.clientId}`, { scope: form.get("scope") ?? "" });
    }
    return refuse(400, "unsupported_grant_type", "Unsupported grant_type");
  });

  return {
    ...server,
    tokenUrl: `${server.url}${SSO_TOKEN_PATH}`,
    verify(accessToken) {
      const t = tokens.get(accessToken);
      if (!t) return { state: "unknown" };
      return now() < t.expiresAt ? { state: "valid", subject: t.subject } : { state: "expired" };
    },
    revoke(offlineToken) {
      revoked.add(offlineToken);
    },
    issuedTokens() {
      return [...tokens.keys()];
    },
    reset() {
      tokens.clear();
      revoked.clear();
      server.resetHttp();
    },
  };
}
