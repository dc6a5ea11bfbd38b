/**
 * The server side of XML-RPC for the fake hubs: a method dispatcher over `startHttpFake`.
 */
import { decodeCall, encodeFault, encodeResponse, XmlRpcFault, type XmlRpcValue } from "../../src/backends/xmlrpc/codec.js";
import type { FakeReply, FakeRequest } from "./http-fake.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type XmlRpcMethod = (...args: any[]) => unknown;
export type XmlRpcMethods = Record<string, XmlRpcMethod>;

/** What a method factory sees for one request; it may add reply headers (cookies, a Negotiate token). */
export interface XmlRpcHandlerContext {
  req: FakeRequest;
  method: string;
  replyHeaders: Record<string, string>;
}

/** A dispatcher of its own (Koji's multiCall and keyword arguments), instead of a method table. */
export interface XmlRpcDispatcher {
  dispatch(method: string, params: XmlRpcValue[]): unknown;
}

/**
 * A `startHttpFake` handler that decodes the call, dispatches it to `methods`
 * (or to the methods a factory builds for this request) and encodes the result.
 * A method that throws `XmlRpcFault` answers that fault; any other error answers
 * fault 1 `Name: message`, as Python's SimpleXMLRPCDispatcher does.
 */
export function xmlRpcHandler(
  methods: XmlRpcMethods | ((ctx: XmlRpcHandlerContext) => XmlRpcMethods | XmlRpcDispatcher),
): (req: FakeRequest) => Promise<FakeReply> {
  return async (req) => {
    const replyHeaders: Record<string, string> = { "content-type": "text/xml" };
    let body: string;
    try {
      const call = decodeCall(req.body);
      const table = typeof methods === "function" ? methods({ req, method: call.method, replyHeaders }) : methods;
      if (typeof table.dispatch === "function" && !Object.hasOwn(table, call.method)) {
        body = encodeResponse(await (table as XmlRpcDispatcher).dispatch(call.method, call.params));
      } else {
        const t = table as XmlRpcMethods;
        const fn = Object.hasOwn(t, call.method) ? t[call.method] : undefined;
        if (!fn) throw new XmlRpcFault(1, `method "${call.method}" is not supported`);
        body = encodeResponse(await fn(...call.params));
      }
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
/** A parameter in a fault message as Koji's `%s` shows it: strings and numbers as they are, anything else as JSON. */
export function shown(v: unknown): string {
  return typeof v === "string" || typeof v === "number" ? String(v) : JSON.stringify(v);
}

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
export function withBeforeCall<M extends Record<string, (...params: XmlRpcValue[]) => unknown>>(
  methods: M,
  hook: ((name: string, params: XmlRpcValue[]) => void) | undefined,
): M {
  if (!hook) return methods;
  return Object.fromEntries(
    Object.entries(methods).map(([name, fn]) => [name, (...params: XmlRpcValue[]) => (hook(name, params), fn(...params))]),
  ) as M;
}
