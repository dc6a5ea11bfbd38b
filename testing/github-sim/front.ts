/**
 * The simulator's HTTP front: GitHub's OAuth web flow and manifest form, then for the
 * API injected faults, authentication, rate limits, the route (REST or GraphQL) and the
 * check of request and answer against GitHub's REST description.
 */
import { type IncomingMessage, type ServerResponse } from "node:http";
import { AuthFailure, TokenStore, verifyAppJwt } from "./auth.js";
import { MANIFEST_FORM, ManifestCodes, type SimApp } from "./app-registration.js";
import { Faults, faultReply, primaryLimitReply, RateLimits, requestId } from "./faults.js";
import { handleGraphql } from "./graphql.js";
import { DOCS, errorBody, HttpError, requirePermission, type Call, type Reply, type RouteGroup, type SimContext } from "./http.js";
import { checkRequest, checkResponse, invalidRequestMessage } from "./openapi.js";
import type { SimRequest } from "./options.js";
import { OAuthFlow } from "./oauth.js";
import { matchRoute } from "./rest.js";

const BEARER = /^(?:token|bearer)\s+(\S+)$/i;
const looksLikeJwt = (s: string) => /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/.test(s);

/** What the front reads of the simulator; the functions read what is current (a reset or a manifest conversion replaces it). */
export interface SimFront {
  readonly url: string;
  readonly latencyMs: () => number;
  readonly app: () => SimApp;
  readonly ctx: () => SimContext;
  /** Every request answered, in order. */
  readonly requests: SimRequest[];
  readonly oauth: OAuthFlow;
  readonly manifestCodes: ManifestCodes;
  readonly faults: Faults;
  readonly rates: RateLimits;
  readonly tokens: TokenStore;
  /** Requests per hour and bucket. */
  readonly rateLimit: number;
}

/** Answer one request: the OAuth web flow, the manifest form, or the API behind faults, authentication and rate limits; every answer is logged in `requests`. */
export async function serveRequest(front: SimFront, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const at = Date.now();
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  const url = new URL(req.url ?? "/", front.url);
  const method = req.method ?? "GET";
  // GitHub Enterprise Server's layout (`/api/v3/…`, `/api/graphql`) is served too: Probot's setup flow uses it with GHE_HOST.
  const trimmed = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
  const path = trimmed === "/api/graphql" ? "/graphql" : trimmed.replace(/^\/api\/v3(?=\/)/, "");
  if (front.latencyMs() > 0) await new Promise((r) => setTimeout(r, front.latencyMs()));

  // github.com's OAuth web flow (not the API: no rate limit, no REST description).
  const oauthReply =
    path === "/login/oauth/authorize" && method === "GET"
      ? front.oauth.authorize(url.searchParams)
      : path === "/login/oauth/access_token" && method === "POST"
        ? front.oauth.accessToken(raw, req.headers)
        : undefined;
  if (oauthReply) {
    front.requests.push({ method, path, group: "oauth", status: oauthReply.status, at, ms: Date.now() - at });
    const body =
      oauthReply.body === undefined ? "" : typeof oauthReply.body === "string" ? oauthReply.body : JSON.stringify(oauthReply.body);
    if (!res.destroyed)
      res.writeHead(oauthReply.status, { "content-type": "application/json; charset=utf-8", ...oauthReply.headers }).end(body);
    return;
  }
  if (method === "POST" && MANIFEST_FORM.test(path)) {
    const reply = front.manifestCodes.accept(raw);
    front.requests.push({ method, path, group: "app", status: reply.status, at, ms: Date.now() - at });
    if (!res.destroyed) res.writeHead(reply.status, reply.headers).end(typeof reply.body === "string" ? reply.body : "");
    return;
  }
  const isGraphql = path === "/graphql" && method === "POST";
  const matched = isGraphql ? undefined : matchRoute(method, path);
  const group: RouteGroup = isGraphql ? "graphql" : (matched?.route.group ?? "unknown");
  const docs = isGraphql ? "https://docs.github.com/graphql" : (matched?.route.docs ?? DOCS);

  // Who is asking decides the rate-limit bucket, even for answers that fail auth.
  const credential = BEARER.exec(String(req.headers.authorization ?? ""))?.[1];
  const installationId = credential && !looksLikeJwt(credential) ? front.tokens.installationOf(credential) : undefined;
  const userLogin = credential?.startsWith("ghu_") ? front.oauth.userOf(credential) : undefined;
  const who =
    installationId !== undefined
      ? `installation ID ${installationId}`
      : userLogin
        ? `user ${userLogin}`
        : credential
          ? `app ID ${front.app().id}`
          : "127.0.0.1";
  const resource = isGraphql ? "graphql" : "core";
  const bucket = `${installationId ?? (userLogin ? `user:${userLogin}` : credential ? "app" : "anonymous")}:${resource}`;
  const reqId = requestId();

  let reply: Reply;
  const fault = front.faults.take(group, isWrite(method, isGraphql, raw));
  if (fault?.kind === "hang") {
    // The client gives up (its timeout) or stop() closes the socket.
    front.requests.push({ method, path, group, status: 0, at, ms: 0, ...(installationId !== undefined ? { installationId } : {}) });
    return;
  }
  if (fault) {
    reply = faultReply(fault, group, who, front.rates.headers(bucket, resource), reqId);
  } else {
    const denied = authenticate(
      front,
      isGraphql ? "installation" : matched?.route.auth,
      credential,
      installationId,
      docs,
      isGraphql,
      userLogin,
    );
    if (denied) {
      reply = denied;
    } else if (!matched && !isGraphql) {
      reply = { status: 404, body: errorBody(404, "Not Found", DOCS) };
    } else if (!front.rates.consume(bucket)) {
      const reset = Number(front.rates.headers(bucket, resource)["x-ratelimit-reset"]);
      reply = primaryLimitReply(group, who, reset, front.rateLimit, resource);
    } else {
      reply = await dispatch(front.ctx(), path, url, req, raw, matched, installationId, docs, userLogin);
    }
  }

  const headers: Record<string, string> = {
    ...front.rates.headers(bucket, resource),
    "x-github-request-id": reqId,
    "x-github-media-type": "github.v3; format=json",
    ...reply.headers,
  };
  let payload = "";
  if (reply.body !== undefined && reply.status !== 204) {
    payload = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
    headers["content-type"] ??= "application/json; charset=utf-8";
  }
  front.requests.push({
    method,
    path,
    group,
    status: reply.status,
    at,
    ms: Date.now() - at,
    ...(installationId !== undefined ? { installationId } : {}),
  });
  if (!res.destroyed) res.writeHead(reply.status, headers).end(payload);
}

/** GitHub's 401/403 answer when the credential does not fit the route; undefined when it does. */
function authenticate(
  front: SimFront,
  needs: "jwt" | "installation" | "user" | "none" | undefined,
  credential: string | undefined,
  installationId: number | undefined,
  docs: string,
  isGraphql: boolean,
  userLogin?: string,
): Reply | undefined {
  const deny = (status: number, message: string): Reply => ({ status, body: errorBody(status, message, docs) });
  if (needs === undefined || needs === "none") return undefined;
  if (!credential) return deny(401, isGraphql ? "This endpoint requires you to be authenticated." : "Requires authentication");
  if (needs === "user") return userLogin ? undefined : deny(401, "Bad credentials");
  if (needs === "jwt") {
    try {
      verifyAppJwt(credential, front.app().id, front.app().keys.publicKey);
    } catch (e) {
      if (e instanceof AuthFailure) return deny(401, e.message);
      throw e;
    }
    return undefined;
  }
  const inst = installationId === undefined ? undefined : front.ctx().state.liveInstallation(installationId);
  if (!inst) return deny(401, "Bad credentials");
  if (inst.suspended_at) return deny(403, "This installation has been suspended");
  return undefined;
}

async function dispatch(
  ctx: SimContext,
  path: string,
  url: URL,
  req: IncomingMessage,
  raw: string,
  matched: ReturnType<typeof matchRoute>,
  installationId: number | undefined,
  docs: string,
  userLogin?: string,
): Promise<Reply> {
  let body: unknown;
  try {
    body = raw ? JSON.parse(raw) : undefined;
  } catch {
    return { status: 400, body: errorBody(400, "Problems parsing JSON", docs) };
  }
  const call: Call = {
    path,
    query: url.searchParams,
    headers: req.headers,
    body,
    params: matched?.params ?? {},
    installationId,
    ...(userLogin ? { userLogin } : {}),
    docs,
  };
  if (!matched) return handleGraphql(call, ctx);
  const method = req.method ?? "GET";
  const { operation, problems } = checkRequest(method, path, url.searchParams, body);
  if (!operation) throw new Error(`${method} ${path} is not in GitHub's REST description`);
  if (problems.length > 0) return { status: 422, body: errorBody(422, invalidRequestMessage(problems, body), docs) };
  let reply: Reply;
  try {
    if (matched.route.auth === "installation") requirePermission(ctx, ...matched.route.needs);
    reply = matched.route.handle(call, ctx);
  } catch (e) {
    if (e instanceof HttpError) reply = { status: e.status, body: e.body ?? errorBody(e.status, e.message, docs) };
    else throw e;
  }
  // A raw media type (file contents) is not JSON; everything else must be what GitHub would send.
  const json = reply.status !== 204 && reply.body !== undefined && typeof reply.body !== "string";
  const wrong = json ? checkResponse(operation, reply.status, reply.body) : [];
  if (wrong.length > 0) {
    throw new Error(
      `answer ${reply.status} to ${method} ${path} is not GitHub's (${operation.operationId}): ${wrong
        .slice(0, 5)
        .map((w) => `${w.at} ${w.message}`)
        .join("; ")}`,
    );
  }
  return reply;
}

/** A write as GitHub's secondary limits count them: REST POST/PATCH/PUT/DELETE, GraphQL mutations. */
function isWrite(method: string, isGraphql: boolean, raw: string): boolean {
  if (!isGraphql) return method !== "GET" && method !== "HEAD";
  try {
    const query = (JSON.parse(raw) as { query?: unknown }).query;
    return typeof query === "string" && /^(\s|,|#[^\n]*\n?)*mutation\b/.test(query);
  } catch {
    return false;
  }
}
