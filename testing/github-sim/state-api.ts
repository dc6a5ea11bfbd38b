/**
 * What tests put into the simulated GitHub's state and read back from it:
 * installations, repositories, files, commits, pull requests and comments go in;
 * check runs, comments, reactions and installations come out. `GitHubSim`
 * (`server.ts`) adds the server, the App and the faults around it.
 */
import { isFullSha, randomSha } from "./ids.js";
import type { AddPullRequestOptions, AddRepoOptions, InstallationView, SimInstallation, SimRepo } from "./options.js";
import { installationView, newInstallationRecord, newPullRecord, newRepoRecord } from "./records.js";
import { commentJson, installationJson, pullJson, reactionJson, repoJson } from "./shapes.js";
import { accountFor, normalizeRef, now, type CheckRunRecord, type RepoRecord, type Role, type SimState } from "./state.js";

/** The state API of `GitHubSim`: set-up and inspectors over its current state. */
export abstract class SimStateApi {
  /** The API base URL (the URLs in answers are built on it). */
  abstract readonly url: string;
  /** Replaced on `reset()`. */
  protected abstract state: SimState;

  // --- state set-up -------------------------------------------------------------

  /** Install the app on an account (`createdAt` lets maintenance tests age it). */
  addInstallation(opts: { id: number; account: { login: string; type: "User" | "Organization" }; createdAt?: string }): SimInstallation {
    const inst = newInstallationRecord(opts.id, accountFor(opts.account.login, opts.account.type), opts.createdAt ?? now());
    this.state.installations.set(opts.id, inst);
    this.state.knowUser(inst.account.login);
    return installationJson(inst, this.state.app, this.url);
  }

  /** Add a repository to an installation; the answer feeds the payload builders. */
  addRepo(opts: AddRepoOptions): SimRepo {
    const inst = opts.installationId === undefined ? undefined : this.state.installations.get(opts.installationId);
    if (opts.installationId !== undefined && !inst) throw new Error(`github-sim: no installation ${opts.installationId}`);
    if (this.state.repo(opts.owner, opts.name)) throw new Error(`github-sim: ${opts.owner}/${opts.name} exists`);
    const id = this.state.newRepoId();
    const owner = inst && inst.account.login.toLowerCase() === opts.owner.toLowerCase() ? inst.account : accountFor(opts.owner, "User");
    const repo = newRepoRecord(opts, id, owner, inst?.id ?? 0);
    const head = (opts.headSha ?? randomSha()).toLowerCase();
    this.state.knowCommit(repo, head);
    repo.refs.set(repo.defaultBranch, head);
    for (const [ref, files] of Object.entries(opts.filesAtRef ?? {})) {
      repo.files.set(this.state.knowRef(repo, ref), new Map(Object.entries(files)));
    }
    this.state.knowUser(owner.login);
    this.state.repos.set(`${opts.owner}/${opts.name}`.toLowerCase(), repo);
    return { ...repoJson(repo, this.url), installationId: repo.installationId };
  }

  /** Add, change (`content`) or delete (`null`) a file at one ref, or at every ref with `"*"`. */
  setFile(owner: string, repo: string, ref: string, path: string, content: string | null): void {
    const r = this.repoRecord(owner, repo);
    const key = ref === "*" ? "*" : this.state.knowRef(r, ref);
    let layer = r.files.get(key);
    if (!layer) r.files.set(key, (layer = new Map<string, string | null>()));
    if (key === "*" && content === null) layer.delete(path);
    else layer.set(path, content);
  }

  /** Grant `user` a role on a repository (`none` revokes even read access to a public one). */
  setPermission(owner: string, repo: string, user: string, role: Role): void {
    this.repoRecord(owner, repo).roles.set(user.toLowerCase(), role);
    this.state.knowUser(user);
  }

  /** The commit a repository's default branch points at. */
  headOf(owner: string, repo: string): string {
    const r = this.repoRecord(owner, repo);
    return r.refs.get(r.defaultBranch)!;
  }

  /** A user account GitHub has (repository owners, authors and payload senders are added on their own). */
  addUser(login: string): void {
    this.state.knowUser(login);
  }

  /** A commit the repository has, optionally as the new head of a branch or tag. */
  addCommit(owner: string, repo: string, sha: string, opts: { ref?: string } = {}): void {
    const r = this.repoRecord(owner, repo);
    if (!isFullSha(sha)) throw new Error(`github-sim: ${JSON.stringify(sha)} is not a full commit sha`);
    this.state.knowCommit(r, sha);
    if (opts.ref) r.refs.set(normalizeRef(r, opts.ref), sha.toLowerCase());
  }

  /** An issue (pull requests are added with {@link addPullRequest}). */
  addIssue(owner: string, repo: string, number: number): void {
    this.repoRecord(owner, repo).issues.add(number);
  }

  /** Add (or replace, same number) a pull request. */
  addPullRequest(opts: AddPullRequestOptions) {
    const repo = this.repoRecord(opts.owner, opts.repo);
    const headRepo = opts.headRepo ? this.repoRecord(opts.headRepo.owner, opts.headRepo.name) : repo;
    const existing = this.state.pull(repo, opts.number);
    const baseSha = opts.baseSha ?? this.state.commitOf(repo, opts.baseRef) ?? repo.refs.get(repo.defaultBranch)!;
    const pr = newPullRecord(opts, repo, headRepo, baseSha, existing?.created_at ?? now());
    this.state.pulls.set(`${repo.id}#${opts.number}`, pr);
    // GitHub keeps a pull request's head in the base repository too (refs/pull/N/head).
    this.state.knowCommit(repo, pr.head_sha);
    this.state.knowCommit(headRepo, pr.head_sha);
    this.state.knowCommit(repo, pr.base_sha);
    this.state.knowUser(pr.author.login);
    repo.issues.add(pr.number);
    repo.pullNumbers.add(pr.number);
    return pullJson(pr, repo, headRepo, this.url);
  }

  /** A comment written by someone (not the app), e.g. the `/packit …` command an event refers to. */
  addComment(owner: string, repo: string, issueNumber: number, opts: { body: string; author: string }) {
    const r = this.repoRecord(owner, repo);
    r.issues.add(issueNumber);
    this.state.knowUser(opts.author);
    const c = this.state.newComment(r, issueNumber, opts.body, accountFor(opts.author), false);
    return commentJson(c, r, this.state.app, this.url, []);
  }

  // --- inspectors -----------------------------------------------------------------

  /** Check runs of a repository (optionally of one head), oldest first, each with its `history`. */
  checkRuns(owner: string, repo: string, headSha?: string): CheckRunRecord[] {
    const r = this.repoRecord(owner, repo);
    return [...this.state.checkRuns.values()]
      .filter((c) => c.repoId === r.id && (headSha === undefined || c.head_sha === headSha))
      .sort((a, b) => a.id - b.id)
      .map((c) => structuredClone(c));
  }

  /** Comments on an issue or pull request, oldest first, as the REST API shows them. */
  comments(owner: string, repo: string, issue: number) {
    const r = this.repoRecord(owner, repo);
    return [...this.state.comments.values()]
      .filter((c) => c.repoId === r.id && c.issue_number === issue)
      .sort((a, b) => a.id - b.id)
      .map((c) =>
        commentJson(
          c,
          r,
          this.state.app,
          this.url,
          this.state.reactions.filter((x) => x.commentId === c.id),
        ),
      );
  }

  /** Reactions to one issue comment. */
  reactions(owner: string, repo: string, commentId: number) {
    const r = this.repoRecord(owner, repo);
    const c = this.state.comments.get(commentId);
    if (!c || c.repoId !== r.id) return [];
    return this.state.reactions.filter((x) => x.commentId === commentId).map((x) => reactionJson(x, this.url));
  }

  /** Every installation ever added, deleted ones included. */
  installations(): InstallationView[] {
    return [...this.state.installations.values()].map((i) =>
      installationView(
        i,
        this.state.reposOf(i.id).map((r) => `${r.owner.login}/${r.name}`),
      ),
    );
  }

  private repoRecord(owner: string, repo: string): RepoRecord {
    const r = this.state.repo(owner, repo);
    if (!r) throw new Error(`github-sim: no repository ${owner}/${repo}`);
    return r;
  }
}
