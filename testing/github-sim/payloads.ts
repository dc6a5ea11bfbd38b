/**
 * Webhook payloads in GitHub's shapes (after octokit/webhooks `payload-examples`),
 * trimmed to what apps read but keeping every field a Probot app typically uses:
 * `installation.id`, the full `repository`, `sender`, and the event's own object.
 * Builders take the repository object `sim.addRepo()` returned, so repository,
 * owner and installation ids line up with what the simulated API serves.
 */
import { nodeId, pullRequestId, stableId } from "./ids.js";
import { learn } from "./known.js";
import { projectManifest } from "./manifest.js";
import type { SimInstallation, SimRepo } from "./server.js";
import { repoStub, userJson, WEB } from "./shapes.js";
import { accountFor, now } from "./state.js";

const ZERO_SHA = "0".repeat(40);
let nextId = 800_000_000;

const apiOf = (repo: { url: string }) => new URL(repo.url).origin;
const user = (login: string, api: string) => userJson(accountFor(login), api);

/** `repository`, `organization` (org-owned repos), `sender` and `installation`, common to repository events. */
function envelope(repo: SimRepo, sender: string) {
  learn(repo, { users: [sender] });
  const { installationId, ...repository } = repo;
  const api = apiOf(repo);
  const org = repository.owner.type === "Organization" ? repository.owner : undefined;
  return {
    repository,
    ...(org
      ? {
          organization: {
            login: org.login,
            id: org.id,
            node_id: org.node_id,
            url: `${api}/orgs/${org.login}`,
            repos_url: `${api}/orgs/${org.login}/repos`,
            events_url: `${api}/orgs/${org.login}/events`,
            hooks_url: `${api}/orgs/${org.login}/hooks`,
            issues_url: `${api}/orgs/${org.login}/issues`,
            members_url: `${api}/orgs/${org.login}/members{/member}`,
            public_members_url: `${api}/orgs/${org.login}/public_members{/member}`,
            avatar_url: org.avatar_url,
            description: null,
          },
        }
      : {}),
    sender: user(sender, api),
    installation: { id: installationId, node_id: nodeId("IntegrationInstallation", installationId) },
  };
}

function label(name: string, repo: SimRepo) {
  const id = stableId(`label:${repo.full_name}:${name}`);
  return {
    id,
    node_id: nodeId("Label", id),
    url: `${repo.url}/labels/${encodeURIComponent(name)}`,
    name,
    color: "ededed",
    default: false,
    description: null,
  };
}

/** No reactions yet, in GitHub's rollup form. */
const reactionRollup = (of: string) => ({
  url: `${of}/reactions`,
  total_count: 0,
  "+1": 0,
  "-1": 0,
  laugh: 0,
  hooray: 0,
  confused: 0,
  heart: 0,
  rocket: 0,
  eyes: 0,
});

export type PullRequestAction = "opened" | "synchronize" | "reopened" | "closed" | "edited" | "labeled" | "unlabeled" | "ready_for_review";

export interface PullRequestEventOptions {
  repo: SimRepo;
  number: number;
  headSha: string;
  headRef?: string;
  baseRef?: string;
  baseSha?: string;
  /** `synchronize` only: the previous head. */
  before?: string;
  /** `synchronize` only: the new head (default `headSha`). */
  after?: string;
  author: string;
  /** Who acted (default the author). */
  sender?: string;
  labels?: string[];
  title?: string;
  draft?: boolean;
  /** `closed` only: whether it was merged. */
  merged?: boolean;
  /** A pull request from a fork: the fork (`sim.addRepo({fork: true, …})`) its head branch lives in. */
  headRepo?: SimRepo;
}

/** `pull_request.<action>`; `synchronize` carries `before`/`after` like GitHub's. */
export function pullRequestEvent(action: PullRequestAction, o: PullRequestEventOptions) {
  const { repo } = o;
  const api = apiOf(repo);
  const { installationId: _, ...repository } = repo;
  const headRepository = o.headRepo ? (({ installationId: _i, ...fork }) => fork)(o.headRepo) : repository;
  learn(repo, { commits: [o.headSha, o.baseSha, o.before, o.after], users: [o.author], pulls: [o.number] });
  const id = pullRequestId(repo.id, o.number);
  const at = now();
  const closed = action === "closed";
  const merged = closed && (o.merged ?? false);
  const side = (r: typeof repository, ref: string, sha: string) => ({ label: `${r.owner.login}:${ref}`, ref, sha, user: r.owner, repo: r });
  const url = `${repo.url}/pulls/${o.number}`;
  const html = `${repo.html_url}/pull/${o.number}`;
  return {
    action,
    number: o.number,
    pull_request: {
      url,
      id,
      node_id: nodeId("PullRequest", id),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: `${repo.url}/issues/${o.number}`,
      commits_url: `${url}/commits`,
      comments_url: `${repo.url}/issues/${o.number}/comments`,
      statuses_url: `${repo.url}/statuses/${o.headSha}`,
      review_comments_url: `${url}/comments`,
      review_comment_url: `${repo.url}/pulls/comments{/number}`,
      number: o.number,
      state: closed ? "closed" : "open",
      locked: false,
      active_lock_reason: null,
      title: o.title ?? `Pull request #${o.number}`,
      user: user(o.author, api),
      body: null,
      labels: (o.labels ?? []).map((n) => label(n, repo)),
      milestone: null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      created_at: at,
      updated_at: at,
      closed_at: closed ? at : null,
      merged_at: merged ? at : null,
      merge_commit_sha: null,
      draft: o.draft ?? false,
      head: side(headRepository, o.headRef ?? `pr-${o.number}`, o.headSha),
      base: side(repository, o.baseRef ?? repo.default_branch, o.baseSha ?? ZERO_SHA),
      _links: {
        self: { href: url },
        html: { href: html },
        issue: { href: `${repo.url}/issues/${o.number}` },
        comments: { href: `${repo.url}/issues/${o.number}/comments` },
        review_comments: { href: `${url}/comments` },
        review_comment: { href: `${repo.url}/pulls/comments{/number}` },
        commits: { href: `${url}/commits` },
        statuses: { href: `${repo.url}/statuses/${o.headSha}` },
      },
      author_association: o.author.toLowerCase() === repo.owner.login.toLowerCase() ? "OWNER" : "CONTRIBUTOR",
      auto_merge: null,
      merged,
      merged_by: merged ? user(o.sender ?? o.author, api) : null,
      mergeable: null,
      rebaseable: null,
      mergeable_state: "unknown",
      maintainer_can_modify: false,
      review_comments: 0,
      comments: 0,
      commits: 1,
      additions: 0,
      deletions: 0,
      changed_files: 0,
    },
    ...(action === "synchronize" ? { before: o.before ?? ZERO_SHA, after: o.after ?? o.headSha } : {}),
    ...envelope(repo, o.sender ?? o.author),
  };
}

export interface PushCommit {
  id: string;
  added?: string[];
  modified?: string[];
  removed?: string[];
  message?: string;
}

export interface PushEventOptions {
  repo: SimRepo;
  /** `refs/heads/<branch>` (a bare branch name is expanded). */
  ref: string;
  before: string;
  /** The new head; ignored (all zeros) when `deleted`. */
  after: string;
  commits: PushCommit[];
  deleted?: boolean;
  forced?: boolean;
  pusher?: string;
}

/** `push`, with `created`/`deleted` derived from the all-zero sha as GitHub does. */
export function pushEvent(o: PushEventOptions) {
  const { repo } = o;
  const pusher = o.pusher ?? repo.owner.login;
  const ref = o.ref.startsWith("refs/") ? o.ref : `refs/heads/${o.ref}`;
  const after = o.deleted ? ZERO_SHA : o.after;
  learn(repo, { commits: [o.before, after, ...o.commits.map((c) => c.id)], users: [pusher] });
  const person = { name: pusher, email: `${pusher}@users.noreply.github.com`, username: pusher };
  const commits = o.deleted
    ? []
    : o.commits.map((c) => ({
        id: c.id,
        tree_id: c.id.split("").reverse().join(""),
        distinct: true,
        message: c.message ?? `Commit ${c.id.slice(0, 7)}`,
        timestamp: now(),
        url: `${repo.html_url}/commit/${c.id}`,
        author: person,
        committer: person,
        added: c.added ?? [],
        removed: c.removed ?? [],
        modified: c.modified ?? [],
      }));
  const env = envelope(repo, pusher);
  const created = Math.floor(Date.parse(repo.created_at) / 1000);
  return {
    ref,
    before: o.before,
    after,
    // Push payloads describe the repository with unix-time dates and a named owner.
    repository: {
      ...env.repository,
      owner: { ...env.repository.owner, name: repo.owner.login, email: null },
      created_at: created,
      pushed_at: Math.floor(Date.now() / 1000),
      master_branch: repo.default_branch,
    },
    pusher: { name: pusher, email: person.email },
    sender: env.sender,
    installation: env.installation,
    ...("organization" in env ? { organization: env.organization } : {}),
    created: o.before === ZERO_SHA,
    deleted: o.deleted ?? false,
    forced: o.forced ?? false,
    base_ref: null,
    compare: `${repo.html_url}/compare/${o.before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits,
    head_commit: commits.at(-1) ?? null,
  };
}

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
  const commentId = o.commentId ?? ++nextId;
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

export type InstallationAction = "created" | "deleted" | "suspend" | "unsuspend" | "new_permissions_accepted";

export interface InstallationEventOptions {
  /** As `sim.addInstallation()` returned it. */
  installation: SimInstallation;
  /** `created`/`deleted`: the repositories the installation covers. */
  repositories?: SimRepo[];
  sender: string;
}

/** `installation.<action>`; `suspend`/`unsuspend` set or clear `suspended_at`/`suspended_by`. */
export function installationEvent(action: InstallationAction, o: InstallationEventOptions) {
  const api = new URL(o.installation.access_tokens_url).origin;
  const sender = user(o.sender, api);
  const suspended =
    action === "suspend"
      ? { suspended_at: o.installation.suspended_at ?? now(), suspended_by: sender }
      : action === "unsuspend"
        ? { suspended_at: null, suspended_by: null }
        : {};
  return {
    action,
    installation: { ...o.installation, ...suspended },
    ...(action === "created" || action === "deleted" ? { repositories: (o.repositories ?? []).map(repoStub) } : {}),
    ...(action === "created" ? { requester: null } : {}),
    sender,
  };
}

export interface InstallationRepositoriesEventOptions {
  installation: SimInstallation;
  added?: SimRepo[];
  removed?: SimRepo[];
  sender: string;
}

/** `installation_repositories.added` / `.removed`. */
export function installationRepositoriesEvent(action: "added" | "removed", o: InstallationRepositoriesEventOptions) {
  const api = new URL(o.installation.access_tokens_url).origin;
  return {
    action,
    installation: o.installation,
    repository_selection: o.installation.repository_selection,
    repositories_added: (o.added ?? []).map(repoStub),
    repositories_removed: (o.removed ?? []).map(repoStub),
    requester: null,
    sender: user(o.sender, api),
  };
}

export interface ReleaseEventOptions {
  repo: SimRepo;
  tagName: string;
  /** Branch or sha the tag points at (default the default branch). */
  targetCommitish?: string;
  name?: string;
  author: string;
  body?: string;
  draft?: boolean;
  prerelease?: boolean;
}

/** `release.<action>` (Packit reacts to `published`). */
export function releaseEvent(action: "published" | "created" | "released" | "prereleased" | "edited" | "deleted", o: ReleaseEventOptions) {
  const { repo } = o;
  const id = ++nextId;
  const at = now();
  const url = `${repo.url}/releases/${id}`;
  learn(repo, { users: [o.author], tags: { [o.tagName]: o.targetCommitish ?? repo.default_branch } });
  return {
    action,
    release: {
      url,
      assets_url: `${url}/assets`,
      upload_url: `https://uploads.github.com/repos/${repo.full_name}/releases/${id}/assets{?name,label}`,
      html_url: `${repo.html_url}/releases/tag/${o.tagName}`,
      id,
      node_id: nodeId("Release", id),
      tag_name: o.tagName,
      target_commitish: o.targetCommitish ?? repo.default_branch,
      name: o.name ?? o.tagName,
      draft: o.draft ?? false,
      prerelease: o.prerelease ?? false,
      created_at: at,
      updated_at: at,
      published_at: at,
      immutable: false,
      author: user(o.author, apiOf(repo)),
      assets: [],
      tarball_url: `${repo.url}/tarball/${o.tagName}`,
      zipball_url: `${repo.url}/zipball/${o.tagName}`,
      body: o.body ?? null,
    },
    ...envelope(repo, o.author),
  };
}
