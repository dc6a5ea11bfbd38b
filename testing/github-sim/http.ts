/** Request/answer types and helpers shared by the simulator's REST and GraphQL handlers. */
import type { TokenStore } from "./auth.js";
import type { SimState } from "./state.js";

/**
 * Which part of the API a request hit. Faults can target one group; the request log
 * records it so tests and benchmarks can count e.g. GraphQL vs check-run calls.
 */
export type RouteGroup =
  | "app"
  | "installations"
  | "access-tokens"
  | "repos"
  | "contents"
  | "pulls"
  | "check-runs"
  | "comments"
  | "reactions"
  | "collaborators"
  | "users"
  | "oauth"
  | "graphql"
  | "unknown";

export interface Reply {
  status: number;
  /** JSON-serialised unless it is a string (raw media type). */
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a handler needs: the shared state and how to describe itself. */
export interface SimContext {
  readonly state: SimState;
  readonly tokens: TokenStore;
  /** The API base URL (the simulator's own address). */
  readonly api: string;
  /** The App a manifest code registers, as `POST /app-manifests/{code}/conversions` answers; undefined for an unknown code. */
  readonly convertManifest: (code: string) => Record<string, unknown> | undefined;
}

/** One authenticated request, routed. */
export interface Call {
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  params: Record<string, string>;
  /** The installation of the access token, for installation-authenticated routes. */
  installationId: number | undefined;
  /** The user of a user access token (the App's OAuth flow), for user-authenticated routes. */
  userLogin?: string;
  /** The route's documentation URL, quoted in error bodies as GitHub does. */
  docs: string;
}

/** An expected error answer, thrown by handlers and turned into GitHub's error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** A body of its own (e.g. "Validation Failed" with `errors[]`); default {@link errorBody}. */
    readonly body?: unknown,
  ) {
    super(message);
  }
}

/** One entry of a "Validation Failed" answer's `errors[]`, as GitHub words them. */
export interface ValidationError {
  resource: string;
  field: string;
  code: "missing" | "missing_field" | "invalid" | "already_exists" | "unprocessable" | "custom";
  message?: string;
}

/** GitHub's 422 for a request the schema accepts but the model refuses: `Validation Failed` with `errors[]`. */
export function validationFailed(docs: string, ...errors: ValidationError[]): HttpError {
  return new HttpError(422, "Validation Failed", { message: "Validation Failed", errors, documentation_url: docs, status: "422" });
}

export const DOCS = "https://docs.github.com/rest";

/** GitHub's REST error body: `{message, documentation_url, status}` (status as a string). */
export function errorBody(status: number, message: string, docs: string) {
  return { message, documentation_url: docs, status: String(status) };
}

export const notFound = () => new HttpError(404, "Not Found");

/** An App permission at a level, as GitHub names them (`checks: write`). */
export type Permission = readonly [name: string, level: "read" | "write"];

/**
 * Whether the App's installations hold one of `anyOf` (write includes read). GitHub
 * grants an installation the App's permissions; a request that needs more is refused.
 */
export function holds(sim: SimContext, ...anyOf: Permission[]): boolean {
  if (anyOf.length === 0) return true;
  const granted = sim.state.app.permissions;
  return anyOf.some(([name, level]) => granted[name] === "write" || (level === "read" && granted[name] === "read"));
}

/** GitHub's 403 for a request the installation's permissions do not cover. */
export function requirePermission(sim: SimContext, ...anyOf: Permission[]): void {
  if (!holds(sim, ...anyOf)) throw new HttpError(403, "Resource not accessible by integration");
}

/** A page of `items` per `per_page`/`page`, with GitHub's `Link` header. */
export function paginate<T>(items: T[], call: Call, api: string): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, Number(call.query.get("per_page") ?? 30) || 30));
  const page = Math.max(1, Number(call.query.get("page") ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (p: number, rel: string) => {
    const u = new URL(call.path, api);
    for (const [k, v] of call.query) u.searchParams.set(k, v);
    u.searchParams.set("per_page", String(perPage));
    u.searchParams.set("page", String(p));
    return `<${u.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, "prev"));
  if (page < last) links.push(link(page + 1, "next"), link(last, "last"));
  if (page > 1) links.push(link(1, "first"));
  return {
    page: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length ? { link: links.join(", ") } : {},
  };
}
