/**
 * A simulated GitHub for the demo, benchmarks and end-to-end tests: the real app,
 * with its normal Probot Octokit pointed at `sim.url`, authenticates as a GitHub App
 * (RS256 JWT → installation token), reads files, writes check runs over REST and
 * GraphQL, comments and reacts — against in-memory state that tests set up and
 * inspect, with GitHub's rate-limit headers and injectable faults.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { generateAppKeys, TokenStore, type AppKeys } from "./auth.js";
import { appFromManifest, conversionAnswer, ManifestCodes, type SimApp } from "./app-registration.js";
import { projectManifest } from "./manifest.js";
import { sendWebhook } from "./webhooks.js";
import { Faults, RateLimits, type RateLimitFault } from "./faults.js";
import { schema } from "./graphql.js";
import type { RouteGroup, SimContext } from "./http.js";
import { isFullSha, randomSha } from "./ids.js";
import { registerLearner } from "./known.js";
import { description } from "./openapi.js";
import type {
  AddPullRequestOptions,
  AddRepoOptions,
  GitHubSimOptions,
  InstallationView,
  SimInstallation,
  SimRepo,
  SimRequest,
} from "./options.js";
import { OAuthFlow } from "./oauth.js";
import { appJson, commentJson, installationJson, pullJson, reactionJson, repoJson } from "./shapes.js";
import { accountFor, normalizeRef, now, SimState, type CheckRunRecord, type RepoRecord, type Role } from "./state.js";
import { type SimFront, serveRequest } from "./front.js";
import { installationView, newInstallationRecord, newPullRecord, newRepoRecord } from "./records.js";

export type { RouteGroup } from "./http.js";
export type { RateLimitFault } from "./faults.js";
export type { CheckRunRecord, Role } from "./state.js";
export type {
  AddPullRequestOptions,
  AddRepoOptions,
  GitHubSimOptions,
  InstallationView,
  SimInstallation,
  SimRepo,
  SimRequest,
} from "./options.js";

/**
 * A running simulator: its address and app credentials, a state API to set up
 * installations, repositories and files, inspectors for what the app wrote, and
 * fault injection. Everything is in memory; `reset()` starts over.
 */
export class GitHubSim {
  /** The API base URL: use it as Octokit's `baseUrl`. */
  readonly url: string;
  /** Delay before every answer, in ms; change it at any time. */
  latencyMs: number;
  /** Every request answered, in order. */
  readonly requests: SimRequest[] = [];

  /** The one App this GitHub hosts; registering one from a manifest replaces it. */
  private app: SimApp;
  private readonly manifestCodes = new ManifestCodes();
  private state: SimState;
  private readonly tokens = new TokenStore();
  /** The App's OAuth client: the web flow and the user tokens it issued. */
  private readonly oauth = new OAuthFlow();
  private readonly faults = new Faults();
  private readonly rates: RateLimits;
  private readonly sockets = new Set<Socket>();
  private readonly forgetLearner: () => void;

  /** Use {@link startGitHubSim}. */
  constructor(
    private readonly server: Server,
    url: string,
    keys: AppKeys,
    private readonly opts: Required<Omit<GitHubSimOptions, "port" | "permissions">>,
    permissions: Record<string, string> | undefined,
  ) {
    this.url = url;
    const manifest = projectManifest();
    this.app = {
      id: opts.appId,
      slug: opts.appSlug,
      name: "Packit (simulated)",
      keys,
      webhookSecret: randomBytes(20).toString("hex"),
      webhookUrl: null,
      permissions: permissions ?? (manifest.default_permissions as Record<string, string>),
      events: manifest.default_events as string[],
    };
    this.latencyMs = opts.latencyMs;
    this.rates = new RateLimits(opts.rateLimit);
    this.state = this.freshState();
    this.forgetLearner = registerLearner(url, (fullName, facts) => this.state.learn(fullName, facts));
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    const front: SimFront = {
      url,
      latencyMs: () => this.latencyMs,
      app: () => this.app,
      ctx: () => this.ctx,
      requests: this.requests,
      oauth: this.oauth,
      manifestCodes: this.manifestCodes,
      faults: this.faults,
      rates: this.rates,
      tokens: this.tokens,
      rateLimit: opts.rateLimit,
    };
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      serveRequest(front, req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: `github-sim: ${(err as Error).message}` }));
      });
    });
  }

  /** The App's id. */
  get appId(): number {
    return this.app.id;
  }

  /** The App's private key (PKCS#1 PEM, like the one GitHub lets you download). */
  get privateKey(): string {
    return this.app.keys.privateKey;
  }

  /** The App's OAuth client id and secret (its settings page on GitHub shows them; Probot's setup writes them to .env). */
  get clientId(): string {
    return this.oauth.clientId;
  }

  get clientSecret(): string {
    return this.oauth.clientSecret;
  }

  /**
   * Who is signed in to github.com in the browser that follows the App's OAuth
   * authorize link: they approve at once. Undefined: GitHub's sign-in page.
   */
  signInAs(login: string | undefined): void {
    if (login) this.state.knowUser(login);
    this.oauth.signedInAs = login;
  }

  /** The secret webhooks are signed with. */
  get webhookSecret(): string {
    return this.app.webhookSecret;
  }

  /** The webhook URL the App registered (from its manifest); null until one did. */
  get webhookUrl(): string | null {
    return this.app.webhookUrl;
  }

  /** Deliver an event to the App's registered webhook URL, signed with its secret, as GitHub does. */
  deliver(event: string, payload: object, deliveryId?: string): Promise<{ status: number; body: string }> {
    if (!this.app.webhookUrl) throw new Error("github-sim: the App registered no webhook URL");
    return sendWebhook(this.app.webhookUrl, { event, payload, secret: this.app.webhookSecret, deliveryId });
  }

  private freshState(): SimState {
    return new SimState({
      id: this.app.id,
      slug: this.app.slug,
      name: this.app.name,
      owner: accountFor("packit", "Organization"),
      createdAt: "2019-01-01T00:00:00Z",
      permissions: this.app.permissions,
      events: this.app.events,
    });
  }

  private get ctx(): SimContext {
    return { state: this.state, tokens: this.tokens, api: this.url, convertManifest: (code) => this.convertManifest(code) };
  }

  /** Close the server and every open connection. */
  async stop(): Promise<void> {
    this.forgetLearner();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /**
   * Forget all state, faults, rate-limit counters and recorded requests. Keys, secret
   * and issued tokens stay: an app that cached a token keeps working once the test
   * adds the same installation again (and gets 401 while it does not exist).
   */
  reset(): void {
    this.state = this.freshState();
    this.faults.clear();
    this.rates.clear();
    this.requests.length = 0;
    this.latencyMs = this.opts.latencyMs;
  }

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

  /** How many requests were answered, optionally only of one group and/or method. */
  requestCount(filter: { group?: RouteGroup; method?: string } = {}): number {
    return this.requests.filter(
      (r) => (filter.group === undefined || r.group === filter.group) && (filter.method === undefined || r.method === filter.method),
    ).length;
  }

  // --- faults ---------------------------------------------------------------------

  /**
   * Answer the next `n` matching requests with a rate-limit error: `secondary` (403 +
   * `retry-after`), `primary` (403, or GraphQL 200 + RATE_LIMITED, with
   * `x-ratelimit-remaining: 0` and `x-ratelimit-reset`) or `429` (+ `retry-after`).
   */
  rateLimitNext(n: number, opts: RateLimitFault = {}): void {
    this.faults.rateLimit(n, opts);
  }

  /**
   * Take the next `n` matching requests and never answer them, as a GitHub that hangs
   * does (nothing is applied; recorded in `requests` with status 0 when they arrive).
   */
  hangNext(n: number, opts: { routeGroup?: RouteGroup; writes?: boolean } = {}): void {
    this.faults.hang(n, opts);
  }

  /** Answer the next `n` matching requests with `status` (default 500). */
  failNext(n: number, status = 500, opts: { routeGroup?: RouteGroup } = {}): void {
    this.faults.fail(n, status, opts.routeGroup);
  }

  private repoRecord(owner: string, repo: string): RepoRecord {
    const r = this.state.repo(owner, repo);
    if (!r) throw new Error(`github-sim: no repository ${owner}/${repo}`);
    return r;
  }

  /**
   * `POST /app-manifests/{code}/conversions`: the App the manifest describes becomes
   * this GitHub's App (new id, key and secret; installations and repositories stay).
   */
  private convertManifest(code: string): Record<string, unknown> | undefined {
    const manifest = this.manifestCodes.take(code);
    if (!manifest) return undefined;
    this.app = appFromManifest(manifest, this.app.id);
    const { id, slug, name, permissions, events } = this.app;
    Object.assign(this.state.app, { id, slug, name, permissions, events });
    return conversionAnswer(this.app, manifest, appJson(this.state.app, this.url));
  }
}

/** Start a simulated GitHub on 127.0.0.1 (random port) with a fresh app key pair. */
export async function startGitHubSim(opts: GitHubSimOptions = {}): Promise<GitHubSim> {
  // GitHub's descriptions load once per process; loading them now keeps that out of the first answers (benchmarks time those).
  description();
  await schema();
  const server = createServer();
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return new GitHubSim(
    server,
    `http://127.0.0.1:${port}`,
    generateAppKeys(),
    {
      latencyMs: opts.latencyMs ?? 0,
      appId: opts.appId ?? 123456,
      appSlug: opts.appSlug ?? "packit-sim",
      rateLimit: opts.rateLimit ?? 5000,
    },
    opts.permissions,
  );
}
