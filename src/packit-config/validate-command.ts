/**
 * `validate-config <file> [--event pull_request|push|release] [--branch B]
 *  [--default-branch B] [--tag T] [--label L]… [--instance prod|stg|dev]
 *  [--copr URL] [--json]`: Packit's verdict on a config, the jobs it plans for an
 * event (and those it would not run, with why), and how many jobs run
 * automatically for a pull request, a push to the default branch and a release.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createCoprChrootReader } from "../backends/copr/chroots.js";
import { coprProjectsToRead, planJobs, type Plan, type PlanInputs } from "../pipeline/plan.js";
import { DEFAULT_RELEASES, type ReleaseList } from "./aliases.js";
import { INSTANCES, parsePackitConfig, type PackitConfig, type PackitInstance } from "./parse.js";

export interface CommandOutput {
  log(line: string): void;
  error(line: string): void;
}

const USAGE =
  "usage: validate-config <file> [--event pull_request|push|release] [--branch B] [--default-branch B] [--tag T] [--label L]... [--instance prod|stg|dev] [--copr URL] [--json]";
const EVENTS = ["pull_request", "push", "release"] as const;
type EventName = (typeof EVENTS)[number];

/** Left-aligned columns, two spaces apart. */
function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => row[col]?.length ?? 0))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, col) => cell.padEnd(widths[col] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

/** The jobs of a plan as the JSON line lists them: planned ones, then those Packit would not run. */
function jobList(plan: Plan) {
  return [
    ...plan.jobs.map((j) => ({
      type: j.type,
      target: j.target,
      check: j.checkName,
      after: j.after ?? null,
      manual: j.manualTrigger,
      runs: true,
      notRun: null,
      detail: null,
      needsApproval: null,
    })),
    ...plan.notRun.map((n) => ({
      type: n.type,
      target: n.target,
      check: n.checkName,
      after: null,
      manual: n.manualTrigger,
      runs: false,
      notRun: n.reason,
      detail: n.detail,
      needsApproval: null,
    })),
  ];
}

/** What Copr says, when asked (`--copr`); offline the planner falls back to the bundled release list. */
async function coprInputs(
  url: string | undefined,
  config: PackitConfig,
): Promise<Pick<PlanInputs, "activeChroots" | "coprProjectChroots">> {
  if (url === undefined) return {};
  const reader = createCoprChrootReader({ url });
  const projects = coprProjectsToRead(config);
  const [active, chroots] = await Promise.all([reader.active(), Promise.all(projects.map((p) => reader.project(p)))]);
  return {
    ...(active.chroots ? { activeChroots: active.chroots } : {}),
    coprProjectChroots: new Map(projects.flatMap((p, i) => (chroots[i] ? [[p, chroots[i]] as const] : []))),
  };
}

/**
 * Run the command. Exit code 0: valid; 1: invalid config (or unreadable file);
 * 2: bad arguments. With `--json` the last line written to `out.log` is one JSON
 * object: `{valid: true, verdict: "valid", event, jobs: [{type, target, check,
 * after, manual, runs, notRun, detail, needsApproval}], automaticJobs:
 * {pull_request, push, release}, notHandled, warnings}` or `{valid: false,
 * verdict: "invalid", messages: [{message, line, column}], error}`.
 */
export async function runValidateConfig(
  argv: string[],
  out: CommandOutput,
  service: { releases?: ReleaseList; instance?: PackitInstance } = {},
): Promise<number> {
  // Known before parsing, so that a JSON consumer gets its last line even for bad arguments.
  const json = argv.includes("--json");
  const fail = (message: string, code: number, problems: { message: string; line?: number; column?: number }[] = [{ message }]): number => {
    for (const text of message.split("\n")) out.error(text);
    if (json) {
      const messages = problems.map((p) => ({ message: p.message, line: p.line ?? null, column: p.column ?? null }));
      const [first] = messages;
      out.log(
        JSON.stringify({
          valid: false,
          verdict: "invalid",
          messages,
          error: { message, line: first?.line ?? null, column: first?.column ?? null },
        }),
      );
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
        instance: { type: "string", default: service.instance ?? "prod" },
        copr: { type: "string" },
        json: { type: "boolean", default: false },
      },
    });
  } catch (err) {
    return fail(`${(err as Error).message}\n${USAGE}`, 2);
  }
  const { values, positionals } = args;
  const event = values.event as EventName;
  const instance = values.instance as PackitInstance;
  const argError =
    positionals.length !== 1
      ? "expected exactly one file"
      : !EVENTS.includes(event)
        ? `unknown event "${event}"`
        : !INSTANCES.includes(instance)
          ? `unknown instance "${instance}"`
          : undefined;
  if (argError) return fail(`${argError}\n${USAGE}`, 2);
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
    return fail([`invalid: ${first}${where}`, ...rest].join("\n"), 1, parsed.problems);
  }

  const releases = service.releases ?? DEFAULT_RELEASES;
  const inputs: PlanInputs = { ...(await coprInputs(values.copr, parsed.config)), instance };
  const defaultBranch = values["default-branch"];
  const plan = planJobs(
    parsed.config,
    {
      trigger: event,
      defaultBranch,
      ...(values.branch !== undefined ? { branch: values.branch } : {}),
      ...(values.tag !== undefined ? { tag: values.tag } : {}),
      ...(values.label !== undefined ? { labels: values.label } : {}),
    },
    releases,
    inputs,
  );
  // Automatic jobs of a pull request into, and a push to, the default branch, and of a release.
  const defaults = EVENTS.map((name) => [name, planJobs(parsed.config, { trigger: name, defaultBranch }, releases, inputs)] as const);
  const automatic = Object.fromEntries(defaults.map(([name, p]) => [name, p.jobs.filter((j) => !j.manualTrigger).length])) as Record<
    EventName,
    number
  >;

  out.log(`${file}: valid; ${plan.jobs.length} job(s) for a ${event} event`);
  const rows = [
    ...plan.jobs.map((j) => [
      j.type,
      j.target,
      j.checkName,
      j.after ?? "-",
      [j.manualTrigger ? "manual" : "", j.cancelSuperseded ? "" : "not cancellable"].filter(Boolean).join(", "),
    ]),
    ...plan.notRun.map((n) => [n.type, n.target, n.checkName, "-", `not run: ${n.reason} (${n.detail})`]),
  ];
  if (rows.length > 0) for (const line of table([["TYPE", "TARGET", "CHECK", "AFTER", "NOTES"], ...rows])) out.log(line);
  for (const { type, reason } of plan.notHandled) out.log(`not handled: ${type}: ${reason}`);
  out.log(`automatic jobs: pull_request ${automatic.pull_request}, push ${automatic.push}, release ${automatic.release}`);
  const warnings = [...parsed.warnings, ...new Set([...plan.warnings, ...defaults.flatMap(([, p]) => p.warnings)])];
  for (const warning of warnings) out.log(`warning: ${warning}`);
  if (json) {
    out.log(
      JSON.stringify({
        valid: true,
        verdict: "valid",
        event,
        jobs: jobList(plan),
        automaticJobs: automatic,
        notHandled: plan.notHandled,
        warnings,
      }),
    );
  }
  return 0;
}
