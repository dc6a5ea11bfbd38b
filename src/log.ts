import { pino, type Logger } from "pino";
import { getTransformStream } from "@probot/pino";

/**
 * Paths pino blanks before a line is written. Secrets must never reach a log even
 * when a whole options object or request is logged by mistake.
 */
const REDACTED_PATHS = [
  "privateKey",
  "*.privateKey",
  "secret",
  "*.secret",
  "webhookSecret",
  "*.webhookSecret",
  "token",
  "*.token",
  "*.*.token",
  "password",
  "*.password",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "request.headers.authorization",
  "err.request.headers.authorization",
  "err.response.headers.authorization",
];

export interface LogOptions {
  level?: string;
  /** "json" for machines, "pretty" for people (default outside production). */
  format?: "json" | "pretty";
  /** Where lines go; defaults to stdout. Tests pass a stream to capture logs. */
  destination?: NodeJS.WritableStream;
}

/** The process logger: pino with secret redaction; Probot and every feature log through children of it. */
export async function createLogger(opts: LogOptions = {}): Promise<Logger> {
  const options = { level: opts.level ?? "info", name: "packit-probot", redact: { paths: REDACTED_PATHS, censor: "[redacted]" } };
  if (opts.destination) return pino(options, opts.destination as pino.DestinationStream);
  if ((opts.format ?? (process.env.NODE_ENV === "production" ? "json" : "pretty")) === "pretty") {
    const transform = await getTransformStream({ logFormat: "pretty" });
    transform.pipe(pino.destination(1) as unknown as NodeJS.WritableStream);
    return pino(options, transform);
  }
  return pino(options);
}
