/**
 * XML-RPC over `hubRequest`: the client side used by the Koji and OpenScanHub clients.
 */
import type { Agent } from "node:http";
import { BackendError } from "../../errors.js";
import { redactUrl } from "../http.js";
import { decodeResponse, encodeCall, XmlRpcFault, XmlRpcParseError, type XmlRpcValue } from "./codec.js";
import { hubRequest } from "./transport.js";

export interface XmlRpcCallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Extra request headers: a session cookie, Koji's session headers, a Negotiate token. */
  headers?: Record<string, string>;
  /** The client's keep-alive agent (and TLS identity), from `createHubAgent`. */
  agent?: Agent;
}

export interface XmlRpcAnswer {
  value: XmlRpcValue;
  /** Response headers (kobo's login answers with a session cookie, a Negotiate login with the hub's token). */
  headers: Headers;
  status: number;
}

/** Koji and kobo task ids are integers; anything else cannot be one (and must not reach a call). */
export function parseTaskId(externalId: string): number | null {
  return /^\d{1,15}$/.test(externalId) ? Number(externalId) : null;
}

/**
 * One XML-RPC call, returning the value and the response headers. A `<fault>` is
 * thrown as a permanent `XmlRpcFault` (tagged with `backend`); a non-200 status
 * below 500 as a permanent `BackendError`. A 200 whose body is not XML-RPC (a
 * proxy's HTML page, a truncated document) is a transient `BackendError` —
 * "malformed answer", as the JSON clients say — like 5xx, timeouts and connection
 * errors (from `hubRequest`): asking again may well get the real answer.
 */
export async function xmlRpcExchange(
  backend: string,
  url: string,
  method: string,
  params: readonly unknown[],
  opts: XmlRpcCallOptions = {},
): Promise<XmlRpcAnswer> {
  const answer = await hubRequest(backend, url, {
    method: "POST",
    headers: { "content-type": "text/xml", accept: "text/xml", ...opts.headers },
    body: encodeCall(method, params),
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    agent: opts.agent,
  });
  const where = `${method} at ${redactUrl(url)}`;
  if (answer.status !== 200) {
    throw new BackendError(backend, `${where}: HTTP ${answer.status}`, { transient: false, status: answer.status });
  }
  try {
    return { value: decodeResponse(answer.text), headers: answer.headers, status: answer.status };
  } catch (err) {
    if (err instanceof XmlRpcFault) throw new XmlRpcFault(err.code, err.faultString, { backend });
    if (err instanceof XmlRpcParseError) {
      throw malformedAnswer(backend, where, `not XML-RPC: ${err.reason} (${describeBody(answer)})`, err);
    }
    throw err;
  }
}

/** One XML-RPC call (POST, `text/xml`), returning the decoded value. See `xmlRpcExchange`. */
export async function xmlRpcCall(
  backend: string,
  url: string,
  method: string,
  params: readonly unknown[],
  opts: XmlRpcCallOptions = {},
): Promise<XmlRpcValue> {
  return (await xmlRpcExchange(backend, url, method, params, opts)).value;
}

/** A transient error for an answer of the wrong shape, in the words of the JSON clients (`JsonApi.parse`). */
export function malformedAnswer(backend: string, what: string, why: string, cause?: unknown): BackendError {
  return new BackendError(backend, `${what}: malformed answer: ${why}`, { transient: true, status: 200, cause });
}

function describeBody(answer: { text: string; headers: Headers }): string {
  const type = answer.headers.get("content-type") ?? "no content-type";
  return answer.text === "" ? `empty, ${type}` : `${type}: ${JSON.stringify(answer.text.slice(0, 60))}`;
}
