/** Webhook payloads of someone acting on an issue or pull request: an `issue_comment`, a check run's button (`check_run`). See `payloads.ts`. */
import { nodeId, pullRequestId, stableId } from "./ids.js";
import { learn } from "./known.js";
import { projectManifest } from "./manifest.js";
import type { SimRepo } from "./server.js";
import { userJson, WEB } from "./shapes.js";
import { accountFor, now } from "./state.js";
import { ZERO_SHA, apiOf, envelope, newPayloadId, reactionRollup, user } from "./payload-parts.js";

export interface IssueCommentEventOptions {
  repo: SimRepo;
  issueNumber: number;
  isPullRequest: boolean;
  body: string;
  /** Who wrote the comment. */
  author: string;
  /** Who opened the issue or pull request (default: the comment's author). */
  issueAuthor?: string;
  /** Use the id of `sim.addComment(…)` so reactions to it reach a real comment. */
  commentId?: number;
  action?: "created" | "edited" | "deleted";
}

/** `issue_comment.<action>`; on pull requests `issue.pull_request` is set, as on GitHub. */
export function issueCommentEvent(o: IssueCommentEventOptions) {
  const { repo } = o;
  const api = apiOf(repo);
  const commentId = o.commentId ?? newPayloadId();
  learn(repo, { users: [o.author, o.issueAuthor], ...(o.isPullRequest ? { pulls: [o.issueNumber] } : { issues: [o.issueNumber] }) });
  const at = now();
  const issueUrl = `${repo.url}/issues/${o.issueNumber}`;
  const issueHtml = `${repo.html_url}/${o.isPullRequest ? "pull" : "issues"}/${o.issueNumber}`;
  const issueId = stableId(`issue:${repo.full_name}#${o.issueNumber}`);
  const association = o.author.toLowerCase() === repo.owner.login.toLowerCase() ? "OWNER" : "CONTRIBUTOR";
  return {
    action: o.action ?? "created",
    issue: {
      url: issueUrl,
      repository_url: repo.url,
      comments_url: `${issueUrl}/comments`,
      labels_url: `${issueUrl}/labels{/name}`,
      events_url: `${issueUrl}/events`,
      html_url: issueHtml,
      id: issueId,
      node_id: nodeId(o.isPullRequest ? "PullRequest" : "Issue", issueId),
      number: o.issueNumber,
      title: `${o.isPullRequest ? "Pull request" : "Issue"} #${o.issueNumber}`,
      user: user(o.issueAuthor ?? o.author, api),
      labels: [],
      state: "open",
      locked: false,
      active_lock_reason: null,
      milestone: null,
      assignee: null,
      assignees: [],
      comments: 1,
      created_at: at,
      updated_at: at,
      closed_at: null,
      author_association: association,
      body: null,
      reactions: reactionRollup(issueUrl),
      ...(o.isPullRequest
        ? {
            pull_request: {
              url: `${repo.url}/pulls/${o.issueNumber}`,
              html_url: issueHtml,
              diff_url: `${issueHtml}.diff`,
              patch_url: `${issueHtml}.patch`,
              merged_at: null,
            },
          }
        : {}),
    },
    comment: {
      url: `${repo.url}/issues/comments/${commentId}`,
      html_url: `${issueHtml}#issuecomment-${commentId}`,
      issue_url: issueUrl,
      id: commentId,
      node_id: nodeId("IssueComment", commentId),
      user: user(o.author, api),
      created_at: at,
      updated_at: at,
      author_association: association,
      body: o.body,
      reactions: reactionRollup(`${repo.url}/issues/comments/${commentId}`),
      performed_via_github_app: null,
    },
    ...envelope(repo, o.author),
  };
}

/** A check run as `sim.checkRuns()` or the REST API returns it. */
export interface CheckRunLike {
  id: number;
  node_id: string;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  external_id?: string | null;
  details_url?: string | null;
  started_at?: string | null;
  completed_at?: string | null;
  output?: { title?: string | null; summary?: string | null; text?: string | null };
  app: { id: number; slug?: string };
  check_suite_id?: number;
  check_suite?: { id: number };
}

export interface CheckRunEventOptions {
  repo: SimRepo;
  checkRun: CheckRunLike;
  /** `requested_action` only: the identifier of the button that was pressed. */
  identifier?: string;
  sender: string;
  /** Open pull requests whose head is the run's head. */
  pullRequests?: Array<{ number: number; headRef?: string; baseRef?: string; baseSha?: string }>;
}

/** `check_run.requested_action` (a button was pressed) or `check_run.rerequested` ("Re-run"). */
export function checkRunEvent(action: "requested_action" | "rerequested", o: CheckRunEventOptions) {
  const { repo, checkRun: run } = o;
  const api = apiOf(repo);
  const manifest = projectManifest();
  learn(repo, { commits: [run.head_sha] });
  const slug = run.app.slug ?? "packit-sim";
  const app = {
    id: run.app.id,
    slug,
    node_id: nodeId("App", run.app.id),
    owner: userJson(accountFor("packit", "Organization"), api),
    name: slug,
    description: "",
    external_url: "https://packit.dev",
    html_url: `${WEB}/apps/${slug}`,
    created_at: "2019-01-01T00:00:00Z",
    updated_at: "2019-01-01T00:00:00Z",
    // What this project's app.yml registers, as the simulated App does.
    permissions: manifest.default_permissions as Record<string, string>,
    events: manifest.default_events as string[],
  };
  const repoRef = { id: repo.id, url: repo.url, name: repo.name };
  const pulls = (o.pullRequests ?? []).map((p) => ({
    url: `${repo.url}/pulls/${p.number}`,
    id: pullRequestId(repo.id, p.number),
    number: p.number,
    head: { ref: p.headRef ?? `pr-${p.number}`, sha: run.head_sha, repo: repoRef },
    base: { ref: p.baseRef ?? repo.default_branch, sha: p.baseSha ?? ZERO_SHA, repo: repoRef },
  }));
  const suiteId = run.check_suite?.id ?? run.check_suite_id ?? 0;
  const url = `${repo.url}/check-runs/${run.id}`;
  return {
    action,
    check_run: {
      id: run.id,
      node_id: run.node_id,
      head_sha: run.head_sha,
      external_id: run.external_id ?? "",
      url,
      html_url: `${repo.html_url}/runs/${run.id}`,
      // Without one of its own, GitHub shows the App's homepage.
      details_url: run.details_url ?? app.external_url,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.started_at ?? null,
      completed_at: run.completed_at ?? null,
      output: {
        title: run.output?.title ?? null,
        summary: run.output?.summary ?? null,
        text: run.output?.text ?? null,
        annotations_count: 0,
        annotations_url: `${url}/annotations`,
      },
      name: run.name,
      check_suite: {
        id: suiteId,
        node_id: nodeId("CheckSuite", suiteId),
        head_branch: o.pullRequests?.[0]?.headRef ?? null,
        head_sha: run.head_sha,
        status: run.status,
        conclusion: run.conclusion,
        url: `${repo.url}/check-suites/${suiteId}`,
        before: null,
        after: run.head_sha,
        pull_requests: pulls,
        app,
      },
      app,
      pull_requests: pulls,
    },
    ...(action === "requested_action" ? { requested_action: { identifier: o.identifier ?? "" } } : {}),
    ...envelope(repo, o.sender),
  };
}
