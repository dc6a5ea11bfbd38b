import { Agent, fetch, type Dispatcher } from "undici";
import type { z } from "zod";
import { BackendError } from "../errors.js";

export interface HttpAnswer {
  status: number;
  /** Parsed JSON, or the raw text when the body is not JSON, or null when empty. */
  body: unknown;
  headers: Headers;
}

export interface HttpCall {
  method?: string;
  headers?: Record<string, string>;
  /** Serialised as JSON unless it is already a string. */
  body?: unknown;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The connection pool to use (a backend's keep-alive agent); default: Node's global one. */
  dispatcher?: Dispatcher;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * One HTTP call with a timeout. Connection failures, timeouts and 5xx become
 * transient `BackendError`s; any other status is returned so the client can read
 * expected answers (404, 409, …) as values. An abort from `signal` is rethrown as is.
 */
export async function httpCall(backend: string, url: string, call: HttpCall = {}): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(call.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
  const headers: Record<string, string> = { accept: "application/json", ...call.headers };
  let body: string | undefined;
  if (call.body !== undefined) {
    body = typeof call.body === "string" ? call.body : JSON.stringify(call.body);
    headers["content-type"] ??= "application/json";
  }
  let res: Awaited<ReturnType<typeof fetch>>;
  let text: string;
  try {
    // The undici package's fetch, which takes its agents (Node 20's own fetch is an older undici).
    res = await fetch(url, { method: call.method ?? "GET", headers, body, signal, dispatcher: call.dispatcher });
    text = await res.text();
  } catch (err) {
    if (call.signal?.aborted) throw call.signal.reason ?? err;
    const what = timeout.aborted ? `timed out after ${call.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms` : describeFetchError(err);
    throw new BackendError(backend, `${call.method ?? "GET"} ${redactUrl(url)}: ${what}`, { transient: true, cause: err });
  }
  const parsed = parseBody(text);
  if (res.status >= 500) {
    throw new BackendError(backend, `${call.method ?? "GET"} ${redactUrl(url)}: HTTP ${res.status} ${errorText(parsed)}`.trim(), {
      transient: true,
      status: res.status,
    });
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

function parseBody(text: string): unknown {
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The most useful error text of a body: Copr `{error}`, Image Builder `{errors:[{detail}]}`, TF `{message}`. */
export function errorText(body: unknown): string {
  if (body === null || body === undefined) return "";
  if (typeof body === "string") return body.slice(0, 300);
  if (typeof body === "object") {
    const b = body as Record<string, unknown>;
    if (typeof b.error === "string") return b.error;
    if (typeof b.message === "string") return b.message;
    if (typeof b.detail === "string") return b.detail;
    if (Array.isArray(b.errors)) {
      return b.errors
        .map((e) =>
          e && typeof e === "object"
            ? ([(e as Record<string, unknown>).detail, (e as Record<string, unknown>).title].find((t) => typeof t === "string") ?? "")
            : String(e),
        )
        .filter(Boolean)
        .join("; ");
    }
  }
  return JSON.stringify(body).slice(0, 300);
}

/** The low-level reason of a failed fetch (ECONNREFUSED, …) rather than "fetch failed". */
export function describeFetchError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? err.message;
  }
  return String(err);
}

/** Credentials can sit in a URL's userinfo or query; never let them reach a message. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = "***";
      u.password = "";
    }
    for (const key of [...u.searchParams.keys()]) {
      if (/token|key|secret|password/i.test(key)) u.searchParams.set(key, "***");
    }
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * A connection pool that keeps connections open between calls, one per backend: a
 * poll every few seconds then costs no TCP (and TLS) handshake. Idle sockets do not
 * keep the process alive.
 */
export function keepAliveAgent(): Agent {
  return new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 300_000, connections: 32 });
}

export interface JsonApiConfig {
  /** The backend's name, the first word of every error message. */
  backend: string;
  /** Prefix of every call's path, e.g. `https://copr.fedorainfracloud.org/api_3`. */
  baseUrl: string;
  timeoutMs?: number;
  /** Headers that authenticate a call, asked for before each one (a token provider may refresh first). */
  auth?: () => Record<string, string> | undefined | Promise<Record<string, string> | undefined>;
  /** Called with the refused headers on a 401: true when fresh credentials are worth one more attempt. */
  renewAuth?: (refused: Record<string, string> | undefined) => Promise<boolean>;
  /** The service's own words in an error body; default `errorText`. */
  errorText?: (body: unknown) => string;
  /** What a 401 means for this service, e.g. "Copr API token expired: renew it at …". */
  unauthorized?: (text: string) => string;
}

interface JsonApiCall {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * The one style of the HTTP JSON clients: calls through one keep-alive agent with the
 * service's authentication, error bodies turned into messages in the service's own
 * words, and every answer read through a zod schema so that a body of the wrong
 * shape is a clear error naming the backend and the field — never a crash deep inside.
 */
export interface JsonApi {
  readonly backend: string;
  /** One call; expected statuses (404, 409, …) come back as values, 5xx and timeouts throw (transient). */
  call(method: string, path: string, opts?: JsonApiCall): Promise<HttpAnswer>;
  /** The body of a 2xx answer, read with `schema`; otherwise the error `fail` makes. */
  expect<S extends z.ZodType>(ans: HttpAnswer, schema: S, what: string): z.output<S>;
  /** `body` read with `schema`; a body of another shape is a transient `BackendError` naming the field. */
  parse<S extends z.ZodType>(body: unknown, schema: S, what: string, status?: number): z.output<S>;
  /** Why an answer is not what was wanted: `HTTP 403 <the service's message>`, or what a 401 means. */
  explain(ans: HttpAnswer): string;
  /** The permanent error an unwanted answer means: `what: <explain(ans)>`. */
  fail(ans: HttpAnswer, what: string): BackendError;
  /** The service's message in an answer's body. */
  text(body: unknown): string;
}

export function createJsonApi(config: JsonApiConfig): JsonApi {
  const base = config.baseUrl.replace(/\/+$/, "");
  const agent = keepAliveAgent();
  const text = config.errorText ?? errorText;

  async function once(method: string, url: string, opts: JsonApiCall, auth: Record<string, string> | undefined): Promise<HttpAnswer> {
    return httpCall(config.backend, url, {
      method,
      body: opts.body,
      headers: { ...auth, ...opts.headers },
      timeoutMs: config.timeoutMs,
      signal: opts.signal,
      dispatcher: agent,
    });
  }

  const api: JsonApi = {
    backend: config.backend,

    async call(method, path, opts = {}) {
      const query = Object.entries(opts.query ?? {}).filter((e): e is [string, string | number] => e[1] !== undefined);
      const url = `${base}${path}${query.length > 0 ? `?${new URLSearchParams(query.map(([k, v]): [string, string] => [k, String(v)])).toString()}` : ""}`;
      const auth = await config.auth?.();
      const ans = await once(method, url, opts, auth);
      if (ans.status === 401 && config.renewAuth && (await config.renewAuth(auth))) return once(method, url, opts, await config.auth?.());
      return ans;
    },

    expect(ans, schema, what) {
      if (ans.status < 200 || ans.status >= 300) throw api.fail(ans, what);
      return api.parse(ans.body, schema, what, ans.status);
    },

    parse(body, schema, what, status) {
      const result = schema.safeParse(body);
      if (result.success) return result.data;
      // A proxy's HTML page or a half-changed API: worth asking again (like a 5xx), but say what was wrong.
      const why =
        typeof body === "string" || body === null
          ? `the answer is not JSON (${body === null ? "empty" : JSON.stringify(body.slice(0, 60))})`
          : result.error.issues
              .slice(0, 3)
              .map((i) => `${i.path.length > 0 ? i.path.join(".") : "(the answer)"}: ${i.message}`)
              .join("; ");
      throw new BackendError(config.backend, `${what}: malformed answer: ${why}`, { transient: true, status });
    },

    explain(ans) {
      const said = text(ans.body);
      return (ans.status === 401 ? (config.unauthorized?.(said) ?? `authentication failed ${said}`) : `HTTP ${ans.status} ${said}`).trim();
    },

    fail(ans, what) {
      return new BackendError(config.backend, `${what}: ${api.explain(ans)}`, { transient: false, status: ans.status });
    },

    text,
  };
  return api;
}
