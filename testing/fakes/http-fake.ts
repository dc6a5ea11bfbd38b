import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";

/** One request a fake received, for tests and the demo to assert on. */
interface RecordedCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** The raw request body (JSON or XML text). */
  body: string;
  at: number;
  /** Which TCP connection carried it (1, 2, …): calls on one connection were kept alive. */
  connection: number;
}

export interface FakeRequest extends RecordedCall {
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** The body as received: `body` is its UTF-8 text, which mangles binary uploads. */
  rawBody: Buffer;
  /** On a TLS fake that asks for client certificates: what mod_ssl would tell the application. */
  tls?: { authorized: boolean; authorizationError?: string; peerCommonName?: string; peerSubject?: string };
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Faults a test or benchmark injects. `failNext` answers the next N requests
 * `failWhen` picks (default: all) with `failStatus` (default 500); `failUntil` does so until that epoch ms; `delayMs`
 * delays every answer (or only those the function picks); `malformNext` answers the
 * next N requests `malformWhen` picks (default: all) with 200 and `malformReply`
 * (default: a proxy's HTML page) — not the service's JSON or XML-RPC, what a
 * misbehaving proxy or a half-deployed API sends.
 */
interface FaultControls {
  failNext: number;
  failWhen: (req: FakeRequest) => boolean;
  failStatus: number;
  failUntil: number;
  delayMs: number | ((req: FakeRequest) => number);
  malformNext: number;
  malformWhen: (req: FakeRequest) => boolean;
  malformReply: { body: string; contentType: string };
}

export interface FakeServer {
  readonly name: string;
  readonly url: string;
  readonly calls: RecordedCall[];
  readonly faults: FaultControls;
  /** Forget recorded calls and faults (state of the fake itself is reset by its own reset()). */
  resetHttp(): void;
  stop(): Promise<void>;
}

export type FakeHandler = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

/** Serve HTTPS: PEM key and certificate, and the CA whose client certificates are verified (asked for, not required). */
export interface FakeTls {
  key: string | Buffer;
  cert: string | Buffer;
  ca?: string | Buffer;
}

const noFaults = (): FaultControls => ({
  failNext: 0,
  failWhen: () => true,
  failStatus: 500,
  failUntil: 0,
  delayMs: 0,
  malformNext: 0,
  malformWhen: () => true,
  malformReply: { body: MALFORMED_PAGE, contentType: "text/html" },
});
const MALFORMED_PAGE = "<html><head><title>Service update</title></head><body>Please try again later.</body></html>";

/** What the TLS layer verified about the client (undefined on plain HTTP). */
function tlsPeer(req: IncomingMessage): FakeRequest["tls"] {
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== "function") return undefined;
  const peer = socket.getPeerCertificate();
  const present = peer && Object.keys(peer).length > 0;
  const cn = present ? peer.subject?.CN : undefined;
  return {
    authorized: socket.authorized === true,
    authorizationError: socket.authorizationError ? String(socket.authorizationError) : present ? undefined : "no certificate",
    peerCommonName: Array.isArray(cn) ? cn[0] : cn,
    peerSubject: present
      ? Object.entries(peer.subject ?? {})
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(",")
      : undefined,
  };
}

/** Start an HTTP (or, with `tls`, HTTPS) server on 127.0.0.1, port 0, that records every call and applies faults. */
export async function startHttpFake(name: string, handler: FakeHandler, options: { tls?: FakeTls } = {}): Promise<FakeServer> {
  const calls: RecordedCall[] = [];
  const faults = noFaults();
  const open = new Set<ServerResponse>();
  const connections = new WeakMap<object, number>();
  let nextConnection = 1;

  const listener = async (req: IncomingMessage, res: ServerResponse) => {
    open.add(res);
    res.on("close", () => open.delete(res));
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks);
    const body = rawBody.toString("utf8");
    const url = new URL(req.url ?? "/", "http://fake");
    if (!connections.has(req.socket)) connections.set(req.socket, nextConnection++);
    const call: RecordedCall = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      at: Date.now(),
      connection: connections.get(req.socket)!,
    };
    calls.push(call);
    let json: unknown;
    try {
      json = body ? JSON.parse(body) : undefined;
    } catch {
      json = undefined;
    }
    const fakeReq: FakeRequest = { ...call, json, rawBody, tls: tlsPeer(req) };
    const delay = typeof faults.delayMs === "function" ? faults.delayMs(fakeReq) : faults.delayMs;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));

    let reply: FakeReply;
    const failThis = faults.failNext > 0 && faults.failWhen(fakeReq);
    if (failThis || Date.now() < faults.failUntil) {
      if (failThis) faults.failNext--;
      reply = { status: faults.failStatus, body: { error: `${name} fake: injected failure` } };
    } else if (faults.malformNext > 0 && faults.malformWhen(fakeReq)) {
      faults.malformNext--;
      reply = { status: 200, body: faults.malformReply.body, headers: { "content-type": faults.malformReply.contentType } };
    } else {
      try {
        reply = await handler(fakeReq);
      } catch (err) {
        reply = { status: 500, body: { error: `${name} fake crashed: ${(err as Error).message}` } };
      }
    }
    if (res.destroyed) return;
    const headers: Record<string, string> = { ...reply.headers };
    let payload = "";
    if (reply.body !== undefined && reply.body !== null) {
      if (typeof reply.body === "string") {
        payload = reply.body;
        headers["content-type"] ??= "text/plain";
      } else {
        payload = JSON.stringify(reply.body);
        headers["content-type"] ??= "application/json";
      }
    }
    res.writeHead(reply.status, headers).end(payload);
  };
  const { tls } = options;
  const server = tls
    ? createHttpsServer(
        { key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: tls.ca !== undefined, rejectUnauthorized: false },
        listener,
      )
    : createServer(listener);
  // As Copr's Apache (Keep-Alive: timeout=5): long enough for clients to reuse connections.
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    name,
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    calls,
    faults,
    resetHttp() {
      calls.length = 0;
      Object.assign(faults, noFaults());
    },
    async stop() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
