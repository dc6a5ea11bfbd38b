/**
 * Signing in to the dashboard with GitHub: the App's own OAuth client
 * (`@octokit/oauth-app`, web flow). At sign-in the repositories of this App's
 * installations the visitor can read are looked up once and kept with the session;
 * no GitHub token is kept. The cookie carries a random session id, HMAC-signed,
 * `HttpOnly`, `SameSite=Lax` (and `Secure` when the public URL is https).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { OAuthApp } from "@octokit/oauth-app";
import { ProbotOctokit } from "probot";
import { ANONYMOUS, type DashboardStore, type Viewer } from "./store.js";
import { httpStatus } from "../errors.js";

const SESSION_COOKIE = "packit_session";
const STATE_COOKIE = "packit_oauth_state";
const STATE_TTL_S = 600;

export interface SignIn {
  clientId: string;
  clientSecret: string;
  /** GitHub's REST API (the sign-in page is derived from it, as on GitHub Enterprise). */
  baseUrl: string;
  /** The dashboard's public URL: GitHub sends the visitor back to `<publicUrl>/login/callback`. */
  publicUrl: string;
  sessionHours: number;
}

function cookies(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of String(req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

/** Signs and checks cookie values with a key only the server knows. */
export class CookieSigner {
  constructor(private readonly key: Buffer) {}

  sign(value: string): string {
    return `${value}.${createHmac("sha256", this.key).update(value).digest("base64url")}`;
  }

  /** The value of a signed cookie, or undefined when the signature does not hold. */
  unsign(signed: string | undefined): string | undefined {
    if (!signed) return undefined;
    const dot = signed.lastIndexOf(".");
    if (dot <= 0) return undefined;
    const value = signed.slice(0, dot);
    const want = Buffer.from(this.sign(value));
    const got = Buffer.from(signed);
    return want.length === got.length && timingSafeEqual(want, got) ? value : undefined;
  }
}

function cookie(name: string, value: string, o: { maxAgeS: number; secure: boolean }): string {
  return `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${o.maxAgeS}${o.secure ? "; Secure" : ""}`;
}

/** The visitor of a request: the signed-in user of a live session, else anonymous. */
export async function viewerOf(req: IncomingMessage, store: DashboardStore, signer: CookieSigner): Promise<Viewer> {
  const id = signer.unsign(cookies(req)[SESSION_COOKIE]);
  const session = id ? await store.session(id) : undefined;
  return session ? { login: session.login, repoIds: session.repoIds } : ANONYMOUS;
}

const redirect = (res: ServerResponse, location: string, setCookie: string[] = []) =>
  res.writeHead(302, { location, "set-cookie": setCookie, "cache-control": "no-store" }).end();

/**
 * `/login`, `/login/callback` and `/logout`. Returns false for other paths. A failed
 * sign-in answers 400 with what went wrong, never with a token or secret.
 */
export function signInRoutes(o: SignIn, store: DashboardStore, signer: CookieSigner, now: () => number) {
  const Octokit = ProbotOctokit.defaults({ baseUrl: o.baseUrl });
  const app = new OAuthApp({ clientType: "github-app", clientId: o.clientId, clientSecret: o.clientSecret, Octokit });
  const secure = o.publicUrl.startsWith("https:");
  const redirectUrl = `${o.publicUrl.replace(/\/+$/, "")}/login/callback`;

  return async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<boolean> => {
    if (path === "/login") {
      const state = randomBytes(16).toString("base64url");
      const { url } = app.getWebFlowAuthorizationUrl({ state, redirectUrl });
      redirect(res, url, [cookie(STATE_COOKIE, signer.sign(state), { maxAgeS: STATE_TTL_S, secure })]);
      return true;
    }
    if (path === "/login/callback") {
      const state = query.get("state");
      const code = query.get("code");
      if (!state || !code || signer.unsign(cookies(req)[STATE_COOKIE]) !== state) {
        res
          .writeHead(400, { "content-type": "text/plain; charset=utf-8" })
          .end("Sign-in failed: the answer from GitHub does not belong to this browser's sign-in. Start again at /login.\n");
        return true;
      }
      let login: string;
      const repoIds: number[] = [];
      try {
        const octokit = await app.getUserOctokit({ code, state, redirectUrl });
        login = (await octokit.request("GET /user")).data.login;
        const installations = await octokit.paginate("GET /user/installations", { per_page: 100 });
        for (const i of installations) {
          const repos = await octokit.paginate("GET /user/installations/{installation_id}/repositories", {
            installation_id: i.id,
            per_page: 100,
          });
          repoIds.push(...repos.map((r) => r.id));
        }
      } catch (err) {
        const status = httpStatus(err);
        res
          .writeHead(400, { "content-type": "text/plain; charset=utf-8" })
          .end(`Sign-in failed: GitHub did not accept the sign-in${status ? ` (HTTP ${status})` : ""}. Start again at /login.\n`);
        return true;
      }
      const id = randomBytes(24).toString("base64url");
      const maxAgeS = Math.round(o.sessionHours * 3600);
      await store.createSession({ id, login, repoIds, expiresAt: now() + maxAgeS * 1000 });
      redirect(res, "/", [cookie(SESSION_COOKIE, signer.sign(id), { maxAgeS, secure }), cookie(STATE_COOKIE, "", { maxAgeS: 0, secure })]);
      return true;
    }
    if (path === "/logout") {
      const id = signer.unsign(cookies(req)[SESSION_COOKIE]);
      if (id) await store.deleteSession(id);
      redirect(res, "/", [cookie(SESSION_COOKIE, "", { maxAgeS: 0, secure })]);
      return true;
    }
    return false;
  };
}
