/**
 * `npm run replay -- <dir> | --octokit-examples [--config <file>] [--json]`: feed recorded webhook
 * deliveries to the real app, running against the simulated GitHub and the fake
 * backends, and say what it made of each one and what it cost on GitHub.
 *
 * `<dir>` holds `<name>.<event>.json` (the payload; the event comes from the file
 * name) or `<name>.json` of the form `{"name": "<event>", "payload": {…}}`, sent in
 * file-name order, or a folder laid out like `@octokit/webhooks-examples`
 * (`api.github.com/index.json`; `--octokit-examples` uses the installed package).
 * Before the first delivery the simulator learns every installation, repository,
 * comment, commit, user and issue the payloads reference; every repository
 * gets the same `.packit.yaml`. The simulator allocates repository and comment ids
 * itself, so those ids are rewritten in the payloads to the simulator's (consistently,
 * as on GitHub where payload and API agree). Each delivery is left to settle (the
 * app idle) before the next, so its count includes the check runs and comments it
 * caused.
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import { createLogger } from "../../src/log.js";
import { DeliveryLog } from "../../src/webhooks/deliveries.js";
import { startEnvironment, type Environment } from "./environment.js";
import { type Payload, type Recorded, obj, octokitExamplesDir, prepareSimulator, readDeliveries, str } from "./recorded.js";

/** The `.packit.yaml` every repository gets unless the caller gives one. */
export const DEFAULT_REPLAY_CONFIG = `specfile_path: package.spec
jobs:
  - job: copr_build
    trigger: pull_request
    targets: [fedora-rawhide-x86_64]
  - job: tests
    trigger: pull_request
    targets: [fedora-rawhide-x86_64]
  - job: copr_build
    trigger: commit
    targets: [fedora-rawhide-x86_64]
`;

/** Longest wait for the app to go idle after one delivery. */
const SETTLE_MS = 15_000;

export interface ReplayOptions {
  /** `.packit.yaml` text for every repository (default {@link DEFAULT_REPLAY_CONFIG}). */
  config?: string;
  /** One JSON line per delivery instead of a readable line. */
  json?: boolean;
  /** Where output lines go (default: stdout). */
  log?: (line: string) => void;
  /** Run the service on a fresh database on this PostgreSQL server (`npm run replay` passes `DATABASE_URL`). */
  postgresUrl?: string;
}

export interface DeliveryResult {
  file: string;
  /** Event and action, e.g. `pull_request.opened`. */
  event: string;
  /** The app's HTTP answer; null when nothing was sent or nothing came back. */
  status: number | null;
  outcome: "handled" | "ignored" | "error";
  /** Why it was ignored, or the error. */
  detail?: string;
  /** GitHub API requests the delivery caused, until the app went idle. */
  github_requests: number;
  /** Of those, the ones made before the app answered. */
  while_answering: number;
  /** The app crashed or answered 5xx for an error it did not expect. */
  unhandled: boolean;
}

export interface ReplaySummary {
  name: "replay";
  deliveries: number;
  handled: number;
  ignored: number;
  errors: number;
  unhandled: number;
  github_requests: number;
  results: DeliveryResult[];
}

/** The app's log lines, parsed, so a delivery's reason or error can be read back by its id. */
function captureLog(): { lines: Payload[]; destination: Writable } {
  const lines: Payload[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) {
        if (!line) continue;
        try {
          lines.push(JSON.parse(line) as Payload);
        } catch {
          // Not a pino line: nothing to learn from it.
        }
      }
      done();
    },
  });
  return { lines, destination };
}

async function settle(env: Environment): Promise<boolean> {
  const end = Date.now() + SETTLE_MS;
  for (;;) {
    const busy = (await env.deps.tasks.counts()).some((c) => (c.status === "todo" || c.status === "doing") && c.n > 0);
    if (!busy) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Verdict = Pick<DeliveryResult, "outcome" | "detail" | "unhandled">;

async function replayOne(env: Environment, d: Recorded, logLines: Payload[]): Promise<DeliveryResult> {
  if ("problem" in d)
    return {
      file: d.file,
      event: "?",
      status: null,
      outcome: "error",
      detail: d.problem,
      github_requests: 0,
      while_answering: 0,
      unhandled: false,
    };
  const event = typeof d.payload.action === "string" ? `${d.event}.${d.payload.action}` : d.event;
  const id = randomUUID();
  const from = env.sim.requests.length;
  let answer: { status: number; body: string };
  try {
    answer = await env.send(d.event, d.payload, id);
  } catch (err) {
    return {
      file: d.file,
      event,
      status: null,
      outcome: "error",
      detail: `no answer from the app: ${(err as Error).message}`,
      github_requests: 0,
      while_answering: 0,
      unhandled: true,
    };
  }
  const whileAnswering = env.sim.requests.length - from;
  const settled = await settle(env);
  const verdict = await judge(
    env,
    id,
    event,
    answer,
    logLines.filter((l) => l.delivery === id),
  );
  const detail = settled ? verdict.detail : `${verdict.detail ?? ""} (app still busy after ${SETTLE_MS / 1000} s)`.trim();
  return {
    file: d.file,
    event,
    status: answer.status,
    ...verdict,
    detail,
    github_requests: env.sim.requests.length - from,
    while_answering: whileAnswering,
  };
}

/** What the app made of a delivery: its row in the deliveries table, its HTTP answer and its log lines. */
async function judge(
  env: Environment,
  id: string,
  event: string,
  answer: { status: number; body: string },
  logLines: Payload[],
): Promise<Verdict> {
  const row = { outcome: await new DeliveryLog(env.deps.db).outcome(id) };
  const serverError = answer.status >= 500;
  switch (row?.outcome) {
    case "handled":
      return { outcome: "handled", unhandled: false };
    case "ignored":
      return {
        outcome: "ignored",
        detail: logLines.map((l) => str(l.why)).find((why) => why !== undefined) ?? "no reason logged",
        unhandled: false,
      };
    case "error": {
      const err = obj(logLines.find((l) => l.msg === "delivery failed")?.err);
      return { outcome: "error", detail: str(err.message) ?? `HTTP ${answer.status}`, unhandled: serverError };
    }
  }
  // No handler claimed it: an event (or action) the app does not subscribe to.
  if (answer.status < 300) return { outcome: "ignored", detail: `no handler for ${event}`, unhandled: false };
  // Refused before anything was recorded (a malformed payload): the sender's mistake, nothing done.
  if (answer.status >= 400 && answer.status < 500)
    return { outcome: "ignored", detail: answer.body.trim().slice(0, 300), unhandled: false };
  return { outcome: "error", detail: `HTTP ${answer.status}: ${answer.body.trim().slice(0, 200)}`, unhandled: serverError };
}

function describe(r: DeliveryResult, width: number): string {
  const what = r.outcome === "handled" ? "handled" : `${r.outcome}: ${r.detail}`;
  const cost =
    r.status === null ? "not sent" : `HTTP ${r.status}; ${r.github_requests} GitHub API call(s), ${r.while_answering} before answering`;
  return `${r.file.padEnd(width)}  ${r.event.padEnd(28)} → ${what}  (${cost})${r.unhandled ? "  ✘ unhandled" : ""}`;
}

/** Replay a folder of deliveries against a fresh environment; resolves with what happened to each. */
export async function runReplay(dir: string, opts: ReplayOptions = {}): Promise<ReplaySummary> {
  const out = opts.log ?? ((line: string) => console.log(line));
  const recorded = readDeliveries(dir);
  const { lines, destination } = captureLog();
  const env = await startEnvironment({ log: await createLogger({ level: "debug", destination }), postgresUrl: opts.postgresUrl });
  const results: DeliveryResult[] = [];
  try {
    prepareSimulator(
      env.sim,
      recorded.filter((d): d is Extract<Recorded, { payload: Payload }> => "payload" in d),
      opts.config ?? DEFAULT_REPLAY_CONFIG,
    );
    const width = Math.max(0, ...recorded.map((d) => d.file.length));
    for (const d of recorded) {
      const r = await replayOne(env, d, lines);
      results.push(r);
      out(opts.json ? JSON.stringify(r) : describe(r, width));
    }
  } finally {
    await env.stop();
  }
  const count = (o: DeliveryResult["outcome"]) => results.filter((r) => r.outcome === o).length;
  const summary: ReplaySummary = {
    name: "replay",
    deliveries: results.length,
    handled: count("handled"),
    ignored: count("ignored"),
    errors: count("error"),
    unhandled: results.filter((r) => r.unhandled).length,
    github_requests: results.reduce((n, r) => n + r.github_requests, 0),
    results,
  };
  const { results: _, ...line } = summary;
  out(JSON.stringify(line));
  return summary;
}

function parseArgs(argv: string[]): { dir: string; configFile?: string; json: boolean } | undefined {
  let dir: string | undefined;
  let configFile: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") json = true;
    else if (a === "--octokit-examples" && dir === undefined) dir = octokitExamplesDir();
    else if (a === "--config") configFile = argv[++i];
    else if (a.startsWith("--config=")) configFile = a.slice("--config=".length);
    else if (!a.startsWith("--") && dir === undefined) dir = a;
    else return undefined;
  }
  if (!dir || !existsSync(dir) || (argv.includes("--config") && !configFile)) return undefined;
  return { dir, configFile, json };
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) {
  const args = parseArgs(process.argv.slice(2));
  if (!args) {
    console.error("usage: npm run replay -- <dir> | --octokit-examples [--config <packit.yaml>] [--json]");
    process.exitCode = 2;
  } else {
    const config = args.configFile ? readFileSync(args.configFile, "utf8") : undefined;
    runReplay(args.dir, { config, json: args.json, postgresUrl: process.env.DATABASE_URL }).then(
      (s) => {
        // Deliveries the app refused or ignored are fine; only a crash or an unexpected 5xx fails the replay.
        process.exitCode = s.unhandled > 0 ? 1 : 0;
      },
      (err: unknown) => {
        console.error(err instanceof Error ? err.stack : err);
        process.exitCode = 1;
      },
    );
  }
}
