import { reportJob } from "../src/checks/index.js";
import { seedWidgetRepo, startEnvironment } from "../testing/demo/environment.js";
import { randomSha } from "../testing/github-sim/index.js";
import { moveJob } from "../src/pipeline/lifecycle.js";
import type { NewJob } from "../src/pipeline/store.js";
import { parseSettings } from "../src/settings.js";

const TARGETS = 20;
const LATENCY_MS = 350;
const INSTALLATION = 100;
/** Give up on a phase after this long (a bug must not hang the benchmark). */
const PHASE_TIMEOUT_MS = 15_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Check-run reporting against a GitHub that answers every request after 350 ms.
 *
 * 20 new jobs record their first state (queued) through the app's own path
 * (`reportJob`: desired state in SQLite + a queued flush task); the phase ends when
 * the simulated GitHub holds all 20 check runs in that state. Then every job moves
 * to success (`moveJob`, as a final poll would) and the phase ends when GitHub shows
 * all 20 completed/success. Timings use the service's default `checks.flushWindowMs`
 * and `github.writeIntervalMs`; the installation token is fetched before timing (a
 * running service has it cached). Goal: ≤ 525 ms per phase (one 350 ms round trip
 * plus the coalescing window and scheduling).
 */
export async function run(): Promise<Record<string, unknown>> {
  const defaults = parseSettings({});
  const env = await startEnvironment({
    githubLatencyMs: LATENCY_MS,
    settings: {
      checks: { flushWindowMs: defaults.checks.flushWindowMs },
      github: { writeIntervalMs: defaults.github.writeIntervalMs },
    },
  });
  try {
    const { sim, deps } = env;
    // The repository and a pipeline of 20 jobs, as the push handler would have stored them.
    const repo = await seedWidgetRepo(env, INSTALLATION);
    const sha = randomSha();
    sim.addCommit("acme", "widget", sha); // stored directly, not from a webhook: GitHub must have the commit
    const newJobs: NewJob[] = Array.from({ length: TARGETS }, (_, i) => ({
      key: `rpm-build:fedora-${i}-x86_64`,
      type: "copr_build",
      backend: "copr",
      target: `fedora-${i}-x86_64`,
      options: {},
      manualTrigger: false,
      cancelSuperseded: true,
    }));
    const { pipeline, jobs } = await deps.pipelines.createPipeline(
      { repoId: repo.id, installationId: INSTALLATION, trigger: "push", branch: "main", headSha: sha },
      newJobs,
    );

    // Warm-up: one authenticated request fetches and caches the installation token.
    const github = await deps.github(INSTALLATION);
    await github.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "widget" });
    const requestsBefore = sim.requests.length;

    const runsOf = () => sim.checkRuns("acme", "widget", sha);
    const waitUntil = async (what: string, done: () => boolean): Promise<void> => {
      const end = performance.now() + PHASE_TIMEOUT_MS;
      while (!done()) {
        if (performance.now() > end) throw new Error(`checks bench: timed out waiting for ${what}`);
        await sleep(1);
      }
    };

    // Phase 1: creation. t0 = the moment the jobs record their first (queued) state.
    let t0 = performance.now();
    for (const job of jobs) await reportJob(deps, { job, pipeline, repo });
    await waitUntil("20 queued check runs", () => {
      const runs = runsOf();
      return runs.length === TARGETS && runs.every((r) => r.status === "queued");
    });
    const createMs = performance.now() - t0;
    const createEnd = performance.now();

    // A real update comes seconds after creation; GitHub's write spacing
    // (writeIntervalMs, default 1000 ms) would otherwise delay this phase by design.
    // Start the update phase one full interval after creation ended.
    await sleep(Math.max(0, deps.settings.github.writeIntervalMs - (performance.now() - createEnd)) + 50);

    // Phase 2: one update of all 20 (completed/success).
    t0 = performance.now();
    for (const job of jobs) await moveJob(deps, job.id, "success", { message: "Build succeeded." });
    await waitUntil("20 completed check runs", () => {
      const runs = runsOf();
      return runs.length === TARGETS && runs.every((r) => r.status === "completed" && r.conclusion === "success");
    });
    const updateMs = performance.now() - t0;

    // Let anything still in flight land, then count what was sent and what was left behind.
    await sleep(Math.max(200, LATENCY_MS + 100));
    const requests = sim.requests.length - requestsBefore;
    const byName = new Map(runsOf().map((r) => [r.name, r]));
    let lost = 0;
    for (const job of jobs) {
      const r = byName.get(job.key);
      const row = await deps.checks.byJob(job.id);
      const pending = !row || row.sent_version < row.desired_version;
      if (!r || r.status !== "completed" || r.conclusion !== "success" || pending) lost++;
    }

    return {
      name: "checks",
      targets: TARGETS,
      latency_ms: LATENCY_MS,
      create_ms: Math.round(createMs),
      update_ms: Math.round(updateMs),
      requests,
      lost,
    };
  } finally {
    await env.stop();
  }
}
