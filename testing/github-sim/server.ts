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
import { registerLearner } from "./known.js";
import { description } from "./openapi.js";
import type { GitHubSimOptions, SimRequest } from "./options.js";
import { OAuthFlow } from "./oauth.js";
import { appJson } from "./shapes.js";
import { accountFor, SimState } from "./state.js";
import { type SimFront, serveRequest } from "./front.js";
import { SimStateApi } from "./state-api.js";

export type { RouteGroup } from "./http.js";
export type { RateLimitFault } from "./faults.js";
export type { CheckRunRecord } from "./state.js";
export type { GitHubSimOptions, SimInstallation, SimRepo, SimRequest } from "./options.js";

/**
 * A running simulator: its address and app credentials, a state API to set up
 * installations, repositories and files, inspectors for what the app wrote (both
 * in `SimStateApi`, state-api.ts), and fault injection. Everything is in memory;
 * `reset()` starts over.
 */
export class GitHubSim extends SimStateApi {
  /** The API base URL: use it as Octokit's `baseUrl`. */
  readonly url: string;
  /** Delay before every answer, in ms; change it at any time. */
  latencyMs: number;
  /** Every request answered, in order. */
  readonly requests: SimRequest[] = [];

  /** The one App this GitHub hosts; registering one from a manifest replaces it. */
  private app: SimApp;
  private readonly manifestCodes = new ManifestCodes();
  protected state: SimState;
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
    super();
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

  // --- inspectors (the state's: SimStateApi) --------------------------------------

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
   * `writes` or `reads`: only those (GraphQL mutations are writes, queries reads).
   */
  hangNext(n: number, opts: { routeGroup?: RouteGroup; writes?: boolean; reads?: boolean } = {}): void {
    this.faults.hang(n, opts);
  }

  /** Answer the next `n` matching requests with `status` (default 500). */
  failNext(n: number, status = 500, opts: { routeGroup?: RouteGroup } = {}): void {
    this.faults.fail(n, status, opts.routeGroup);
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
