import type { FakeRequest } from "../testing/fakes/http-fake.js";
import type { BackendName } from "../src/backends/types.js";
import { cancelJobs } from "../src/cancel/service.js";
import { seedWidgetRepo, servedSrpmUrl, startEnvironment } from "../testing/demo/environment.js";
import { randomSha } from "../testing/github-sim/index.js";
import { enqueueSubmits, moveJob } from "../src/pipeline/lifecycle.js";
import type { NewJob } from "../src/pipeline/store.js";

const LATENCY_MS = 300;
const INSTALLATION = 100;
const SUBMIT_TIMEOUT_MS = 600_000;
/** Cancel calls in flight per backend (the default `cancel.concurrency`). */
const CONCURRENCY = 16;

const BACKENDS: { backend: BackendName; type: string; prefix: string }[] = [
  { backend: "copr", type: "copr_build", prefix: "rpm-build" },
  { backend: "testing-farm", type: "tests", prefix: "testing-farm" },
  { backend: "koji", type: "upstream_koji_build", prefix: "koji-build" },
  { backend: "openscanhub", type: "osh_scan", prefix: "osh-diff-scan" },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const xmlMethod = (req: { body: string }) => /<methodName>([^<]*)<\/methodName>/.exec(req.body)?.[1];

/** Which recorded calls are cancel calls, per fake (only these get the 300 ms latency). */
const IS_CANCEL: Record<string, (req: { method: string; path: string; body: string }) => boolean> = {
  copr: (r) => (r.method === "PUT" || r.method === "POST") && /^\/api_3\/build\/cancel\/\d+\/?$/.test(r.path),
  "testing-farm": (r) => r.method === "DELETE" && r.path.startsWith("/v0.1/requests/"),
  // Koji cancels travel in a multiCall (cancelTask + getTaskInfo per task).
  koji: (r) =>
    r.method === "POST" &&
    (xmlMethod(r) === "cancelTask" || (xmlMethod(r) === "multiCall" && r.body.includes("<string>cancelTask</string>"))),
  openscanhub: (r) => r.method === "POST" && xmlMethod(r) === "client.cancel_task",
};

/**
 * One cancel request over many running jobs, the same number on each of Copr, Testing
 * Farm, Koji and OpenScanHub: 10 each (40 jobs, goal ≤ 2 × 300 ms) and 500 each (2,000
 * jobs, goal ≤ 1.2 × the concurrency bound: 500 calls / 16 in flight × 300 ms ≈ 9.4 s,
 * and fewer Koji requests than Koji jobs). The jobs are submitted through the service's
 * own submit task to the fakes (manual fakes: nothing advances on its own), then the
 * fakes put them in their running state and the jobs move to `running`. The fakes
 * answer *cancel* calls (only those) after 300 ms. Timed: one `cancelJobs(...)` call
 * over all job ids, end to end (state reads, backend calls, state writes).
 */
export async function run(): Promise<Record<string, unknown>> {
  const small = await measure(10);
  const large = await measure(500);
  const boundMs = Math.ceil(500 / CONCURRENCY) * LATENCY_MS;
  return {
    name: "cancel",
    latency_ms: LATENCY_MS,
    jobs: small.jobs,
    elapsed_ms: small.elapsed_ms,
    goal_ms: 2 * LATENCY_MS,
    cancelled: small.cancelled,
    large: { ...large, bound_ms: boundMs, ratio_to_bound: Math.round((large.elapsed_ms / boundMs) * 100) / 100 },
  };
}

async function measure(perBackend: number) {
  const env = await startEnvironment({
    phaseMs: Infinity,
    // Manual fakes and no status polls during the benchmark: only the cancel calls are measured.
    // Many submit slots, so seeding 2,000 running jobs takes seconds, not minutes.
    settings: {
      polling: { intervalMs: 600_000, maxIntervalMs: 600_000 },
      worker: { concurrency: 64 },
      cancel: { concurrency: CONCURRENCY },
    },
  });
  try {
    const { deps, fakes } = env;
    const repo = await seedWidgetRepo(env, INSTALLATION);

    // The scans download a real SRPM from the fake Copr and upload it to the fake hub.
    const srpmUrl = await servedSrpmUrl(env);
    const newJobs: NewJob[] = BACKENDS.flatMap((b) =>
      Array.from({ length: perBackend }, (_, i) => ({
        key: `${b.prefix}:fedora-${40 + i}-x86_64`,
        type: b.type,
        backend: b.backend,
        target: `fedora-${40 + i}-x86_64`,
        options: b.backend === "openscanhub" ? { srpm_url: srpmUrl } : {},
        manualTrigger: false,
        cancelSuperseded: true,
      })),
    );
    const headSha = randomSha();
    env.sim.addCommit("acme", "widget", headSha); // stored directly, not from a webhook: GitHub must have the commit
    const { pipeline, jobs } = await deps.pipelines.createPipeline(
      { repoId: repo.id, installationId: INSTALLATION, trigger: "pull_request", prNumber: 1, branch: "main", headSha },
      newJobs,
    );

    // Really submit them: the service's submit task talks to the fakes and stores the external ids.
    await enqueueSubmits(deps, { pipeline, repo }, jobs);
    const end = Date.now() + SUBMIT_TIMEOUT_MS;
    for (;;) {
      const now = (await Promise.all(jobs.map((j) => deps.pipelines.job(j.id)))).map((j) => j!);
      if (now.every((j) => j.state === "submitted" && j.external_id)) break;
      const bad = now.find((j) => j.state !== "pending" && j.state !== "submitted");
      if (bad) throw new Error(`cancel bench: job ${bad.key} is ${bad.state}: ${bad.message}`);
      if (Date.now() > end) throw new Error("cancel bench: submissions did not finish in time");
      await sleep(10);
    }

    // Running on the backends, and known to be running by the app (as a status poll would record).
    for (const job of (await Promise.all(jobs.map((j) => deps.pipelines.job(j.id)))).map((j) => j!)) {
      const id = job.external_id!;
      if (job.backend === "copr") fakes.copr.finish(id, "running");
      else if (job.backend === "testing-farm") fakes.testingFarm.finish(id, "running");
      else if (job.backend === "koji") fakes.koji.start(Number(id));
      else if (job.backend === "openscanhub") fakes.openscanhub.start(Number(id));
      if (!(await moveJob(deps, job.id, "running"))) throw new Error(`cancel bench: could not mark ${job.key} running`);
    }

    // Only cancel calls are slow.
    const servers = { copr: fakes.copr, "testing-farm": fakes.testingFarm, koji: fakes.koji, openscanhub: fakes.openscanhub };
    for (const [name, fake] of Object.entries(servers)) {
      const isCancel = IS_CANCEL[name]!;
      fake.faults.delayMs = (req: FakeRequest) => (isCancel(req) ? LATENCY_MS : 0);
    }
    const callsBefore = Object.fromEntries(Object.entries(servers).map(([n, f]) => [n, f.calls.length]));

    const wallStart = Date.now();
    const t0 = performance.now();
    const report = await cancelJobs(
      deps,
      jobs.map((j) => j.id),
      { reason: "Cancelled by the benchmark", source: "cli" },
    );
    const elapsedMs = performance.now() - t0;

    const cancelled = report.results.filter((r) => r.code === 0).length;

    // Diagnostics (stderr, so the JSON stays the last stdout line): when each backend's
    // cancel calls reached the fake, relative to the start of cancelJobs.
    for (const [name, fake] of Object.entries(servers)) {
      const arrivals = fake.calls
        .slice(callsBefore[name])
        .filter((c) => IS_CANCEL[name]!(c))
        .map((c) => c.at - wallStart);
      const spread = arrivals.length ? `${Math.min(...arrivals)}…${Math.max(...arrivals)} ms` : "none";
      console.error(`cancel: ${name.padEnd(13)} ${arrivals.length} cancel calls arrived at +${spread}`);
    }
    const codes = report.results.reduce<Record<string, number>>(
      (acc, r) => ((acc[`${r.backend}:${r.code}`] = (acc[`${r.backend}:${r.code}`] ?? 0) + 1), acc),
      {},
    );
    console.error(`cancel: overall ${report.overall}; codes ${JSON.stringify(codes)}`);

    const kojiJobs = jobs.filter((j) => j.backend === "koji").length;
    return {
      jobs: jobs.length,
      elapsed_ms: Math.round(elapsedMs),
      cancelled,
      // Issue 22: fewer Koji requests than Koji jobs (batched into multiCall).
      koji_jobs: kojiJobs,
      koji_requests: fakes.koji.calls.length - callsBefore.koji!,
    };
  } finally {
    await env.stop();
  }
}
