/**
 * Webhook payloads in GitHub's shapes (after octokit/webhooks `payload-examples`),
 * trimmed to what apps read but keeping every field a Probot app typically uses:
 * `installation.id`, the full `repository`, `sender`, and the event's own object.
 * Builders take the repository object `sim.addRepo()` returned, so repository,
 * owner and installation ids line up with what the simulated API serves. Here: pull
 * requests, pushes, installations, releases; comments and check-run buttons are in
 * `action-payloads.ts`.
 */
import { nodeId, pullRequestId } from "./ids.js";
import { learn } from "./known.js";
import type { SimInstallation, SimRepo } from "./server.js";
import { repoStub } from "./shapes.js";
import { now } from "./state.js";
import { ZERO_SHA, apiOf, envelope, label, newPayloadId, user } from "./payload-parts.js";

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

interface PushCommit {
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
  const id = newPayloadId();
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
