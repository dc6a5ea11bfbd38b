import { isFullSha, nodeId, randomSha, userIdFor } from "./ids.js";
import type { Facts } from "./known.js";

/** A repository role as GitHub names it (`role_name`). */
export type Role = "admin" | "maintain" | "write" | "triage" | "read" | "none";

export interface Account {
  login: string;
  id: number;
  type: "User" | "Organization" | "Bot";
}

/** The simulated app itself (what `GET /app` describes). */
export interface AppInfo {
  id: number;
  slug: string;
  name: string;
  owner: Account;
  createdAt: string;
  /** What installations grant it, and the events it subscribes to (from its manifest). */
  permissions: Record<string, string>;
  events: string[];
}

export interface InstallationRecord {
  id: number;
  account: Account;
  created_at: string;
  updated_at: string;
  suspended_at: string | null;
  suspended_by: Account | null;
  /** Set once the app (or a test) deleted the installation; it then answers 404. */
  deleted: boolean;
  deleted_at: string | null;
}

export interface RepoRecord {
  id: number;
  node_id: string;
  owner: Account;
  name: string;
  /** The installation that can read it; 0 for none. */
  installationId: number;
  defaultBranch: string;
  private: boolean;
  /** A fork of another repository (the head repository of a fork pull request). */
  fork: boolean;
  created_at: string;
  /** Files per ref (branch name or sha); the `"*"` layer holds files every ref has. `null` hides a `"*"` file at that ref. */
  files: Map<string, Map<string, string | null>>;
  /** Explicit roles by lowercased login. */
  roles: Map<string, Role>;
  /** Commits the repository has (lowercase shas): GitHub refuses check runs and lookups at any other. */
  commits: Set<string>;
  /** Branch and tag names → the commit they point at. */
  refs: Map<string, string>;
  /** Issue and pull request numbers that exist (a comment on any other is 404). */
  issues: Set<number>;
  /** Of those, the pull requests (their comments answer to the `pull_requests` permission too). */
  pullNumbers: Set<number>;
}

interface CheckRunAction {
  label: string;
  description: string;
  identifier: string;
}

type CheckRunStatus = "queued" | "in_progress" | "completed";

/** The mutable part of a check run; `history` keeps one of these per write. */
export interface CheckRunFields {
  name: string;
  status: CheckRunStatus;
  conclusion: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  details_url: string | null;
  external_id: string;
  actions: CheckRunAction[];
  started_at: string | null;
  completed_at: string | null;
}

interface CheckRunSnapshot extends CheckRunFields {
  at: string;
  /** Which API wrote this state. */
  via: "rest" | "graphql";
}

export interface CheckRunRecord extends CheckRunFields {
  id: number;
  node_id: string;
  /** The app that owns the run (apps may only update their own runs). */
  app: { id: number; slug: string };
  repoId: number;
  head_sha: string;
  check_suite_id: number;
  history: CheckRunSnapshot[];
}

export interface CommentRecord {
  id: number;
  node_id: string;
  repoId: number;
  issue_number: number;
  body: string;
  author: Account;
  /** True when the app wrote it through the API. */
  via_app: boolean;
  created_at: string;
  updated_at: string;
}

export interface ReactionRecord {
  id: number;
  node_id: string;
  commentId: number;
  content: string;
  user: Account;
  created_at: string;
}

export interface PullFile {
  filename: string;
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed" | "unchanged";
  additions?: number;
  deletions?: number;
  previous_filename?: string;
}

export interface PullRecord {
  id: number;
  node_id: string;
  repoId: number;
  number: number;
  title: string;
  state: "open" | "closed";
  author: Account;
  head_sha: string;
  head_ref: string;
  /** The repository the head branch lives in: a fork's id for a pull request from a fork. */
  headRepoId: number;
  draft: boolean;
  base_ref: string;
  base_sha: string;
  files: PullFile[];
  created_at: string;
}

/** An account value for a login; logins ending in `[bot]` are bots. */
export function accountFor(login: string, type?: Account["type"]): Account {
  return { login, id: userIdFor(login), type: type ?? (login.endsWith("[bot]") ? "Bot" : "User") };
}

/** Now, as GitHub writes timestamps (UTC, second precision). */
export const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * Everything the simulated GitHub knows, with lookups and id allocation. HTTP,
 * auth and validation live elsewhere; this is only data.
 */
export class SimState {
  readonly installations = new Map<number, InstallationRecord>();
  /** By lowercased `owner/name` (GitHub matches names case-insensitively). */
  readonly repos = new Map<string, RepoRecord>();
  readonly checkRuns = new Map<number, CheckRunRecord>();
  readonly comments = new Map<number, CommentRecord>();
  readonly reactions: ReactionRecord[] = [];
  /** By `repoId#number`. */
  readonly pulls = new Map<string, PullRecord>();
  /** Logins (lowercased) of the users and organisations GitHub has. */
  readonly users = new Set<string>();
  private readonly suites = new Map<string, number>();
  // Distinct ranges per kind make ids in logs easy to tell apart.
  private seq = { repo: 100_000, checkRun: 7_000_000, comment: 900_000, reaction: 40_000, suite: 3_000_000 };

  constructor(readonly app: AppInfo) {}

  /** The bot account the app acts as. */
  get bot(): Account {
    return accountFor(`${this.app.slug}[bot]`, "Bot");
  }

  /** Record that a user exists. */
  knowUser(login: string): void {
    this.users.add(login.toLowerCase());
  }

  hasUser(login: string): boolean {
    return this.users.has(login.toLowerCase()) || login.toLowerCase() === this.bot.login.toLowerCase();
  }

  /** Record that a repository has a commit (a full sha); anything else is ignored. */
  knowCommit(repo: RepoRecord, sha: string | undefined): void {
    if (sha && /^[0-9a-f]{40}$/i.test(sha) && !/^0+$/.test(sha)) repo.commits.add(sha.toLowerCase());
  }

  /** The commit a ref names: a known sha, or the head of a branch or tag; undefined when the repository has none such. */
  commitOf(repo: RepoRecord, ref: string | undefined): string | undefined {
    const name = normalizeRef(repo, ref);
    if (repo.commits.has(name.toLowerCase())) return name.toLowerCase();
    return repo.refs.get(name);
  }

  /** What a payload builder says GitHub has (see known.ts); repositories this simulator does not have are ignored. */
  learn(fullName: string, facts: Facts): void {
    const [owner, name] = fullName.split("/");
    const repo = owner && name ? this.repo(owner, name) : undefined;
    if (!repo) return;
    for (const sha of facts.commits ?? []) this.knowCommit(repo, sha ?? undefined);
    for (const login of facts.users ?? []) if (login) this.knowUser(login);
    for (const n of facts.issues ?? []) repo.issues.add(n);
    for (const n of facts.pulls ?? []) {
      repo.issues.add(n);
      repo.pullNumbers.add(n);
    }
    for (const [tag, target] of Object.entries(facts.tags ?? {})) {
      if (repo.refs.has(tag)) continue;
      const sha = this.commitOf(repo, target) ?? (isFullSha(target) ? target.toLowerCase() : undefined);
      if (!sha) continue;
      this.knowCommit(repo, sha);
      repo.refs.set(tag, sha);
    }
  }

  /** A ref files are set at: a sha becomes a known commit, a new branch name gets a head of its own. */
  knowRef(repo: RepoRecord, ref: string): string {
    const key = normalizeRef(repo, ref);
    if (isFullSha(key)) this.knowCommit(repo, key);
    else if (!repo.refs.has(key)) {
      const head = randomSha();
      this.knowCommit(repo, head);
      repo.refs.set(key, head);
    }
    return key;
  }

  liveInstallation(id: number): InstallationRecord | undefined {
    const inst = this.installations.get(id);
    return inst && !inst.deleted ? inst : undefined;
  }

  repo(owner: string, name: string): RepoRecord | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  repoById(id: number): RepoRecord | undefined {
    for (const r of this.repos.values()) if (r.id === id) return r;
    return undefined;
  }

  reposOf(installationId: number): RepoRecord[] {
    return [...this.repos.values()].filter((r) => r.installationId === installationId);
  }

  newRepoId(): number {
    return ++this.seq.repo;
  }

  newCheckRun(repo: RepoRecord, headSha: string, fields: CheckRunFields): CheckRunRecord {
    const id = ++this.seq.checkRun;
    // One check suite per (repository, head sha) for the one app, as GitHub does.
    const suiteKey = `${repo.id}@${headSha}`;
    let suite = this.suites.get(suiteKey);
    if (suite === undefined) this.suites.set(suiteKey, (suite = ++this.seq.suite));
    const run: CheckRunRecord = {
      ...fields,
      id,
      node_id: nodeId("CheckRun", id),
      app: { id: this.app.id, slug: this.app.slug },
      repoId: repo.id,
      head_sha: headSha,
      check_suite_id: suite,
      history: [],
    };
    this.checkRuns.set(id, run);
    return run;
  }

  newComment(repo: RepoRecord, issue: number, body: string, author: Account, viaApp: boolean): CommentRecord {
    const id = ++this.seq.comment;
    const at = now();
    const c: CommentRecord = {
      id,
      node_id: nodeId("IssueComment", id),
      repoId: repo.id,
      issue_number: issue,
      body,
      author,
      via_app: viaApp,
      created_at: at,
      updated_at: at,
    };
    this.comments.set(id, c);
    return c;
  }

  newReaction(commentId: number, content: string, user: Account): ReactionRecord {
    const id = ++this.seq.reaction;
    const r: ReactionRecord = { id, node_id: nodeId("Reaction", id), commentId, content, user, created_at: now() };
    this.reactions.push(r);
    return r;
  }

  pull(repo: RepoRecord, number: number): PullRecord | undefined {
    return this.pulls.get(`${repo.id}#${number}`);
  }

  /** Open pull requests whose head is `sha` (what a check run's `pull_requests` lists). */
  pullsWithHead(repoId: number, sha: string): PullRecord[] {
    return [...this.pulls.values()].filter((p) => p.repoId === repoId && p.head_sha === sha && p.state === "open");
  }

  /**
   * A file at a ref: the ref's own layer first, then the `"*"` layer. `ref` may be a
   * branch, `refs/heads/<branch>`, a tag ref or a sha; absent means the default branch.
   */
  file(repo: RepoRecord, ref: string | undefined, path: string): string | undefined {
    const own = repo.files.get(normalizeRef(repo, ref))?.get(path);
    if (own !== undefined) return own ?? undefined;
    return repo.files.get("*")?.get(path) ?? undefined;
  }

  /** Every path visible at a ref. */
  paths(repo: RepoRecord, ref: string | undefined): string[] {
    const own = repo.files.get(normalizeRef(repo, ref));
    const all = new Set<string>(repo.files.get("*")?.keys() ?? []);
    for (const [path, content] of own ?? []) {
      if (content === null) all.delete(path);
      else all.add(path);
    }
    return [...all].sort();
  }

  /**
   * GitHub's effective role: explicit grants first; the owner of a user-owned repo is
   * admin; anyone else can read a public repository and has no access to a private one.
   */
  role(repo: RepoRecord, login: string): Role {
    const explicit = repo.roles.get(login.toLowerCase());
    if (explicit) return explicit;
    if (repo.owner.type === "User" && repo.owner.login.toLowerCase() === login.toLowerCase()) return "admin";
    return repo.private ? "none" : "read";
  }
}

/** A ref as the file layers are keyed: a branch or tag name, or a sha; absent or `HEAD` is the default branch. */
export function normalizeRef(repo: RepoRecord, ref: string | undefined): string {
  if (!ref || ref === "HEAD") return repo.defaultBranch;
  return ref.replace(/^refs\/(heads|tags)\//, "").replace(/^(heads|tags)\//, "");
}
