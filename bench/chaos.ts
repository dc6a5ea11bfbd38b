import { countsOf } from "../testing/chaos/count.js";
import { runChaos } from "../testing/chaos/harness.js";

/** `--name value` from the command line, as a number. */
function numberOption(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v)) throw new Error(`chaos bench: --${name} needs a number`);
  return v;
}

/**
 * The kill loop (testing/chaos/harness.ts): the real service, killed with SIGKILL
 * `--kills` times (default 20) at moments drawn from `--seed` while it receives a
 * burst of 8 pull requests (opened, out-of-order synchronizes, /packit build, test,
 * retest-failed, cancel) and 6 pushes with GitHub-style redelivery; then the
 * lost / orphaned / duplicated / stuck / unanswered work, all expected 0.
 */
export async function run(): Promise<Record<string, unknown>> {
  const seed = numberOption("seed", Date.now() % 1_000_000);
  const r = await runChaos({
    kills: numberOption("kills", 20),
    seed,
    pullRequests: numberOption("prs", 8),
    pushes: numberOption("pushes", 6),
    log: (line) => console.log(`chaos: ${line}`),
  });
  return {
    name: "chaos",
    seed: r.seed,
    kills: r.kills,
    deliveries: r.deliveries,
    redeliveries: r.redeliveries,
    ...countsOf(r.counts),
    quiescent: r.quiescent,
    jobs: r.jobs,
    backend_submissions: r.backendSubmissions,
    check_runs: r.checkRuns,
    kill_phase_ms: r.killPhaseMs,
    quiesce_ms: r.quiesceMs,
    total_ms: r.totalMs,
  };
}
