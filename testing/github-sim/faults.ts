/**
 * Rate limits and injected faults, answered the way GitHub answers them so that
 * Octokit's throttling and retry plugins react as they would in production.
 */
import { randomBytes } from "node:crypto";
import { STATUS_CODES } from "node:http";
import type { Reply, RouteGroup } from "./http.js";

type RateLimitKind = "secondary" | "primary" | "429";

export interface RateLimitFault {
  kind?: RateLimitKind;
  /** Seconds until the limit lifts: `retry-after` (secondary, 429) or `x-ratelimit-reset` − now (primary). Default 1. */
  retryAfterSec?: number;
  routeGroup?: RouteGroup;
  /** Only writes: REST POST/PATCH/PUT/DELETE and GraphQL mutations. */
  writes?: boolean;
}

interface Fault {
  remaining: number;
  routeGroup: RouteGroup | undefined;
  writes: boolean;
  /** Only reads: REST GET/HEAD and GraphQL queries. */
  reads: boolean;
  /** `hang`: the request is taken and never answered (nor applied). */
  kind: RateLimitKind | "fail" | "hang";
  status: number;
  retryAfterSec: number;
}

const SECONDARY_DOCS =
  "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits";
const PRIMARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit";

/** GitHub's request id format, also quoted in secondary-limit messages. */
export function requestId(): string {
  const h = randomBytes(10).toString("hex").toUpperCase();
  return `${h.slice(0, 4)}:${h.slice(4, 8)}:${h.slice(8, 14)}:${h.slice(14, 20)}`;
}

/** A queue of one-shot faults; the first one matching a request is used. */
export class Faults {
  private queue: Fault[] = [];

  fail(n: number, status: number, routeGroup?: RouteGroup): void {
    this.queue.push({ remaining: n, routeGroup, writes: false, reads: false, kind: "fail", status, retryAfterSec: 0 });
  }

  hang(n: number, opts: { routeGroup?: RouteGroup; writes?: boolean; reads?: boolean }): void {
    this.queue.push({
      remaining: n,
      routeGroup: opts.routeGroup,
      writes: opts.writes ?? false,
      reads: opts.reads ?? false,
      kind: "hang",
      status: 0,
      retryAfterSec: 0,
    });
  }

  rateLimit(n: number, opts: RateLimitFault): void {
    const kind = opts.kind ?? "secondary";
    this.queue.push({
      remaining: n,
      routeGroup: opts.routeGroup,
      writes: opts.writes ?? false,
      reads: false,
      kind,
      status: kind === "429" ? 429 : 403,
      retryAfterSec: opts.retryAfterSec ?? 1,
    });
  }

  /**
   * Take one use of the first fault for this group. Faults without a group hit every
   * request except the token exchange: tests want faults on the calls they measure,
   * not on the (cached) token, which a fault must name explicitly.
   */
  take(group: RouteGroup, isWrite: boolean): Fault | undefined {
    const f = this.queue.find(
      (q) =>
        (q.routeGroup === undefined ? group !== "access-tokens" : q.routeGroup === group) &&
        (!q.writes || isWrite) &&
        (!q.reads || !isWrite),
    );
    if (!f) return undefined;
    if (--f.remaining <= 0) this.queue.splice(this.queue.indexOf(f), 1);
    return f;
  }

  clear(): void {
    this.queue = [];
  }
}

interface Bucket {
  used: number;
  resetS: number;
}

/**
 * GitHub's hourly primary rate limit, per credential and resource (`core`,
 * `graphql`). Every answer carries the `x-ratelimit-*` headers of its bucket.
 */
export class RateLimits {
  private buckets = new Map<string, Bucket>();

  constructor(private readonly limit: number) {}

  private bucket(key: string): Bucket {
    const nowS = Math.floor(Date.now() / 1000);
    let b = this.buckets.get(key);
    if (!b || b.resetS <= nowS) this.buckets.set(key, (b = { used: 0, resetS: nowS + 3600 }));
    return b;
  }

  /** Count one request; false when the bucket was already empty (the request must be refused). */
  consume(key: string): boolean {
    const b = this.bucket(key);
    if (b.used >= this.limit) return false;
    b.used++;
    return true;
  }

  headers(key: string, resource: string): Record<string, string> {
    const b = this.bucket(key);
    return {
      "x-ratelimit-limit": String(this.limit),
      "x-ratelimit-remaining": String(Math.max(0, this.limit - b.used)),
      "x-ratelimit-reset": String(b.resetS),
      "x-ratelimit-used": String(b.used),
      "x-ratelimit-resource": resource,
    };
  }

  clear(): void {
    this.buckets.clear();
  }
}

/** The primary-limit answer: REST 403 with remaining 0; GraphQL 200 with a RATE_LIMITED error, as GitHub documents. */
export function primaryLimitReply(group: RouteGroup, who: string, resetS: number, limit: number, resource: string): Reply {
  const headers = {
    "x-ratelimit-limit": String(limit),
    "x-ratelimit-remaining": "0",
    "x-ratelimit-reset": String(resetS),
    "x-ratelimit-used": String(limit),
    "x-ratelimit-resource": resource,
  };
  const message = `API rate limit exceeded for ${who}.`;
  if (group === "graphql") return { status: 200, headers, body: { errors: [{ type: "RATE_LIMITED", message }] } };
  return { status: 403, headers, body: { message, documentation_url: PRIMARY_DOCS, status: "403" } };
}

/** The answer for an injected fault; `rateHeaders` are the request's normal `x-ratelimit-*` headers. */
export function faultReply(f: Fault, group: RouteGroup, who: string, rateHeaders: Record<string, string>, reqId: string): Reply {
  if (f.kind === "fail") {
    return {
      status: f.status,
      headers: rateHeaders,
      body: { message: STATUS_CODES[f.status] ?? "Server Error", status: String(f.status) },
    };
  }
  if (f.kind === "primary") {
    const nowS = Math.floor(Date.now() / 1000);
    const limit = Number(rateHeaders["x-ratelimit-limit"]);
    return primaryLimitReply(group, who, nowS + f.retryAfterSec, limit, rateHeaders["x-ratelimit-resource"] ?? "core");
  }
  return {
    status: f.status,
    headers: { ...rateHeaders, "retry-after": String(f.retryAfterSec) },
    body: {
      message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${reqId}.`,
      documentation_url: SECONDARY_DOCS,
      status: String(f.status),
    },
  };
}
