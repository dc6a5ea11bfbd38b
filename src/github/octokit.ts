import Bottleneck from "bottleneck";
import { ProbotOctokit } from "probot";
import type { Logger } from "pino";
import type { Metrics } from "../metrics/index.js";
import { httpStatus } from "../errors.js";

/** An installation-authenticated Octokit (REST + GraphQL), as Probot hands out. */
export type GitHub = InstanceType<typeof ProbotOctokit>;

/** Route groups for the request metric: few, stable label values. */
function routeGroup(url: string): string {
  if (url.includes("/graphql")) return "graphql";
  if (url.includes("/check-runs")) return "check-runs";
  if (url.includes("/access_tokens")) return "access-tokens";
  if (url.includes("/contents/")) return "contents";
  if (/\/issues\/(\d+\/)?comments|\/reactions/.test(url)) return "comments";
  if (url.includes("/collaborators/")) return "collaborators";
  if (url.includes("/app/installations")) return "installations";
  return "other";
}

/**
 * Which limiter a GitHub request waits for. GitHub spaces content-creating requests
 * (REST POST/PATCH/PUT/DELETE, GraphQL mutations) to stay clear of its secondary
 * limits; reads (GET, GraphQL queries) only count against the primary limits.
 * - `read`: no spacing (the throttling plugin's per-installation concurrency only);
 * - `write`: the per-installation write spacing;
 * - `checks`: check-run writes, spaced the same but in a lane of their own, so a
 *   burst of check-run batches never delays a comment or a reaction (and back);
 * - `auth`: token requests, which the throttling plugin serialises itself.
 */
export type Lane = "read" | "write" | "checks" | "auth";

export function requestLane(req: { method: string; url: string; query?: unknown }): Lane {
  const { pathname } = new URL(req.url, "http://github.test");
  if (isAuthRequest(req.method, pathname)) return "auth";
  if (pathname.endsWith("/graphql")) {
    if (!isMutation(req.query)) return "read";
    return typeof req.query === "string" && /\b(createCheckRun|updateCheckRun)\b/.test(req.query) ? "checks" : "write";
  }
  if (req.method === "GET" || req.method === "HEAD") return "read";
  return /\/check-(runs|suites)\b/.test(pathname) ? "checks" : "write";
}

/** A GraphQL document whose (first) operation is a mutation; comments and whitespace skipped. */
function isMutation(query: unknown): boolean {
  return typeof query === "string" && /^mutation\b/.test(query.replace(/^(\s|,|#[^\n]*\n?)+/, ""));
}

/** The token endpoints, as @octokit/plugin-throttling tells them apart (its auth group). */
function isAuthRequest(method: string, pathname: string): boolean {
  return (
    (method === "PATCH" && /^\/applications\/[^/]+\/token\/scoped$/.test(pathname)) ||
    (method === "POST" &&
      (/^\/applications\/[^/]+\/token$/.test(pathname) ||
        /^\/app\/installations\/[^/]+\/access_tokens$/.test(pathname) ||
        pathname === "/login/oauth/access_token"))
  );
}

/** `fetch` that gives up after `timeoutMs` (a fresh timer per attempt: retries reuse the request options). */
function timedFetch(fetch: typeof globalThis.fetch, timeoutMs: number): typeof globalThis.fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
}

/** @octokit/plugin-retry's own list, plus 429 (see the retry option below). */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];

/** What the throttling plugin expects of a limiter group; ours lets every request through at once. */
const NO_SPACING = { key: () => ({ schedule: <T>(_options: unknown, fn: () => Promise<T>) => fn() }) };

type Lanes = Record<"write" | "checks" | "notifications", Bottleneck.Group>;

/**
 * Wait for a lane's slot; resolves with `sent`, to call when the request has gone
 * out: the slot is then held `holdMs` longer, so the next request of the lane
 * (in any process on the shared Redis) goes out at least that much later. Until
 * then the slot's job is in `held` (shutdown waits for it: a slot left running on
 * Redis would block the other replicas until it expires).
 */
function takeSlot(
  limiter: Bottleneck,
  jobOptions: Bottleneck.JobOptions,
  holdMs: number,
  held: Set<Promise<unknown>>,
): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const job = limiter.schedule(jobOptions, () => new Promise<void>((done) => resolve(() => void setTimeout(done, holdMs))));
    held.add(job);
    job.catch(reject).finally(() => held.delete(job));
  });
}

/** Bottleneck's Redis connection as Probot builds it from `REDIS_URL` (typed loosely: Bottleneck's types predate it). */
type SharedConnection = Bottleneck.IORedisConnection & { disconnect(flush?: boolean): Promise<void> };

/**
 * Probot's Octokit with our rate-limit policy.
 *
 * Spacing: the writes of one installation (the throttle id) start at least
 * `writeIntervalMs` apart, check-run writes in a lane of their own; reads are not
 * spaced (see {@link requestLane}). Writes that notify people (comments, issues)
 * also start `notificationIntervalMs` apart (the throttling plugin's limiter). With `REDIS_URL` Probot hands the throttling
 * plugin a Bottleneck Redis connection; our lanes use the same connection, so every
 * replica sharing that Redis spaces one installation's writes as one process would.
 *
 * Timeout: every request (REST, GraphQL, the token exchange) that has not answered
 * within `requestTimeoutMs` is abandoned; Octokit's retry plugin retries it as a 5xx
 * (after 1, 4 and 9 × `retryBaseMs`),
 * so a GitHub that hangs holds no job, lease or lane for longer than that.
 *
 * Retries: Probot's own defaults do not retry secondary limits; we retry primary and
 * secondary limits (honouring retry-after) up to `retries` times, logging each hit
 * once with its wait. After that the request fails and the caller keeps its work
 * pending (check-run updates are retried by the reporter; nothing is dropped).
 *
 * `close()` waits for the lanes' held slots and disconnects the shared Redis
 * connection, if any (at shutdown).
 */
export function createOctokitClass(opts: {
  log: Logger;
  metrics: Metrics;
  retries: number;
  writeIntervalMs: number;
  notificationIntervalMs: number;
  requestTimeoutMs: number;
  /** The retry plugin's unit: a failed request is retried after 1, 4 and 9 times this, ms. */
  retryBaseMs: number;
}) {
  const { log, metrics, retries } = opts;
  const onLimit =
    (kind: "primary" | "secondary") =>
    (
      retryAfter: number,
      options: { method: string; url: string; request?: { retryCount?: number } },
      _octokit: unknown,
      retryCount?: number,
    ) => {
      const count = retryCount ?? options.request?.retryCount ?? 0;
      metrics.githubLimitWaits.inc({ kind });
      if (count >= retries) {
        log.warn(
          { kind, route: `${options.method} ${options.url}`, retries: count },
          "GitHub rate limit: giving up for now; the work stays pending",
        );
        return false;
      }
      log.warn(
        { kind, route: `${options.method} ${options.url}`, waitSeconds: retryAfter },
        `GitHub ${kind} rate limit: waiting ${retryAfter}s`,
      );
      return true;
    };

  // One set of lanes per Bottleneck connection (one in practice: Probot makes it once); `undefined` = in-process.
  const lanesByConnection = new Map<SharedConnection | undefined, Lanes>();
  const lanesFor = (connection: SharedConnection | undefined): Lanes => {
    let lanes = lanesByConnection.get(connection);
    if (!lanes) {
      // One slot at a time; the slot itself is held for the interval (see takeSlot).
      const common = { maxConcurrent: 1, ...(connection ? { connection } : {}) };
      lanes = {
        write: new Bottleneck.Group({ id: "packit-write", ...common }),
        checks: new Bottleneck.Group({ id: "packit-checks", ...common }),
        // The throttling plugin's own group (its id, its 2 min Redis TTL), with our interval.
        notifications: new Bottleneck.Group({
          id: "octokit-notifications",
          minTime: opts.notificationIntervalMs,
          timeout: 120_000,
          ...common,
        }),
      };
      lanesByConnection.set(connection, lanes);
    }
    return lanes;
  };

  const held = new Set<Promise<unknown>>();
  // Probot's Redis connection, seen in the options it constructs our clients with; closed by `close()`.
  const connections = new Set<SharedConnection>();
  const WithPolicy = ProbotOctokit.defaults((instanceOptions: Record<string, unknown>) => {
    const connection = (instanceOptions.throttle as { connection?: SharedConnection } | undefined)?.connection;
    if (connection) connections.add(connection);
    const request = instanceOptions.request as { fetch?: typeof globalThis.fetch } | undefined;
    return {
      ...instanceOptions,
      // The client's own requests and its auth strategy's (token exchange) go through this fetch.
      request: { ...request, fetch: timedFetch(request?.fetch ?? globalThis.fetch, opts.requestTimeoutMs) },
      // Rate limits (403, 429) belong to the throttling plugin, which waits retry-after; once it
      // gives up, the retry plugin must not try again after its own (n+1)² × retryBaseMs (16 s after three).
      retry: { ...(instanceOptions.retry as object | undefined), doNotRetry: DO_NOT_RETRY, retryAfterBaseValue: opts.retryBaseMs },
      // Probot passes its own throttle handlers in (and its Redis connection); ours replace the handlers (this function runs last).
      throttle: {
        ...(instanceOptions.throttle as object),
        onRateLimit: onLimit("primary"),
        onSecondaryRateLimit: onLimit("secondary"),
        // The plugin would space every GraphQL request, queries included, as a write; our lanes below decide instead.
        write: NO_SPACING,
        notifications: lanesFor(connection).notifications,
      },
    };
  });
  const Octokit = WithPolicy.plugin((octokit, octokitOptions) => {
    const throttle = (octokitOptions as { throttle?: { enabled?: boolean; id?: string; connection?: SharedConnection } }).throttle;
    if (throttle?.enabled !== false) {
      const lanes = lanesFor(throttle?.connection);
      const id = throttle?.id ?? "no-id";
      // A job on the shared Redis that a dead replica left behind is dropped after this (as the plugin does).
      const jobOptions = throttle?.connection ? { expiration: 60_000 } : {};
      // The lane is waited for here, before the throttling plugin's queues (a write
      // waiting for its turn holds none of the installation's concurrency); the slot is
      // held until the write reaches `fetch` and for the interval after, so GitHub sees
      // the writes spaced even when one was held up behind reads in the plugin's queue.
      octokit.hook.wrap("request", async (request, options) => {
        const lane = requestLane(options);
        if (lane !== "write" && lane !== "checks") return request(options);
        const limiter = lanes[lane].key(id);
        let release: (() => void) | undefined = await takeSlot(limiter, jobOptions, opts.writeIntervalMs, held);
        const fetch = (options.request?.fetch as typeof globalThis.fetch | undefined) ?? globalThis.fetch;
        const spacedFetch: typeof globalThis.fetch = async (input, init) => {
          // A retry of the write (rate limit, 5xx) takes a new slot.
          const sent = release ?? (await takeSlot(limiter, jobOptions, opts.writeIntervalMs, held));
          release = undefined;
          const response = fetch(input, init);
          sent();
          return response;
        };
        try {
          return await request({ ...options, request: { ...options.request, fetch: spacedFetch } });
        } finally {
          // Failed before it was sent (a token request, a limit given up on): free the lane.
          release?.();
        }
      });
    }
    octokit.hook.after("request", (response, options) => {
      metrics.githubRequests.inc({ route: routeGroup(options.url), status: String(response.status) });
      const remaining = response.headers["x-ratelimit-remaining"];
      if (remaining !== undefined) metrics.githubRateLimitRemaining.set({ installation: "any" }, Number(remaining));
    });
    octokit.hook.error("request", (error, options) => {
      const status = httpStatus(error);
      metrics.githubRequests.inc({ route: routeGroup(options.url), status: String(status ?? "error") });
      throw error;
    });
  });
  return Object.assign(Octokit, {
    /** Let the held slots run out, then disconnect the Redis connection the lanes share with the throttling plugin (shutdown). */
    async close(): Promise<void> {
      await Promise.allSettled([...held]);
      for (const connection of connections) await connection.disconnect();
      connections.clear();
      lanesByConnection.clear();
    },
  });
}
