/**
 * HTTP for the hubs (Koji, OpenScanHub) on node's http/https with a keep-alive agent
 * per client. Not `fetch`: Koji's certificate login needs a TLS client certificate
 * and a private CA, which node's built-in fetch cannot take without another HTTP
 * library. The error contract is `httpCall`'s: connection failures, timeouts and
 * 5xx are transient `BackendError`s, other statuses are returned; TLS certificate
 * failures are permanent (retrying cannot fix a certificate, as koji says too).
 */
import { readFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { BackendError } from "../../errors.js";
import { DEFAULT_TIMEOUT_MS, errorText, redactUrl } from "../http.js";

/** Paths of PEM files: the CA that signed the hub's certificate, and a client certificate and key. */
export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

/**
 * A keep-alive agent for `url`'s scheme, with the TLS files read now (a missing or
 * unreadable file is a permanent error naming the path, never its content).
 */
export function createHubAgent(backend: string, url: string, tls: TlsFiles = {}): HttpAgent {
  if (new URL(url).protocol !== "https:") return new HttpAgent({ keepAlive: true });
  const read = (what: string, path: string | undefined) => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new BackendError(backend, `cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        transient: false,
      });
    }
  };
  return new HttpsAgent({
    keepAlive: true,
    ca: read("CA certificate", tls.ca),
    cert: read("client certificate", tls.cert),
    key: read("client key", tls.key),
  });
}

export interface HubRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  agent?: HttpAgent;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface HubAnswer {
  status: number;
  headers: Headers;
  text: string;
}

const TLS_ERROR = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

/** One request; see the module comment for which failures are transient. */
export function hubRequest(backend: string, url: string, call: HubRequest = {}): Promise<HubAnswer> {
  const method = call.method ?? "GET";
  const where = `${method} ${redactUrl(url)}`;
  const timeoutMs = call.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  call.signal?.throwIfAborted();
  return new Promise<HubAnswer>((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === "https:" ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { ...call.headers };
    if (call.body !== undefined) headers["content-length"] = String(Buffer.byteLength(call.body));
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      if (call.signal?.aborted) return reject(call.signal.reason ?? err);
      const code = (err as NodeJS.ErrnoException).code ?? "";
      if (TLS_ERROR.test(code) || TLS_ERROR.test((err as Error).message ?? "")) {
        return reject(new BackendError(backend, `${where}: TLS: ${code || (err as Error).message}`, { transient: false, cause: err }));
      }
      const what = timedOut ? `timed out after ${timeoutMs} ms` : code || (err as Error).message;
      reject(new BackendError(backend, `${where}: ${what}`, { transient: true, cause: err }));
    };
    let timedOut = false;
    const req = send(u, { method, headers, agent: call.agent }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", fail);
      res.on("end", () => {
        if (settled) return;
        settled = true;
        cleanup();
        const text = Buffer.concat(chunks).toString("utf8");
        const status = res.statusCode ?? 0;
        if (status >= 500) {
          return reject(
            new BackendError(backend, `${where}: HTTP ${status} ${errorText(parseMaybeJson(text))}`.trim(), { transient: true, status }),
          );
        }
        resolve({ status, headers: toHeaders(res), text });
      });
    });
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error("timeout"));
    }, timeoutMs);
    const onAbort = () => req.destroy(call.signal!.reason instanceof Error ? call.signal!.reason : new Error("aborted"));
    call.signal?.addEventListener("abort", onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      call.signal?.removeEventListener("abort", onAbort);
    };
    req.on("error", fail);
    req.end(call.body);
  });
}

function toHeaders(res: IncomingMessage): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
  }
  return out;
}

function parseMaybeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
