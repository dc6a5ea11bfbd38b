/** The REST routes an installation access token reaches: repositories, contents, pull requests, check runs, comments, reactions, permissions. */
import { writeCheckRun } from "./checks.js";
import { blobSha } from "./ids.js";
import { HttpError, notFound, paginate, requirePermission } from "./http.js";
import { pullJson, reactionJson, repoJson, WEB } from "./shapes.js";
import { now } from "./state.js";
import { type Route, ok, route } from "./routes.js";
import {
  bodyObject,
  checkRunReply,
  commentBody,
  commentOf,
  commentReply,
  getContents,
  invalid,
  onIssue,
  listCheckRuns,
  permissionReply,
  repoOf,
  requiredBody,
  runOf,
} from "./repo-replies.js";

/** Routes in match order. */
export const INSTALLATION_ROUTES: Route[] = [
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
