/**
 * GitHub's OAuth web flow for the App's own OAuth client, as github.com runs it
 * ("Authorizing users with a GitHub App"): the browser is sent to
 * `GET /login/oauth/authorize`, GitHub sends it back to the `redirect_uri` with a
 * one-time `code` (ten minutes) and the `state`, and the app trades the code for a
 * user access token at `POST /login/oauth/access_token` — which, as on GitHub,
 * answers refusals with 200 and an `error` field. The user tokens then authenticate
 * `GET /user`, `GET /user/installations` and `GET /user/installations/{id}/repositories`.
 */
import { randomBytes } from "node:crypto";
import { notFound, paginate, type Call, type Reply, type SimContext } from "./http.js";
import { installationJson, repoJson, userJson } from "./shapes.js";
import { accountFor, type RepoRecord } from "./state.js";

const CODE_TTL_MS = 10 * 60_000;
/** GitHub App user tokens expire after eight hours (with a refresh token) unless the App opts out. */
const USER_TOKEN_TTL_S = 8 * 3600;
const ERRORS_DOCS = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors";

const alnum = (n: number) =>
  randomBytes(n * 2)
    .toString("base64")
    .replace(/[^A-Za-z0-9]/g, "")
    .slice(0, n);

/** The OAuth side of the simulated App and the user tokens it issued. */
export class OAuthFlow {
  readonly clientId = `Iv23li${alnum(14)}`;
  readonly clientSecret = randomBytes(20).toString("hex");
  /** Who is signed in to github.com in "the browser" that follows the authorize redirect; nobody: GitHub's login page. */
  signedInAs: string | undefined;
  private readonly codes = new Map<string, { login: string; redirectUri: string | null; expiresAt: number }>();
  private readonly tokens = new Map<string, { login: string; expiresAt: number }>();

  /** `GET /login/oauth/authorize?client_id&redirect_uri&state`: the user approves at once (the App asks no extra scopes). */
  authorize(query: URLSearchParams): Reply {
    const html = { "content-type": "text/html; charset=utf-8" };
    if (query.get("client_id") !== this.clientId)
      return { status: 404, headers: html, body: "<h1>404</h1><p>This is not the web page you are looking for.</p>" };
    const redirect = query.get("redirect_uri");
    if (!redirect || !URL.canParse(redirect)) return { status: 400, headers: html, body: "<p>The redirect_uri is not a URL.</p>" };
    if (!this.signedInAs) return { status: 200, headers: html, body: "<h1>Sign in to GitHub</h1><p>to continue to the App.</p>" };
    const code = randomBytes(10).toString("hex");
    this.codes.set(code, { login: this.signedInAs, redirectUri: redirect, expiresAt: Date.now() + CODE_TTL_MS });
    const next = new URL(redirect);
    next.searchParams.set("code", code);
    const state = query.get("state");
    if (state !== null) next.searchParams.set("state", state);
    return { status: 302, headers: { ...html, location: next.toString() }, body: "" };
  }

  /** `POST /login/oauth/access_token` (form or JSON body; JSON answer when asked with `Accept: application/json`). */
  accessToken(raw: string, headers: Record<string, string | string[] | undefined>): Reply {
    const type = String(headers["content-type"] ?? "");
    let fields: Record<string, string | undefined>;
    try {
      fields = type.includes("json") ? (JSON.parse(raw || "{}") as Record<string, string>) : Object.fromEntries(new URLSearchParams(raw));
    } catch {
      return { status: 400, body: { message: "Problems parsing JSON" } };
    }
    const answer = (body: Record<string, string | number>): Reply =>
      String(headers.accept ?? "").includes("json")
        ? { status: 200, body }
        : {
            status: 200,
            headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
            body: new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, String(v)])).toString(),
          };
    const refuse = (error: string, description: string) =>
      answer({ error, error_description: description, error_uri: `${ERRORS_DOCS}#${error.replaceAll("_", "-")}` });
    if (fields.client_id !== this.clientId || fields.client_secret !== this.clientSecret)
      return refuse("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.");
    const grant = fields.code ? this.codes.get(fields.code) : undefined;
    if (grant) this.codes.delete(fields.code!);
    if (!grant || grant.expiresAt < Date.now()) return refuse("bad_verification_code", "The code passed is incorrect or expired.");
    if (fields.redirect_uri && fields.redirect_uri !== grant.redirectUri)
      return refuse("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.");
    const token = `ghu_${alnum(36)}`;
    this.tokens.set(token, { login: grant.login, expiresAt: Date.now() + USER_TOKEN_TTL_S * 1000 });
    return answer({
      access_token: token,
      expires_in: USER_TOKEN_TTL_S,
      refresh_token: `ghr_${alnum(76)}`,
      refresh_token_expires_in: 15_811_200,
      token_type: "bearer",
      scope: "",
    });
  }

  /** The user a live user token belongs to. */
  userOf(token: string): string | undefined {
    const t = this.tokens.get(token);
    if (!t) return undefined;
    if (t.expiresAt <= Date.now()) {
      this.tokens.delete(token);
      return undefined;
    }
    return t.login;
  }
}

// --- the REST routes user tokens authenticate --------------------------------------

/** Repositories a user has explicit access to (a role, or owning them), as `/user/installations…` list them. */
function accessible(sim: SimContext, login: string, installationId?: number): RepoRecord[] {
  const all = installationId === undefined ? [...sim.state.repos.values()] : sim.state.reposOf(installationId);
  return all.filter((r) => {
    const explicit = r.roles.get(login.toLowerCase());
    const owns = r.owner.login.toLowerCase() === login.toLowerCase();
    return r.installationId !== 0 && (owns || (explicit !== undefined && explicit !== "none"));
  });
}

/** `GET /user`: the signed-in user, as GitHub shows a user to someone else (the public view). */
export function authenticatedUser(call: Call, sim: SimContext): Reply {
  const login = call.userLogin!;
  const at = "2020-01-01T00:00:00Z";
  return {
    status: 200,
    body: {
      ...userJson(accountFor(login), sim.api),
      user_view_type: "public",
      name: null,
      company: null,
      blog: "",
      location: null,
      email: null,
      hireable: null,
      bio: null,
      public_repos: 0,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: at,
      updated_at: at,
    },
  };
}

/** `GET /user/installations`: this App's installations on which the user can reach a repository. */
export function userInstallations(call: Call, sim: SimContext): Reply {
  const ids = new Set(accessible(sim, call.userLogin!).map((r) => r.installationId));
  const live = [...ids]
    .map((id) => sim.state.liveInstallation(id))
    .filter((i) => i !== undefined)
    .sort((a, b) => a.id - b.id);
  const { page, headers } = paginate(live, call, sim.api);
  return {
    status: 200,
    body: { total_count: live.length, installations: page.map((i) => installationJson(i, sim.state.app, sim.api)) },
    headers,
  };
}

/** `GET /user/installations/{installation_id}/repositories`: the installation's repositories the user can reach. */
export function userInstallationRepos(call: Call, sim: SimContext): Reply {
  const inst = sim.state.liveInstallation(Number(call.params.installation_id));
  const repos = inst ? accessible(sim, call.userLogin!, inst.id).sort((a, b) => a.id - b.id) : [];
  if (!inst || repos.length === 0) throw notFound();
  const { page, headers } = paginate(repos, call, sim.api);
  return {
    status: 200,
    body: { total_count: repos.length, repository_selection: "selected", repositories: page.map((r) => repoJson(r, sim.api)) },
    headers,
  };
}
