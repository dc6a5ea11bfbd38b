/** What the installation routes (`installation-routes.ts`) share: the repository a token may see, contents, check runs, comments and permissions as GitHub answers them. */
import { CheckRunInvalid } from "./checks.js";
import { blobSha } from "./ids.js";
import {
  HttpError,
  notFound,
  paginate,
  requirePermission,
  validationFailed,
  type Call,
  type Permission,
  type Reply,
  type SimContext,
} from "./http.js";
import { checkRunJson, commentJson, userJson, WEB } from "./shapes.js";
import { accountFor, normalizeRef, type RepoRecord, type Role } from "./state.js";
import { ok } from "./routes.js";

/** A pull request's comments answer to `pull_requests` or `issues`; a plain issue's to `issues` only. */
export function onIssue(repo: RepoRecord, issue: number, level: "read" | "write"): Permission[] {
  return repo.pullNumbers.has(issue)
    ? [
        ["issues", level],
        ["pull_requests", level],
      ]
    : [["issues", level]];
}

/** The repository named in the path, if the token's installation can see it. */
export function repoOf(call: Call, sim: SimContext): RepoRecord {
  const repo = sim.state.repo(call.params.owner!, call.params.repo!);
  if (!repo || repo.installationId !== call.installationId) throw notFound();
  return repo;
}
export function bodyObject(call: Call): Record<string, unknown> {
  if (call.body === undefined || call.body === null) return {};
  if (typeof call.body !== "object" || Array.isArray(call.body)) throw new HttpError(400, "Problems parsing JSON");
  return call.body as Record<string, unknown>;
}

export function invalid(e: unknown, call: Call): never {
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

export function getContents(call: Call, sim: SimContext): Reply {
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

export function checkRunReply(sim: SimContext, repo: RepoRecord, id: number, status = 200): Reply {
  const run = sim.state.checkRuns.get(id)!;
  return { status, body: checkRunJson(run, repo, sim.state.app, sim.api, sim.state.pullsWithHead(repo.id, run.head_sha)) };
}

export function runOf(call: Call, sim: SimContext, repo: RepoRecord) {
  const run = sim.state.checkRuns.get(Number(call.params.check_run_id));
  if (!run || run.repoId !== repo.id) throw notFound();
  return run;
}

export function listCheckRuns(call: Call, sim: SimContext): Reply {
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

export function commentReply(sim: SimContext, repo: RepoRecord, id: number, status = 200): Reply {
  const c = sim.state.comments.get(id)!;
  const reactions = sim.state.reactions.filter((r) => r.commentId === id);
  return { status, body: commentJson(c, repo, sim.state.app, sim.api, reactions) };
}

/** The comment of the path, if the installation may `level` its issue's comments. */
export function commentOf(call: Call, sim: SimContext, repo: RepoRecord, level: "read" | "write") {
  const c = sim.state.comments.get(Number(call.params.comment_id));
  if (!c || c.repoId !== repo.id) throw notFound();
  requirePermission(sim, ...onIssue(repo, c.issue_number, level));
  return c;
}

/** A body field the description requires (the server has checked it is there and a string). */
export function requiredBody(call: Call, field: string): string {
  return bodyObject(call)[field] as string;
}

/** GitHub stores at most this many characters in an issue or pull request comment. */
const MAX_COMMENT = 65536;

export function commentBody(call: Call): string {
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

export function permissionReply(call: Call, sim: SimContext): Reply {
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
