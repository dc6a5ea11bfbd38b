/** The records `GitHubSim.addInstallation()`, `addRepo()` and `addPullRequest()` add to the state, and how `installations()` shows one. */
import { nodeId, pullRequestId } from "./ids.js";
import type { AddPullRequestOptions, AddRepoOptions, InstallationView } from "./options.js";
import { accountFor, now, type Account, type InstallationRecord, type PullRecord, type RepoRecord } from "./state.js";

/** A repository as `opts` describe it, with no commits, refs or issues yet (the caller adds its head). */
export function newRepoRecord(opts: AddRepoOptions, id: number, owner: Account, installationId: number): RepoRecord {
  return {
    id,
    node_id: nodeId("Repository", id),
    owner,
    name: opts.name,
    installationId,
    defaultBranch: opts.defaultBranch ?? "main",
    private: opts.private ?? false,
    fork: opts.fork ?? false,
    created_at: now(),
    files: new Map([["*", new Map(Object.entries(opts.files ?? {}))]]),
    roles: new Map(),
    commits: new Set(),
    refs: new Map(),
    issues: new Set(),
    pullNumbers: new Set(),
  };
}

/** A pull request of `repo` from `headRepo` as `opts` describe it. */
export function newPullRecord(
  opts: AddPullRequestOptions,
  repo: RepoRecord,
  headRepo: RepoRecord,
  baseSha: string,
  createdAt: string,
): PullRecord {
  const id = pullRequestId(repo.id, opts.number);
  return {
    id,
    node_id: nodeId("PullRequest", id),
    repoId: repo.id,
    number: opts.number,
    title: opts.title ?? `Pull request #${opts.number}`,
    state: opts.state ?? "open",
    author: accountFor(opts.author ?? repo.owner.login),
    head_sha: opts.headSha,
    head_ref: opts.headRef ?? `pr-${opts.number}`,
    headRepoId: headRepo.id,
    draft: opts.draft ?? false,
    base_ref: opts.baseRef ?? repo.defaultBranch,
    base_sha: baseSha,
    files: opts.files ?? [],
    created_at: createdAt,
  };
}

/** A live installation of the app on `account`, created (and last updated) `at`. */
export function newInstallationRecord(id: number, account: Account, at: string): InstallationRecord {
  return { id, account, created_at: at, updated_at: at, suspended_at: null, suspended_by: null, deleted: false, deleted_at: null };
}

/** An installation as tests inspect it, with its repositories' full names. */
export function installationView(i: InstallationRecord, repositories: string[]): InstallationView {
  return {
    id: i.id,
    account: { ...i.account },
    created_at: i.created_at,
    updated_at: i.updated_at,
    suspended_at: i.suspended_at,
    suspended_by: i.suspended_by?.login ?? null,
    deleted: i.deleted,
    deleted_at: i.deleted_at,
    repositories,
  };
}
