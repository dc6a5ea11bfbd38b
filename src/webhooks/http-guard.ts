import type { IncomingHttpHeaders, IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { WebhookLoad } from "./request-load.js";

/** GitHub caps webhook payloads at 25 MB; anything larger is not GitHub. */
const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

/** GitHub's delivery ids are UUIDs (36 characters), event names short words, signatures 71 characters. */
const MAX_WEBHOOK_HEADER_CHARS = 100;

const BOUNDED_HEADERS = ["x-github-delivery", "x-github-event", "x-hub-signature-256"] as const;

/** GitHub's event names: lower-case words joined by underscores. */
const EVENT_NAME = /^[a-z]+(?:_[a-z]+)*$/;

/** Why a delivery's headers are refused (pure), or undefined. */
export function headerProblem(headers: IncomingHttpHeaders, max = MAX_WEBHOOK_HEADER_CHARS): string | undefined {
  for (const name of BOUNDED_HEADERS) {
    const v = headers[name];
    if (typeof v === "string" && v.length > max) return `${name} is ${v.length} characters long; at most ${max} are accepted`;
  }
  // Webhook routing looks handlers up by event name: `constructor` or `valueOf` would find a function of every object.
  const event = headers["x-github-event"];
  if (typeof event === "string" && (!EVENT_NAME.test(event) || event in Object.prototype))
    return `x-github-event "${event}" is not a GitHub event name`;
  return undefined;
}

/**
 * Why a delivery's body cannot be a GitHub webhook payload (pure), or undefined:
 * it must be a JSON object, and an `installation` must carry a positive integer id
 * (Probot authenticates every event by it before any handler runs). Each event's
 * own fields are checked by its handler (`payloads.ts`).
 */
export function bodyProblem(body: string): string | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return "Invalid JSON";
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    return `the payload must be a JSON object, not ${payload === null ? "null" : Array.isArray(payload) ? "an array" : `a ${typeof payload}`}`;
  }
  if ("installation" in payload) {
    const installation = payload.installation;
    const id = typeof installation === "object" && installation !== null ? (installation as { id?: unknown }).id : undefined;
    if (!Number.isSafeInteger(id) || (id as number) <= 0) return "installation.id must be a positive integer";
  }
  return undefined;
}

const normalise = (path: string) => (path.length > 1 ? path.replace(/\/+$/, "") : path);

function pathOf(url: string | undefined): string | undefined {
  try {
    return normalise(new URL(url ?? "/", "http://localhost").pathname);
  } catch {
    return undefined;
  }
}

function answer(res: ServerResponse, status: number, error: string, close = false): void {
  const body = JSON.stringify({ error });
  res
    .writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      ...(close ? { connection: "close" } : {}),
    })
    .end(body);
}

/** The body, read while counting: "too large" as soon as it passes `max` bytes (the rest is never read). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | "too large"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.off("data", onData);
        req.pause();
        resolve("too large");
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks, size)));
    req.once("error", reject);
  });
}

/**
 * Put a guard in front of the server's own request listeners (Probot's Server puts
 * its webhook middleware first, so this wraps them). Every request whose
 * content-length is over `maxBytes` is refused (413) before anything reads it. A POST
 * to a webhook path is checked before Probot sees it: header values over
 * `MAX_WEBHOOK_HEADER_CHARS` are refused (400); the body is read while counting and
 * refused (413, connection closed) the moment it passes `maxBytes` — chunked bodies
 * carry no content-length; a body that cannot be a payload is refused (400). What
 * passes goes on as `req.body`, which Probot's middleware reads instead of the stream,
 * and verifies. `load` counts the webhook requests being answered.
 */
export function guardWebhookRequests(http: HttpServer, opts: { paths: readonly string[]; maxBytes?: number; load?: WebhookLoad }): void {
  const max = opts.maxBytes ?? MAX_WEBHOOK_BYTES;
  const paths = new Set(opts.paths.map(normalise));
  const listeners = http.listeners("request") as ((req: IncomingMessage, res: ServerResponse) => void)[];
  http.removeAllListeners("request");
  http.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const pass = () => {
      for (const listener of listeners) listener.call(http, req, res);
    };
    if (Number(req.headers["content-length"] ?? 0) > max) {
      answer(res, 413, "request body too large", true);
      req.destroy();
      return;
    }
    const path = pathOf(req.url);
    if (req.method !== "POST" || path === undefined || !paths.has(path)) return pass();
    if (opts.load) res.once("close", opts.load.begin());
    const badHeader = headerProblem(req.headers);
    if (badHeader) return answer(res, 400, badHeader);
    readBody(req, max).then(
      (body) => {
        if (body === "too large") {
          // Stop reading at once; the client learns why if it reads before it finishes sending.
          res.once("finish", () => req.destroy());
          return answer(res, 413, "request body too large", true);
        }
        const text = body.toString("utf8");
        const badBody = bodyProblem(text);
        if (badBody) return answer(res, 400, badBody);
        (req as IncomingMessage & { body?: string }).body = text;
        pass();
      },
      () => req.destroy(),
    );
  });
}
