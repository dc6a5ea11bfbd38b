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
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { method: call.method ?? "GET", headers, body, signal });
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
        .map((e) => (e && typeof e === "object" ? String((e as Record<string, unknown>).detail ?? (e as Record<string, unknown>).title ?? "") : String(e)))
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
