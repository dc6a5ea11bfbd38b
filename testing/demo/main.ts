/**
 * `npm run demo [-- --json] [--serve]`: the real service against the simulated GitHub and the
 * fake backends, on loopback, playing one scenario end to end — install, a pull
 * request with builds and tests, a new head superseding the old one, `/packit
 * cancel`, the check-run buttons, a push that costs no API call, the
 * maintenance sweep, and on a second repository the other two backends: a
 * differential OpenScanHub scan against the branch build, and a VM image built
 * on `/packit vm-image-build`. Every step checks what it prints; the exit code
 * says whether all of them behaved. `--serve` keeps it all running afterwards, with
 * the dashboard on the service's port: the first line is `{"dashboard": "<url>"}`.
 * Then the approval scenarios (`approval.ts`) on an environment of their own; the
 * summary lists every step and scenario in `scenarios`.
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import type { BackendName } from "../../src/backends/types.js";
import { CANCEL_CODES, type CancelCode, type CancelReport } from "../../src/cancel/report.js";
import { AuditLog } from "../../src/audit/index.js";
import { startEnvironment, type Environment } from "./environment.js";
import { runApprovalScenarios } from "./approval.js";
import { Scenario, Unexpected } from "./scenario.js";
import { widgetSteps } from "./widget-steps.js";
import { gadgetSteps } from "./gadget-steps.js";

export interface DemoOptions {
  /** End with one JSON line (the summary) after the timeline. */
  json?: boolean;
  /** Where timeline lines go (default: stdout). */
  log?: (line: string) => void;
  /** Run the service on a fresh database on this PostgreSQL server (`npm run demo` passes `DATABASE_URL`). */
  postgresUrl?: string;
  /**
   * `--serve`: first print `{"dashboard": "<url>"}`, and after the scenario keep
   * everything running (the dashboard shows its data) until this resolves
   * (Ctrl-C / SIGTERM when run from the command line). A function is called with the
   * running environment once the scenario is over (the browser tests look at it).
   */
  serveUntil?: Promise<unknown> | ((env: Environment) => Promise<unknown>);
}

export interface DemoSummary {
  name: "demo";
  /** Every step behaved as expected. */
  ok: boolean;
  /** Steps that behaved as expected. */
  steps: number;
  /** Every step of the main scenario and every approval scenario, in order, and whether it behaved (a step not run did not). */
  scenarios: { name: string; ok: boolean }[];
  /** Check runs of acme/widget and acme/gadget on the simulated GitHub by conclusion (or status while unfinished). */
  checks: Record<string, number>;
  /** Requests the app made to the simulated GitHub. */
  github_requests: number;
  /** Per-job cancel results by code, over every cancel report. */
  cancellations: Record<`${CancelCode}`, number>;
  /** Successful submissions per fake backend (the main scenario's). */
  submissions: Record<BackendName, number>;
  elapsed_ms: number;
  /** The first step that did not behave, with what was expected and what happened. */
  failure?: { step: string; expected: string; actual: string };
}

/** Fake backend phase length: long enough to catch work in flight, short enough for a ~10 s demo. */
const PHASE_MS = 150;
/** No single wait of the demo should take this long; a step that does has failed. */

async function summarise(
  env: Environment,
  steps: number,
  scenarios: DemoSummary["scenarios"],
  failure: DemoSummary["failure"],
  elapsedMs: number,
): Promise<DemoSummary> {
  const checks: Record<string, number> = {};
  for (const c of [...env.sim.checkRuns("acme", "widget"), ...env.sim.checkRuns("acme", "gadget")]) {
    const key = c.status === "completed" ? (c.conclusion ?? "completed") : c.status;
    checks[key] = (checks[key] ?? 0) + 1;
  }
  const cancellations = { "0": 0, "1": 0, "2": 0, "3": 0 };
  for (const r of await new AuditLog(env.deps.db).list({ actionPrefix: "cancel.", limit: 100_000 }))
    for (const res of (r.detail as CancelReport).results) cancellations[`${res.code}`]++;
  const { copr, testingFarm, koji, imageBuilder, openscanhub } = env.fakes;
  return {
    name: "demo",
    ok: failure === undefined && scenarios.every((x) => x.ok),
    steps,
    scenarios,
    checks,
    github_requests: env.sim.requests.length,
    cancellations,
    submissions: {
      copr: copr.submissions,
      "testing-farm": testingFarm.submissions,
      koji: koji.submissions,
      "image-builder": imageBuilder.submissions,
      openscanhub: openscanhub.submissions,
    },
    elapsed_ms: elapsedMs,
    ...(failure ? { failure } : {}),
  };
}

function summaryLines(sum: DemoSummary, total: number): string[] {
  const list = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
  const codes = Object.entries(sum.cancellations).map(([code, n]) => `${code} ${CANCEL_CODES[Number(code) as CancelCode]} ×${n}`);
  return [
    "",
    "Summary",
    `  checks:                 ${list(sum.checks)}`,
    `  GitHub API requests:    ${sum.github_requests}`,
    `  cancellations by code:  ${codes.join("; ")}`,
    `  backend submissions:    ${list(sum.submissions)}`,
    `  ${sum.ok ? "✔" : "✘"} ${sum.steps}/${total} steps and ${sum.scenarios.filter((x) => x.ok).length - sum.steps}/${sum.scenarios.length - total} approval scenarios as expected in ${(sum.elapsed_ms / 1000).toFixed(1)} s`,
  ];
}

/** Play the scenario; resolves with the summary (never rejects for a failed step). */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoSummary> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const t0 = Date.now();
  const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`;
  const env = await startEnvironment({ phaseMs: PHASE_MS, postgresUrl: opts.postgresUrl });
  if (opts.serveUntil) log(`{"dashboard": ${JSON.stringify(env.service.url)}}`);
  let scenario: Scenario | undefined;
  let passed = 0;
  let total = 0;
  let failure: DemoSummary["failure"];
  let summary: DemoSummary;
  try {
    scenario = new Scenario(env);
    log(`${stamp()}   simulated GitHub, 5 fake backends and packit-probot on ${env.service.url}`);
    const list = [...widgetSteps(scenario), ...gadgetSteps(scenario)];
    total = list.length;
    for (const step of list) {
      try {
        const { line, details } = await step.run();
        passed++;
        log(`${stamp()} ✔ ${line}`);
        for (const d of details ?? []) log(d);
      } catch (err) {
        const e = err instanceof Unexpected ? err : new Unexpected("no error", (err as Error).stack ?? String(err));
        failure = { step: step.title, expected: e.expected, actual: e.actual };
        log(`${stamp()} ✘ ${step.title}`);
        log(`      expected: ${e.expected}`);
        log(`      got:      ${e.actual}`);
        log(`      (${total - passed - 1} remaining step(s) not run)`);
        break;
      }
    }
    const scenarios = list.map((step, i) => ({ name: step.title, ok: i < passed }));
    for (const r of await runApprovalScenarios({ postgresUrl: opts.postgresUrl })) {
      scenarios.push({ name: r.name, ok: r.ok });
      log(`${stamp()} ${r.ok ? "✔" : "✘"} ${r.line}`);
      if (r.failure) for (const l of [`      expected: ${r.failure.expected}`, `      got:      ${r.failure.actual}`]) log(l);
      failure ??= r.failure && { step: r.name, ...r.failure };
    }
    summary = await summarise(env, passed, scenarios, failure, Date.now() - t0);
  } catch (err) {
    scenario?.stop();
    await env.stop();
    throw err;
  }
  scenario.stop();
  for (const line of summaryLines(summary, total)) log(line);
  if (opts.json) log(JSON.stringify(summary));
  if (opts.serveUntil) {
    log(`dashboard: ${env.service.url} (simulated GitHub on ${env.sim.url}); Ctrl-C stops`);
    await (typeof opts.serveUntil === "function" ? opts.serveUntil(env) : opts.serveUntil);
  }
  await env.stop();
  return summary;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) {
  const serveUntil = process.argv.includes("--serve")
    ? new Promise((resolve) => process.once("SIGINT", resolve).once("SIGTERM", resolve))
    : undefined;
  runDemo({ json: process.argv.includes("--json"), postgresUrl: process.env.DATABASE_URL, ...(serveUntil ? { serveUntil } : {}) }).then(
    (s) => {
      process.exitCode = s.ok ? 0 : 1;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.stack : err);
      process.exitCode = 1;
    },
  );
}
