/**
 * XML-RPC over `httpCall` (client side) and a method dispatcher for fake servers.
 */
import { BackendError } from "../../errors.js";
import type { FakeReply, FakeRequest } from "../fakes/http-fake.js";
import { httpCall, redactUrl } from "../http.js";
import {
  decodeCall,
  decodeResponse,
  encodeCall,
  encodeFault,
  encodeResponse,
  XmlRpcFault,
  XmlRpcParseError,
  type XmlRpcValue,
} from "./codec.js";

export interface XmlRpcCallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Extra request headers, e.g. a session cookie. */
  headers?: Record<string, string>;
}

export interface XmlRpcAnswer {
  value: XmlRpcValue;
  /** Response headers (kobo's login answers with a session cookie). */
  headers: Headers;
}

/** Koji and kobo task ids are integers; anything else cannot be one (and must not reach a call). */
export function parseTaskId(externalId: string): number | null {
  return /^\d{1,15}$/.test(externalId) ? Number(externalId) : null;
}

/**
 * One XML-RPC call, returning the value and the response headers. A `<fault>` is
 * thrown as a permanent `XmlRpcFault` (tagged with `backend`); a body that is not
 * XML-RPC, or a non-200 status below 500, as a permanent `BackendError`; 5xx,
 * timeouts and connection errors stay transient (from `httpCall`).
 */
export async function xmlRpcExchange(
  backend: string,
  url: string,
  method: string,
  params: readonly unknown[],
  opts: XmlRpcCallOptions = {},
): Promise<XmlRpcAnswer> {
  const answer = await httpCall(backend, url, {
    method: "POST",
    headers: { "content-type": "text/xml", accept: "text/xml", ...opts.headers },
    body: encodeCall(method, params),
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
  });
  const where = `${method} at ${redactUrl(url)}`;
  if (answer.status !== 200) {
    throw new BackendError(backend, `${where}: HTTP ${answer.status}`, { transient: false, status: answer.status });
  }
  if (typeof answer.body !== "string") {
    // httpCall parsed it as JSON (or it was empty): not an XML-RPC answer.
    throw new BackendError(backend, `${where}: the answer is not XML-RPC`, { transient: false, status: answer.status });
  }
  try {
    return { value: decodeResponse(answer.body), headers: answer.headers };
  } catch (err) {
    if (err instanceof XmlRpcFault) throw new XmlRpcFault(err.code, err.faultString, { backend });
    if (err instanceof XmlRpcParseError) {
      throw new BackendError(backend, `${where}: ${err.message}`, { transient: false, status: answer.status, cause: err });
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

// ───────────────────────────── server side (fakes) ─────────────────────────────

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type XmlRpcMethod = (...args: any[]) => unknown;
export type XmlRpcMethods = Record<string, XmlRpcMethod>;

/** What a method factory sees for one request; it may add reply headers (cookies). */
export interface XmlRpcHandlerContext {
  req: FakeRequest;
  method: string;
  replyHeaders: Record<string, string>;
}

/**
 * A `startHttpFake` handler that decodes the call, dispatches it to `methods`
 * (or to the methods a factory builds for this request) and encodes the result.
 * A method that throws `XmlRpcFault` answers that fault; any other error answers
 * fault 1 `Name: message`, as Python's SimpleXMLRPCDispatcher does.
 */
export function xmlRpcHandler(
  methods: XmlRpcMethods | ((ctx: XmlRpcHandlerContext) => XmlRpcMethods),
): (req: FakeRequest) => Promise<FakeReply> {
  return async (req) => {
    const replyHeaders: Record<string, string> = { "content-type": "text/xml" };
    let body: string;
    try {
      const call = decodeCall(req.body);
      const table = typeof methods === "function" ? methods({ req, method: call.method, replyHeaders }) : methods;
      const fn = Object.hasOwn(table, call.method) ? table[call.method] : undefined;
      if (!fn) throw new XmlRpcFault(1, `method "${call.method}" is not supported`);
      body = encodeResponse(await fn(...call.params));
    } catch (err) {
      body =
        err instanceof XmlRpcFault
          ? encodeFault(err.code, err.faultString)
          : encodeFault(1, `${(err as Error).name ?? "Error"}: ${(err as Error).message ?? String(err)}`);
    }
    return { status: 200, body, headers: replyHeaders };
  };
}

/** The XML-RPC method of each recorded call, in order ("(not XML-RPC)" for other bodies): what a fake was asked. */
export function xmlRpcMethods(calls: readonly { body: string }[]): string[] {
  return calls.map((c) => {
    try {
      return decodeCall(c.body).method;
    } catch {
      return "(not XML-RPC)";
    }
  });
}

/** `methods` with `hook(name, params)` run right before each one (fakes use it to inject faults or hold state). */
export function withBeforeCall<M extends Record<string, (...params: XmlRpcValue[]) => unknown>>(methods: M, hook: ((name: string, params: XmlRpcValue[]) => void) | undefined): M {
  if (!hook) return methods;
  return Object.fromEntries(Object.entries(methods).map(([name, fn]) => [name, (...params: XmlRpcValue[]) => (hook(name, params), fn(...params))])) as M;
}
