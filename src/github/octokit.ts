import Bottleneck from "bottleneck";
import { ProbotOctokit } from "probot";
import type { Logger } from "pino";
import type { Metrics } from "../metrics/index.js";

/** An installation-authenticated Octokit (REST + GraphQL), as Probot hands out. */
export type GitHub = InstanceType<typeof ProbotOctokit>;

/** Route groups for the request metric: few, stable label values. */
export function routeGroup(url: string): string {
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
 * Probot's Octokit with our rate-limit policy. Probot's own defaults do not retry
 * secondary limits; we retry primary and secondary limits (honouring retry-after)
 * up to `retries` times, logging each hit once with its wait. After that the
 * request fails and the caller keeps its work pending (check-run updates are
 * retried by the reporter; nothing is dropped).
 */
export function createOctokitClass(opts: { log: Logger; metrics: Metrics; retries: number; writeIntervalMs: number }) {
  const { log, metrics, retries } = opts;
  // One write at a time per installation (the throttle id), spaced as configured.
  const write = new Bottleneck.Group({ id: "packit-write", maxConcurrent: 1, minTime: opts.writeIntervalMs });
  const onLimit = (kind: "primary" | "secondary") => (retryAfter: number, options: { method: string; url: string; request?: { retryCount?: number } }, _octokit: unknown, retryCount?: number) => {
    const count = retryCount ?? options.request?.retryCount ?? 0;
    metrics.githubLimitWaits.inc({ kind });
    if (count >= retries) {
      log.warn({ kind, route: `${options.method} ${options.url}`, retries: count }, "GitHub rate limit: giving up for now; the work stays pending");
      return false;
    }
    log.warn({ kind, route: `${options.method} ${options.url}`, waitSeconds: retryAfter }, `GitHub ${kind} rate limit: waiting ${retryAfter}s`);
    return true;
  };
  const WithPolicy = ProbotOctokit.defaults((instanceOptions: Record<string, unknown>) => ({
    ...instanceOptions,
    // Probot passes its own throttle handlers in; ours replace them (this function runs last).
    throttle: {
      ...(instanceOptions.throttle as object),
      onRateLimit: onLimit("primary"),
      onSecondaryRateLimit: onLimit("secondary"),
      write,
    },
  }));
  return WithPolicy.plugin((octokit) => {
    octokit.hook.after("request", (response, options) => {
      metrics.githubRequests.inc({ route: routeGroup(options.url), status: String(response.status) });
      const remaining = response.headers["x-ratelimit-remaining"];
      if (remaining !== undefined) metrics.githubRateLimitRemaining.set({ installation: "any" }, Number(remaining));
    });
    octokit.hook.error("request", (error, options) => {
      const status = (error as { status?: number }).status;
      metrics.githubRequests.inc({ route: routeGroup(options.url), status: String(status ?? "error") });
      throw error;
    });
  });
}
