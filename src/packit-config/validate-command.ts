/**
 * `validate-config <file> [--event pull_request|push|release] [--branch B]
 *  [--default-branch B] [--tag T] [--label L]… [--json]`: parse a Packit config
 * and show what this service would run for an event.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { planJobs, type PlanEvent } from "../pipeline/plan.js";
import { DEFAULT_RELEASES, type ReleaseList } from "./aliases.js";
import { parsePackitConfig } from "./parse.js";

export interface CommandOutput {
  log(line: string): void;
  error(line: string): void;
}

const USAGE =
  "usage: validate-config <file> [--event pull_request|push|release] [--branch B] [--default-branch B] [--tag T] [--label L]... [--json]";
const EVENTS = ["pull_request", "push", "release"] as const;

/** Left-aligned columns, two spaces apart. */
function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => row[col]?.length ?? 0))) ?? [];
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join("  ").trimEnd());
}

/**
 * Run the command. Exit code 0: valid; 1: invalid config (or unreadable file);
 * 2: bad arguments. With `--json` the last line written to `out.log` is one JSON
 * object, `{"valid":true,"jobs":[{type,target,check,after}],"warnings":[…]}` or
 * `{"valid":false,"error":{"message","line","column"}}`.
 */
export async function runValidateConfig(
  argv: string[],
  out: CommandOutput,
  releases: ReleaseList = DEFAULT_RELEASES,
): Promise<number> {
  // Known before parsing, so that a JSON consumer gets its last line even for bad arguments.
  const json = argv.includes("--json");
  const fail = (message: string, code: number, line?: number, column?: number): number => {
    for (const text of message.split("\n")) out.error(text);
    if (json) {
      out.log(JSON.stringify({ valid: false, error: { message, line: line ?? null, column: column ?? null } }));
    }
    return code;
  };
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        event: { type: "string", default: "pull_request" },
        branch: { type: "string" },
        "default-branch": { type: "string", default: "main" },
        tag: { type: "string" },
        label: { type: "string", multiple: true },
        json: { type: "boolean", default: false },
      },
    });
  } catch (err) {
    return fail(`${(err as Error).message}\n${USAGE}`, 2);
  }
  const { values, positionals } = args;
  const event = values.event;
  if (positionals.length !== 1 || !(EVENTS as readonly string[]).includes(event)) {
    return fail(`${positionals.length !== 1 ? "expected exactly one file" : `unknown event "${event}"`}\n${USAGE}`, 2);
  }
  const file = positionals[0] as string;

  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    return fail(`cannot read ${file}: ${(err as Error).message}`, 1);
  }
  const parsed = parsePackitConfig(bytes, { path: file });
  if (!parsed.ok) {
    const { error } = parsed;
    const where = error.line !== undefined ? ` (line ${error.line}, column ${error.column ?? 1})` : "";
    const [first = "", ...rest] = error.message.split("\n");
    return fail([`invalid: ${first}${where}`, ...rest].join("\n"), 1, error.line, error.column);
  }

  const planEvent: PlanEvent = {
    trigger: event as PlanEvent["trigger"],
    defaultBranch: values["default-branch"],
    ...(values.branch !== undefined ? { branch: values.branch } : {}),
    ...(values.tag !== undefined ? { tag: values.tag } : {}),
    ...(values.label !== undefined ? { labels: values.label } : {}),
  };
  const plan = planJobs(parsed.config, planEvent, releases);
  const trigger = { pull_request: "pull_request", push: "commit", release: "release" }[planEvent.trigger];

  out.log(`${file}: valid; ${plan.jobs.length} job(s) for a ${planEvent.trigger} event`);
  if (plan.jobs.length > 0) {
    const rows = plan.jobs.map((j) => [
      j.type,
      trigger,
      j.target,
      j.checkName,
      j.after ?? "-",
      [j.manualTrigger ? "manual" : "", j.cancelSuperseded ? "" : "not cancellable"].filter(Boolean).join(", "),
    ]);
    for (const line of table([["TYPE", "TRIGGER", "TARGET", "CHECK", "AFTER", "NOTES"], ...rows])) out.log(line);
  }
  for (const { type, reason } of plan.notHandled) out.log(`not handled: ${type}: ${reason}`);
  for (const warning of parsed.warnings) out.log(`warning: ${warning}`);
  if (json) {
    const jobs = plan.jobs.map((j) => ({ type: j.type, target: j.target, check: j.checkName, after: j.after ?? null }));
    out.log(JSON.stringify({ valid: true, jobs, warnings: parsed.warnings }));
  }
  return 0;
}
