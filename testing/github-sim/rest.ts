/**
 * The REST endpoints the app uses, with GitHub's paths, status codes and bodies.
 * Authentication is checked by the server before a handler runs (`auth` says which
 * kind a route needs); handlers only check that the repository belongs to the
 * token's installation, which GitHub reports as 404.
 */
import { CheckRunInvalid, writeCheckRun } from "./checks.js";
import { blobSha } from "./ids.js";
import {
  DOCS,
  HttpError,
  notFound,
  paginate,
  requirePermission,
  validationFailed,
  type Call,
  type Permission,
  type Reply,
  type RouteGroup,
  type SimContext,
} from "./http.js";
import { appJson, checkRunJson, commentJson, installationJson, pullJson, reactionJson, repoJson, userJson, WEB } from "./shapes.js";
import { authenticatedUser, userInstallationRepos, userInstallations } from "./oauth.js";
import { accountFor, normalizeRef, now, type RepoRecord, type Role } from "./state.js";

export interface Route {
  method: string;
  pattern: RegExp;
  group: RouteGroup;
  /** Installation routes: the App permissions of which one is needed (none: any installation may). */
  needs: Permission[];
  /** `jwt`: the app's JWT; `installation`: an installation access token; `user`: a user access token (OAuth); `none`: no credential (the manifest code is one). */
  auth: "jwt" | "installation" | "user" | "none";
  docs: string;
  handle: (call: Call, sim: SimContext) => Reply;
}

/** `{name}` matches one segment (digits only for `*_id` / `*_number`), `{name*}` the rest of the path. */
function compile(template: string): RegExp {
  const body = template.replace(/\{(\w+)(\*?)\}/g, (_, name: string, rest: string) => {
    if (rest) return `(?<${name}>.*)`;
    return /_(id|number)$/.test(name) ? `(?<${name}>\\d+)` : `(?<${name}>[^/]+)`;
  });
  return new RegExp(`^${body}$`);
}

/**
 * The App permission (one of) each installation route needs, as GitHub's
 * "fine-grained permissions" lists them; routes not listed need only `metadata: read`,
 * which every App has. Comments depend on the issue: see {@link onIssue}.
 */
const NEEDS: Record<string, Permission[]> = {
  "GET /repos/{owner}/{repo}/contents": [["contents", "read"]],
  "GET /repos/{owner}/{repo}/contents/{path*}": [["contents", "read"]],
  "GET /repos/{owner}/{repo}/pulls/{pull_number}": [["pull_requests", "read"]],
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/files": [["pull_requests", "read"]],
  "POST /repos/{owner}/{repo}/check-runs": [["checks", "write"]],
  "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}": [["checks", "write"]],
  "GET /repos/{owner}/{repo}/check-runs/{check_run_id}": [["checks", "read"]],
  "GET /repos/{owner}/{repo}/commits/{ref}/check-runs": [["checks", "read"]],
};

function route(method: string, template: string, group: RouteGroup, auth: Route["auth"], docs: string, handle: Route["handle"]): Route {
  return { method, pattern: compile(template), group, auth, needs: NEEDS[`${method} ${template}`] ?? [], docs: `${DOCS}/${docs}`, handle };
}

/** A pull request's comments answer to `pull_requests` or `issues`; a plain issue's to `issues` only. */
function onIssue(repo: RepoRecord, issue: number, level: "read" | "write"): Permission[] {
  return repo.pullNumbers.has(issue)
    ? [
        ["issues", level],
        ["pull_requests", level],
      ]
    : [["issues", level]];
}

const ok = (body: unknown, headers?: Record<string, string>): Reply => ({ status: 200, body, ...(headers ? { headers } : {}) });

/** The repository named in the path, if the token's installation can see it. */
function repoOf(call: Call, sim: SimContext): RepoRecord {
  const repo = sim.state.repo(call.params.owner!, call.params.repo!);
  if (!repo || repo.installationId !== call.installationId) throw notFound();
  return repo;
}

function liveInstallation(call: Call, sim: SimContext) {
  const inst = sim.state.liveInstallation(Number(call.params.installation_id));
  if (!inst) throw notFound();
  return inst;
}

function bodyObject(call: Call): Record<string, unknown> {
  if (call.body === undefined || call.body === null) return {};
  if (typeof call.body !== "object" || Array.isArray(call.body)) throw new HttpError(400, "Problems parsing JSON");
  return call.body as Record<string, unknown>;
}

function invalid(e: unknown, call: Call): never {
  if (e instanceof CheckRunInvalid) {
    if (!e.field) throw new HttpError(422, e.restMessage);
    // A refusal about one field also names it in `errors[]`, as GitHub's validation errors do.
    const code = e.detail.endsWith("wasn't supplied.") ? "missing_field" : "invalid";
    throw new HttpError(422, e.restMessage, {
      message: e.restMessage,
      errors: [{ resource: "CheckRun", field: e.field, code }],
      documentation_url: call.docs,
      status: "422",
    });
  }
  throw e;
}

// --- contents ----------------------------------------------------------------

function base64Lines(content: string): string {
  // GitHub wraps base64 content at 60 characters, with a trailing newline.
  return (
    (
      Buffer.from(content, "utf8")
        .toString("base64")
        .match(/.{1,60}/g) ?? []
    ).join("\n") + "\n"
  );
}

function contentEntry(sim: SimContext, repo: RepoRecord, ref: string, path: string, kind: "file" | "dir", content?: string) {
  const full = `${repo.owner.login}/${repo.name}`;
  const sha = kind === "file" ? blobSha(content ?? "") : blobSha(`tree ${path}`);
  const self = `${sim.api}/repos/${full}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const git = `${sim.api}/repos/${full}/git/${kind === "file" ? "blobs" : "trees"}/${sha}`;
  const html = `${WEB}/${full}/${kind === "file" ? "blob" : "tree"}/${ref}/${path}`;
  return {
    type: kind,
    size: kind === "file" ? Buffer.byteLength(content ?? "") : 0,
    name: path.split("/").pop() ?? path,
    path,
    sha,
    url: self,
    git_url: git,
    html_url: html,
    download_url: kind === "file" ? `https://raw.githubusercontent.com/${full}/${ref}/${path}` : null,
    _links: { self, git, html },
  };
}

function getContents(call: Call, sim: SimContext): Reply {
  const repo = repoOf(call, sim);
  const asked = call.query.get("ref");
  if (asked !== null && sim.state.commitOf(repo, asked) === undefined) throw new HttpError(404, `No commit found for the ref ${asked}`);
  const ref = normalizeRef(repo, asked ?? undefined);
  const path = (call.params.path ?? "").replace(/^\/+|\/+$/g, "");
  const content = path ? sim.state.file(repo, ref, path) : undefined;
  if (content !== undefined) {
    if (/\.raw\b/.test(String(call.headers.accept ?? ""))) {
      return { status: 200, body: content, headers: { "content-type": "application/vnd.github.raw; charset=utf-8" } };
    }
    return ok({ ...contentEntry(sim, repo, ref, path, "file", content), encoding: "base64", content: base64Lines(content) });
  }
  // A directory: the entries directly under `path`.
  const prefix = path ? `${path}/` : "";
  const children = new Map<string, "file" | "dir">();
  for (const p of sim.state.paths(repo, ref)) {
    if (!p.startsWith(prefix)) continue;
    const [head, ...rest] = p.slice(prefix.length).split("/");
    children.set(prefix + head, rest.length ? "dir" : "file");
  }
  if (children.size === 0 && path) throw notFound();
  return ok(
    [...children].map(([p, kind]) => contentEntry(sim, repo, ref, p, kind, kind === "file" ? sim.state.file(repo, ref, p) : undefined)),
  );
}

// --- check runs ----------------------------------------------------------------

function checkRunReply(sim: SimContext, repo: RepoRecord, id: number, status = 200): Reply {
  const run = sim.state.checkRuns.get(id)!;
  return { status, body: checkRunJson(run, repo, sim.state.app, sim.api, sim.state.pullsWithHead(repo.id, run.head_sha)) };
}

function runOf(call: Call, sim: SimContext, repo: RepoRecord) {
  const run = sim.state.checkRuns.get(Number(call.params.check_run_id));
  if (!run || run.repoId !== repo.id) throw notFound();
  return run;
}

function listCheckRuns(call: Call, sim: SimContext): Reply {
  const repo = repoOf(call, sim);
  const ref = sim.state.commitOf(repo, call.params.ref);
  if (ref === undefined) throw new HttpError(422, `No commit found for SHA: ${call.params.ref}`);
  const name = call.query.get("check_name");
  const status = call.query.get("status");
  let runs = [...sim.state.checkRuns.values()]
    .filter((r) => r.repoId === repo.id && r.head_sha === ref)
    .filter((r) => (name === null || r.name === name) && (status === null || r.status === status))
    .sort((a, b) => b.id - a.id);
  if ((call.query.get("filter") ?? "latest") === "latest") {
    // "latest" keeps the most recent run of each name.
    const seen = new Set<string>();
    runs = runs.filter((r) => !seen.has(r.name) && seen.add(r.name));
  }
  const { page, headers } = paginate(runs, call, sim.api);
  return ok(
    {
      total_count: runs.length,
      check_runs: page.map((r) => checkRunJson(r, repo, sim.state.app, sim.api, sim.state.pullsWithHead(repo.id, r.head_sha))),
    },
    headers,
  );
}

// --- comments and reactions ------------------------------------------------------

function commentReply(sim: SimContext, repo: RepoRecord, id: number, status = 200): Reply {
  const c = sim.state.comments.get(id)!;
  const reactions = sim.state.reactions.filter((r) => r.commentId === id);
  return { status, body: commentJson(c, repo, sim.state.app, sim.api, reactions) };
}

/** The comment of the path, if the installation may `level` its issue's comments. */
function commentOf(call: Call, sim: SimContext, repo: RepoRecord, level: "read" | "write") {
  const c = sim.state.comments.get(Number(call.params.comment_id));
  if (!c || c.repoId !== repo.id) throw notFound();
  requirePermission(sim, ...onIssue(repo, c.issue_number, level));
  return c;
}

/** A body field the description requires (the server has checked it is there and a string). */
function requiredBody(call: Call, field: string): string {
  return bodyObject(call)[field] as string;
}

/** GitHub stores at most this many characters in an issue or pull request comment. */
const MAX_COMMENT = 65536;

function commentBody(call: Call): string {
  const body = requiredBody(call, "body");
  if (body.length > MAX_COMMENT) {
    throw validationFailed(call.docs, {
      resource: "IssueComment",
      code: "unprocessable",
      field: "data",
      message: `Body cannot be more than ${MAX_COMMENT} characters`,
    });
  }
  return body;
}

// --- permissions -------------------------------------------------------------------

/** `permission` is the legacy base role: maintain reads as write, triage as read. */
const LEGACY: Record<Role, string> = { admin: "admin", maintain: "write", write: "write", triage: "read", read: "read", none: "none" };
const RANK: Role[] = ["none", "read", "triage", "write", "maintain", "admin"];

function permissionReply(call: Call, sim: SimContext): Reply {
  const repo = repoOf(call, sim);
  const login = call.params.username!;
  if (!sim.state.hasUser(login)) throw notFound();
  const role = sim.state.role(repo, login);
  const at = (r: Role) => RANK.indexOf(role) >= RANK.indexOf(r);
  return ok({
    permission: LEGACY[role],
    role_name: role,
    user: {
      ...userJson(accountFor(login), sim.api),
      permissions: { admin: at("admin"), maintain: at("maintain"), push: at("write"), triage: at("triage"), pull: at("read") },
      role_name: role,
    },
  });
}

/** Every REST route the simulator answers, in match order. */
export const ROUTES: Route[] = [
  // --- the manifest flow (no credential: the one-time code is the secret) ---
  route("POST", "/app-manifests/{code}/conversions", "app", "none", "apps/apps#create-a-github-app-from-a-manifest", (call, sim) => {
    const app = sim.convertManifest(call.params.code!);
    if (!app) throw notFound();
    return { status: 201, body: app };
  }),

  // --- as the app (JWT) ---
  route("GET", "/app", "app", "jwt", "apps/apps#get-the-authenticated-app", (_call, sim) => {
    const count = [...sim.state.installations.values()].filter((i) => !i.deleted).length;
    return ok(appJson(sim.state.app, sim.api, count));
  }),
  route("GET", "/app/installations", "installations", "jwt", "apps/apps#list-installations-for-the-authenticated-app", (call, sim) => {
    const live = [...sim.state.installations.values()].filter((i) => !i.deleted).sort((a, b) => a.id - b.id);
    const { page, headers } = paginate(live, call, sim.api);
    return ok(
      page.map((i) => installationJson(i, sim.state.app, sim.api)),
      headers,
    );
  }),
  route(
    "GET",
    "/app/installations/{installation_id}",
    "installations",
    "jwt",
    "apps/apps#get-an-installation-for-the-authenticated-app",
    (call, sim) => ok(installationJson(liveInstallation(call, sim), sim.state.app, sim.api)),
  ),
  route(
    "DELETE",
    "/app/installations/{installation_id}",
    "installations",
    "jwt",
    "apps/apps#delete-an-installation-for-the-authenticated-app",
    (call, sim) => {
      const inst = liveInstallation(call, sim);
      inst.deleted = true;
      inst.deleted_at = inst.updated_at = now();
      sim.tokens.revoke(inst.id);
      return { status: 204 };
    },
  ),
  route(
    "PUT",
    "/app/installations/{installation_id}/suspended",
    "installations",
    "jwt",
    "apps/apps#suspend-an-app-installation",
    (call, sim) => {
      const inst = liveInstallation(call, sim);
      inst.suspended_at = inst.updated_at = now();
      inst.suspended_by = sim.state.bot;
      return { status: 204 };
    },
  ),
  route(
    "DELETE",
    "/app/installations/{installation_id}/suspended",
    "installations",
    "jwt",
    "apps/apps#unsuspend-an-app-installation",
    (call, sim) => {
      const inst = liveInstallation(call, sim);
      inst.suspended_at = null;
      inst.suspended_by = null;
      inst.updated_at = now();
      return { status: 204 };
    },
  ),
  route(
    "POST",
    "/app/installations/{installation_id}/access_tokens",
    "access-tokens",
    "jwt",
    "apps/apps#create-an-installation-access-token-for-an-app",
    (call, sim) => {
      const inst = liveInstallation(call, sim);
      if (inst.suspended_at) throw new HttpError(403, "This installation has been suspended");
      const { token, expiresAt } = sim.tokens.issue(inst.id);
      const body = installationJson(inst, sim.state.app, sim.api);
      return {
        status: 201,
        body: { token, expires_at: expiresAt, permissions: body.permissions, repository_selection: body.repository_selection },
      };
    },
  ),
  route(
    "GET",
    "/repos/{owner}/{repo}/installation",
    "installations",
    "jwt",
    "apps/apps#get-a-repository-installation-for-the-authenticated-app",
    (call, sim) => {
      const repo = sim.state.repo(call.params.owner!, call.params.repo!);
      const inst = repo && sim.state.liveInstallation(repo.installationId);
      if (!inst) throw notFound();
      return ok(installationJson(inst, sim.state.app, sim.api));
    },
  ),

  // --- as a user (a user access token from the App's OAuth flow) ---
  route("GET", "/user", "users", "user", "users/users#get-the-authenticated-user", authenticatedUser),
  route(
    "GET",
    "/user/installations",
    "users",
    "user",
    "apps/installations#list-app-installations-accessible-to-the-user-access-token",
    userInstallations,
  ),
  route(
    "GET",
    "/user/installations/{installation_id}/repositories",
    "users",
    "user",
    "apps/installations#list-repositories-accessible-to-the-user-access-token",
    userInstallationRepos,
  ),

  // --- as an installation (access token) ---
  route(
    "GET",
    "/installation/repositories",
    "repos",
    "installation",
    "apps/installations#list-repositories-accessible-to-the-app-installation",
    (call, sim) => {
      const repos = sim.state.reposOf(call.installationId!).sort((a, b) => a.id - b.id);
      const { page, headers } = paginate(repos, call, sim.api);
      return ok(
        { total_count: repos.length, repository_selection: "selected", repositories: page.map((r) => repoJson(r, sim.api)) },
        headers,
      );
    },
  ),
  route("GET", "/repos/{owner}/{repo}", "repos", "installation", "repos/repos#get-a-repository", (call, sim) =>
    ok(repoJson(repoOf(call, sim), sim.api)),
  ),
  route("GET", "/repos/{owner}/{repo}/contents", "contents", "installation", "repos/contents#get-repository-content", getContents),
  route("GET", "/repos/{owner}/{repo}/contents/{path*}", "contents", "installation", "repos/contents#get-repository-content", getContents),
  route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", "pulls", "installation", "pulls/pulls#get-a-pull-request", (call, sim) => {
    const repo = repoOf(call, sim);
    const pr = sim.state.pull(repo, Number(call.params.pull_number));
    if (!pr) throw notFound();
    return ok(pullJson(pr, repo, sim.state.repoById(pr.headRepoId) ?? repo, sim.api));
  }),
  route(
    "GET",
    "/repos/{owner}/{repo}/pulls/{pull_number}/files",
    "pulls",
    "installation",
    "pulls/pulls#list-pull-requests-files",
    (call, sim) => {
      const repo = repoOf(call, sim);
      const pr = sim.state.pull(repo, Number(call.params.pull_number));
      if (!pr) throw notFound();
      const full = `${repo.owner.login}/${repo.name}`;
      const files = pr.files.map((f) => {
        const additions = f.additions ?? 0;
        const deletions = f.deletions ?? 0;
        return {
          sha: blobSha(`${pr.head_sha}:${f.filename}`),
          filename: f.filename,
          status: f.status,
          additions,
          deletions,
          changes: additions + deletions,
          blob_url: `${WEB}/${full}/blob/${pr.head_sha}/${f.filename}`,
          raw_url: `${WEB}/${full}/raw/${pr.head_sha}/${f.filename}`,
          contents_url: `${sim.api}/repos/${full}/contents/${f.filename}?ref=${pr.head_sha}`,
          ...(f.previous_filename ? { previous_filename: f.previous_filename } : {}),
        };
      });
      const { page, headers } = paginate(files, call, sim.api);
      return ok(page, headers);
    },
  ),

  route("POST", "/repos/{owner}/{repo}/check-runs", "check-runs", "installation", "checks/runs#create-a-check-run", (call, sim) => {
    const repo = repoOf(call, sim);
    try {
      const run = writeCheckRun(sim.state, repo, undefined, bodyObject(call), "rest");
      return checkRunReply(sim, repo, run.id, 201);
    } catch (e) {
      return invalid(e, call);
    }
  }),
  route(
    "GET",
    "/repos/{owner}/{repo}/check-runs/{check_run_id}",
    "check-runs",
    "installation",
    "checks/runs#get-a-check-run",
    (call, sim) => {
      const repo = repoOf(call, sim);
      return checkRunReply(sim, repo, runOf(call, sim, repo).id);
    },
  ),
  route(
    "PATCH",
    "/repos/{owner}/{repo}/check-runs/{check_run_id}",
    "check-runs",
    "installation",
    "checks/runs#update-a-check-run",
    (call, sim) => {
      const repo = repoOf(call, sim);
      const run = runOf(call, sim, repo);
      try {
        // `head_sha` cannot be changed; GitHub ignores it on update.
        const input = { ...bodyObject(call) };
        delete input.head_sha;
        writeCheckRun(sim.state, repo, run, input, "rest");
      } catch (e) {
        invalid(e, call);
      }
      return checkRunReply(sim, repo, run.id);
    },
  ),
  route(
    "GET",
    "/repos/{owner}/{repo}/commits/{ref}/check-runs",
    "check-runs",
    "installation",
    "checks/runs#list-check-runs-for-a-git-reference",
    listCheckRuns,
  ),

  route(
    "POST",
    "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    "comments",
    "installation",
    "issues/comments#create-an-issue-comment",
    (call, sim) => {
      const repo = repoOf(call, sim);
      const issue = Number(call.params.issue_number);
      if (!repo.issues.has(issue)) throw notFound();
      requirePermission(sim, ...onIssue(repo, issue, "write"));
      const c = sim.state.newComment(repo, issue, commentBody(call), sim.state.bot, true);
      return commentReply(sim, repo, c.id, 201);
    },
  ),
  route(
    "GET",
    "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    "comments",
    "installation",
    "issues/comments#list-issue-comments",
    (call, sim) => {
      const repo = repoOf(call, sim);
      const n = Number(call.params.issue_number);
      requirePermission(sim, ...onIssue(repo, n, "read"));
      const all = [...sim.state.comments.values()].filter((c) => c.repoId === repo.id && c.issue_number === n).sort((a, b) => a.id - b.id);
      const { page, headers } = paginate(all, call, sim.api);
      return ok(
        page.map((c) => commentReply(sim, repo, c.id).body),
        headers,
      );
    },
  ),
  route(
    "GET",
    "/repos/{owner}/{repo}/issues/comments/{comment_id}",
    "comments",
    "installation",
    "issues/comments#get-an-issue-comment",
    (call, sim) => {
      const repo = repoOf(call, sim);
      return commentReply(sim, repo, commentOf(call, sim, repo, "read").id);
    },
  ),
  route(
    "PATCH",
    "/repos/{owner}/{repo}/issues/comments/{comment_id}",
    "comments",
    "installation",
    "issues/comments#update-an-issue-comment",
    (call, sim) => {
      const repo = repoOf(call, sim);
      const c = commentOf(call, sim, repo, "write");
      // Apps may only edit their own comments.
      if (c.author.login !== sim.state.bot.login) throw new HttpError(403, "Resource not accessible by integration");
      c.body = commentBody(call);
      c.updated_at = now();
      return commentReply(sim, repo, c.id);
    },
  ),
  route(
    "POST",
    "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
    "reactions",
    "installation",
    "reactions/reactions#create-reaction-for-an-issue-comment",
    (call, sim) => {
      const repo = repoOf(call, sim);
      const c = commentOf(call, sim, repo, "write");
      const content = requiredBody(call, "content");
      const bot = sim.state.bot;
      // The same reaction by the same user is not duplicated: 200 with the existing one.
      const existing = sim.state.reactions.find((r) => r.commentId === c.id && r.content === content && r.user.login === bot.login);
      if (existing) return ok(reactionJson(existing, sim.api));
      return { status: 201, body: reactionJson(sim.state.newReaction(c.id, content, bot), sim.api) };
    },
  ),
  route(
    "GET",
    "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
    "reactions",
    "installation",
    "reactions/reactions#list-reactions-for-an-issue-comment",
    (call, sim) => {
      const repo = repoOf(call, sim);
      const c = commentOf(call, sim, repo, "read");
      const content = call.query.get("content");
      const all = sim.state.reactions.filter((r) => r.commentId === c.id && (content === null || r.content === content));
      const { page, headers } = paginate(all, call, sim.api);
      return ok(
        page.map((r) => reactionJson(r, sim.api)),
        headers,
      );
    },
  ),

  route(
    "GET",
    "/repos/{owner}/{repo}/collaborators/{username}/permission",
    "collaborators",
    "installation",
    "collaborators/collaborators#get-repository-permissions-for-a-user",
    permissionReply,
  ),
];

/** The route for a request, with its path parameters (URL-decoded). */
export function matchRoute(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.groups ?? {})) params[k] = decodeURIComponent(v ?? "");
    return { route: r, params };
  }
  return undefined;
}
