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
import { AuthFailure, generateAppKeys, TokenStore, verifyAppJwt, type AppKeys } from "./auth.js";
import { appFromManifest, conversionAnswer, MANIFEST_FORM, ManifestCodes, type SimApp } from "./app-registration.js";
import { projectManifest } from "./manifest.js";
import { sendWebhook } from "./webhooks.js";
import { Faults, faultReply, primaryLimitReply, RateLimits, requestId, type RateLimitFault } from "./faults.js";
import { handleGraphql, schema } from "./graphql.js";
import { DOCS, errorBody, HttpError, requirePermission, type Call, type Reply, type RouteGroup, type SimContext } from "./http.js";
import { isFullSha, nodeId, pullRequestId, randomSha } from "./ids.js";
import { registerLearner } from "./known.js";
import { checkRequest, checkResponse, description, invalidRequestMessage } from "./openapi.js";
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
import { matchRoute } from "./rest.js";
import { appJson, commentJson, installationJson, pullJson, reactionJson, repoJson } from "./shapes.js";
import { accountFor, normalizeRef, now, SimState, type CheckRunRecord, type RepoRecord, type Role } from "./state.js";

export type { RouteGroup } from "./http.js";
export type { RateLimitKind, RateLimitFault } from "./faults.js";
export type { CheckRunRecord, CheckRunSnapshot, PullFile, Role } from "./state.js";
export type {
  AddPullRequestOptions,
  AddRepoOptions,
  GitHubSimOptions,
  InstallationView,
  SimInstallation,
  SimRepo,
  SimRequest,
} from "./options.js";

const BEARER = /^(?:token|bearer)\s+(\S+)$/i;
const looksLikeJwt = (s: string) => /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/.test(s);

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
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      this.serve(req, res).catch((err: unknown) => {
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
    const at = opts.createdAt ?? now();
    const inst = {
      id: opts.id,
      account: accountFor(opts.account.login, opts.account.type),
      created_at: at,
      updated_at: at,
      suspended_at: null,
      suspended_by: null,
      deleted: false,
      deleted_at: null,
    };
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
    const repo: RepoRecord = {
      id,
      node_id: nodeId("Repository", id),
      owner,
      name: opts.name,
      installationId: inst?.id ?? 0,
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
    const id = pullRequestId(repo.id, opts.number);
    const pr = {
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
      base_sha: opts.baseSha ?? this.state.commitOf(repo, opts.baseRef) ?? repo.refs.get(repo.defaultBranch)!,
      files: opts.files ?? [],
      created_at: existing?.created_at ?? now(),
    };
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
    return [...this.state.installations.values()].map((i) => ({
      id: i.id,
      account: { ...i.account },
      created_at: i.created_at,
      updated_at: i.updated_at,
      suspended_at: i.suspended_at,
      suspended_by: i.suspended_by?.login ?? null,
      deleted: i.deleted,
      deleted_at: i.deleted_at,
      repositories: this.state.reposOf(i.id).map((r) => `${r.owner.login}/${r.name}`),
    }));
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

  // --- HTTP -----------------------------------------------------------------------

  private repoRecord(owner: string, repo: string): RepoRecord {
    const r = this.state.repo(owner, repo);
    if (!r) throw new Error(`github-sim: no repository ${owner}/${repo}`);
    return r;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", this.url);
    const method = req.method ?? "GET";
    // GitHub Enterprise Server's layout (`/api/v3/…`, `/api/graphql`) is served too: Probot's setup flow uses it with GHE_HOST.
    const trimmed = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
    const path = trimmed === "/api/graphql" ? "/graphql" : trimmed.replace(/^\/api\/v3(?=\/)/, "");
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));

    // github.com's OAuth web flow (not the API: no rate limit, no REST description).
    const oauthReply =
      path === "/login/oauth/authorize" && method === "GET"
        ? this.oauth.authorize(url.searchParams)
        : path === "/login/oauth/access_token" && method === "POST"
          ? this.oauth.accessToken(raw, req.headers)
          : undefined;
    if (oauthReply) {
      this.requests.push({ method, path, group: "oauth", status: oauthReply.status, at, ms: Date.now() - at });
      const body =
        oauthReply.body === undefined ? "" : typeof oauthReply.body === "string" ? oauthReply.body : JSON.stringify(oauthReply.body);
      if (!res.destroyed)
        res.writeHead(oauthReply.status, { "content-type": "application/json; charset=utf-8", ...oauthReply.headers }).end(body);
      return;
    }
    if (method === "POST" && MANIFEST_FORM.test(path)) {
      const reply = this.manifestCodes.accept(raw);
      this.requests.push({ method, path, group: "app", status: reply.status, at, ms: Date.now() - at });
      if (!res.destroyed) res.writeHead(reply.status, reply.headers).end(typeof reply.body === "string" ? reply.body : "");
      return;
    }
    const isGraphql = path === "/graphql" && method === "POST";
    const matched = isGraphql ? undefined : matchRoute(method, path);
    const group: RouteGroup = isGraphql ? "graphql" : (matched?.route.group ?? "unknown");
    const docs = isGraphql ? "https://docs.github.com/graphql" : (matched?.route.docs ?? DOCS);

    // Who is asking decides the rate-limit bucket, even for answers that fail auth.
    const credential = BEARER.exec(String(req.headers.authorization ?? ""))?.[1];
    const installationId = credential && !looksLikeJwt(credential) ? this.tokens.installationOf(credential) : undefined;
    const userLogin = credential?.startsWith("ghu_") ? this.oauth.userOf(credential) : undefined;
    const who =
      installationId !== undefined
        ? `installation ID ${installationId}`
        : userLogin
          ? `user ${userLogin}`
          : credential
            ? `app ID ${this.appId}`
            : "127.0.0.1";
    const resource = isGraphql ? "graphql" : "core";
    const bucket = `${installationId ?? (userLogin ? `user:${userLogin}` : credential ? "app" : "anonymous")}:${resource}`;
    const reqId = requestId();

    let reply: Reply;
    const fault = this.faults.take(group, isWrite(method, isGraphql, raw));
    if (fault?.kind === "hang") {
      // The client gives up (its timeout) or stop() closes the socket.
      this.requests.push({ method, path, group, status: 0, at, ms: 0, ...(installationId !== undefined ? { installationId } : {}) });
      return;
    }
    if (fault) {
      reply = faultReply(fault, group, who, this.rates.headers(bucket, resource), reqId);
    } else {
      const denied = this.authenticate(
        isGraphql ? "installation" : matched?.route.auth,
        credential,
        installationId,
        docs,
        isGraphql,
        userLogin,
      );
      if (denied) {
        reply = denied;
      } else if (!matched && !isGraphql) {
        reply = { status: 404, body: errorBody(404, "Not Found", DOCS) };
      } else if (!this.rates.consume(bucket)) {
        const reset = Number(this.rates.headers(bucket, resource)["x-ratelimit-reset"]);
        reply = primaryLimitReply(group, who, reset, this.opts.rateLimit, resource);
      } else {
        reply = await this.dispatch(path, url, req, raw, matched, installationId, docs, userLogin);
      }
    }

    const headers: Record<string, string> = {
      ...this.rates.headers(bucket, resource),
      "x-github-request-id": reqId,
      "x-github-media-type": "github.v3; format=json",
      ...reply.headers,
    };
    let payload = "";
    if (reply.body !== undefined && reply.status !== 204) {
      payload = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
      headers["content-type"] ??= "application/json; charset=utf-8";
    }
    this.requests.push({
      method,
      path,
      group,
      status: reply.status,
      at,
      ms: Date.now() - at,
      ...(installationId !== undefined ? { installationId } : {}),
    });
    if (!res.destroyed) res.writeHead(reply.status, headers).end(payload);
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

  /** GitHub's 401/403 answer when the credential does not fit the route; undefined when it does. */
  private authenticate(
    needs: "jwt" | "installation" | "user" | "none" | undefined,
    credential: string | undefined,
    installationId: number | undefined,
    docs: string,
    isGraphql: boolean,
    userLogin?: string,
  ): Reply | undefined {
    const deny = (status: number, message: string): Reply => ({ status, body: errorBody(status, message, docs) });
    if (needs === undefined || needs === "none") return undefined;
    if (!credential) return deny(401, isGraphql ? "This endpoint requires you to be authenticated." : "Requires authentication");
    if (needs === "user") return userLogin ? undefined : deny(401, "Bad credentials");
    if (needs === "jwt") {
      try {
        verifyAppJwt(credential, this.app.id, this.app.keys.publicKey);
      } catch (e) {
        if (e instanceof AuthFailure) return deny(401, e.message);
        throw e;
      }
      return undefined;
    }
    const inst = installationId === undefined ? undefined : this.state.liveInstallation(installationId);
    if (!inst) return deny(401, "Bad credentials");
    if (inst.suspended_at) return deny(403, "This installation has been suspended");
    return undefined;
  }

  private async dispatch(
    path: string,
    url: URL,
    req: IncomingMessage,
    raw: string,
    matched: ReturnType<typeof matchRoute>,
    installationId: number | undefined,
    docs: string,
    userLogin?: string,
  ): Promise<Reply> {
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      return { status: 400, body: errorBody(400, "Problems parsing JSON", docs) };
    }
    const call: Call = {
      path,
      query: url.searchParams,
      headers: req.headers,
      body,
      params: matched?.params ?? {},
      installationId,
      ...(userLogin ? { userLogin } : {}),
      docs,
    };
    if (!matched) return handleGraphql(call, this.ctx);
    const method = req.method ?? "GET";
    const { operation, problems } = checkRequest(method, path, url.searchParams, body);
    if (!operation) throw new Error(`${method} ${path} is not in GitHub's REST description`);
    if (problems.length > 0) return { status: 422, body: errorBody(422, invalidRequestMessage(problems, body), docs) };
    let reply: Reply;
    try {
      if (matched.route.auth === "installation") requirePermission(this.ctx, ...matched.route.needs);
      reply = matched.route.handle(call, this.ctx);
    } catch (e) {
      if (e instanceof HttpError) reply = { status: e.status, body: e.body ?? errorBody(e.status, e.message, docs) };
      else throw e;
    }
    // A raw media type (file contents) is not JSON; everything else must be what GitHub would send.
    const json = reply.status !== 204 && reply.body !== undefined && typeof reply.body !== "string";
    const wrong = json ? checkResponse(operation, reply.status, reply.body) : [];
    if (wrong.length > 0) {
      throw new Error(
        `answer ${reply.status} to ${method} ${path} is not GitHub's (${operation.operationId}): ${wrong
          .slice(0, 5)
          .map((w) => `${w.at} ${w.message}`)
          .join("; ")}`,
      );
    }
    return reply;
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

/** A write as GitHub's secondary limits count them: REST POST/PATCH/PUT/DELETE, GraphQL mutations. */
function isWrite(method: string, isGraphql: boolean, raw: string): boolean {
  if (!isGraphql) return method !== "GET" && method !== "HEAD";
  try {
    const query = (JSON.parse(raw) as { query?: unknown }).query;
    return typeof query === "string" && /^(\s|,|#[^\n]*\n?)*mutation\b/.test(query);
  } catch {
    return false;
  }
}
