/**
 * The kill loop (issue 23 item 9): the real service (`src/main.ts` as a child process)
 * on one SQLite file, against the simulated GitHub and the fake Copr and Testing Farm,
 * receives a mixed burst with GitHub-style redelivery while it is killed with SIGKILL
 * at seeded random moments and restarted on the same database. After the last restart
 * it waits for quiescence and counts, from the database, the simulator and the fakes,
 * what was lost, orphaned, duplicated, stuck or never answered (`count.ts`).
 * Used by `npm run bench -- chaos` and `test/acceptance/chaos.test.ts`.
 */
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { JobState } from "../../src/pipeline/job-state.js";
import { startFakeCopr, type FakeCopr } from "../fakes/copr.js";
import { startFakeTestingFarm, type FakeTestingFarm } from "../fakes/testing-farm.js";
import { startGitHubSim } from "../github-sim/index.js";
import { Rng } from "../rng.js";
import { killTestEnv, startServerProcess, type ServerProcess } from "../server-process.js";
import { countAll, findingLines, type BackendTask, type ChaosCounts, type ChaosSnapshot } from "./count.js";
import { CHAOS_CONFIG, FAILING_DISTRO, planBurst } from "./plan.js";
import { Redeliverer } from "./redeliver.js";

export interface ChaosOptions {
  kills: number;
  seed: number;
  /** Pull requests in the burst (8 deliveries each: opened, 3 synchronizes, 4 commands). */
  pullRequests: number;
  /** Pushes to the default branch. */
  pushes: number;
  /** Kill this long after the service became ready: [min, max) ms. */
  killAfterMs?: [number, number];
  /** No new kill once the kill phase has lasted this long. */
  killPhaseMaxMs?: number;
  /** After the last restart: how long to wait for every delivery answered and all work final. */
  quiesceMs?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Keep the temp folder (database, the service's output in service.log). */
  keep?: boolean;
}

export interface ChaosResult {
  seed: number;
  kills: number;
  deliveries: number;
  redeliveries: number;
  counts: ChaosCounts;
  jobs: number;
  backendSubmissions: number;
  checkRuns: number;
  quiescent: boolean;
  killPhaseMs: number;
  quiesceMs: number;
  totalMs: number;
  dir: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The fakes' work as the counters see it. */
function backendTasks(copr: FakeCopr, tf: FakeTestingFarm): BackendTask[] {
  const coprState = (s: string): BackendTask["state"] =>
    s === "canceled" ? "canceled" : ["succeeded", "failed", "skipped", "forked"].includes(s) ? "finished" : "running";
  const tfState = (s: string): BackendTask["state"] =>
    s === "canceled" || s === "cancel-requested" ? "canceled" : s === "complete" || s === "error" ? "finished" : "running";
  return [
    ...copr.builds().map((b) => ({ backend: "copr", id: String(b.id), key: `${b.committish}/${b.chroots[0]}`, state: coprState(b.state) })),
    ...tf.requests().map((r) => ({
      backend: "testing-farm",
      id: r.id,
      key: String(r.variables.PACKIT_JOB_TOKEN),
      state: tfState(r.state),
    })),
  ];
}

/** What the database holds (read from a second connection while the service runs). */
function readDatabase(path: string): Pick<ChaosSnapshot, "pipelines" | "jobs" | "tasks" | "pendingChecks"> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const jobs = db
      .prepare(
        `SELECT j.id, j.pipeline_id, j.state, j.backend, j.external_id, j.token, j.target, p.head_sha
         FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id`,
      )
      .all() as {
      id: number;
      pipeline_id: number;
      state: JobState;
      backend: string;
      external_id: string | null;
      token: string;
      target: string;
      head_sha: string;
    }[];
    return {
      pipelines: db.prepare("SELECT id, delivery_id FROM pipelines").all() as ChaosSnapshot["pipelines"],
      jobs: jobs.map((j) => ({ ...j, submission_key: j.backend === "copr" ? `${j.head_sha}/${j.target}` : j.token })),
      tasks: db.prepare("SELECT id, name, status FROM tasks").all() as ChaosSnapshot["tasks"],
      pendingChecks: db
        .prepare("SELECT id, name FROM check_runs WHERE desired_version > sent_version")
        .all() as ChaosSnapshot["pendingChecks"],
    };
  } finally {
    db.close();
  }
}

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? (() => undefined);
  const rng = new Rng(o.seed);
  const [minKill, maxKill] = o.killAfterMs ?? [200, 1500];
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "packit-chaos-"));
  const databasePath = join(dir, "db.sqlite");
  const sim = await startGitHubSim();
  const copr = await startFakeCopr({ phaseMs: 150 });
  const tf = await startFakeTestingFarm({ phaseMs: 150 });
  tf.setOutcome((s) => s.context.distro === FAILING_DISTRO, "failed");
  sim.addInstallation({ id: 100, account: { login: "acme", type: "Organization" } });
  const repo = sim.addRepo({ installationId: 100, owner: "acme", name: "widget", files: { ".packit.yaml": CHAOS_CONFIG } });
  // The burst's author is a collaborator: the loop measures crash recovery, not the approval gate.
  sim.setPermission("acme", "widget", "contributor", "write");
  const burst = planBurst(sim, repo, rng, { pullRequests: o.pullRequests, pushes: o.pushes });

  let server: ServerProcess | undefined;
  let lastUrl = "http://127.0.0.1:9"; // nothing listens: deliveries before the first start are refused and redelivered
  const sender = new Redeliverer({
    url: () => `${lastUrl}/api/github/webhooks`,
    secret: sim.webhookSecret,
    concurrency: 4,
    maxAttempts: 200,
    backoffMs: 250,
    answerTimeoutMs: 15_000,
  });
  const env = {
    ...killTestEnv({ sim, databasePath, coprUrl: copr.url, testingFarmUrl: tf.url }),
    // A submission cut short is looked for again until this has passed, then resent (or settled as never made).
    PACKIT__BACKENDS__COPR__TIMEOUT_MS: "5000",
    PACKIT__BACKENDS__TESTING_FARM__TIMEOUT_MS: "5000",
  };
  const logFile = join(dir, "service.log");
  const start = async () => {
    server = await startServerProcess(env);
    lastUrl = server.url;
  };
  const stopServer = async () => {
    if (!server) return;
    await server.kill();
    appendFileSync(logFile, `${server.output()}\n--- SIGKILL ---\n`);
    server = undefined;
  };

  let kills = 0;
  let released = 0;
  const release = (upTo: number) => {
    while (released < Math.min(upTo, burst.length)) sender.release(burst[released++]!);
  };
  let releasing: NodeJS.Timeout | undefined;
  try {
    const killPhaseEnd = Date.now() + (o.killPhaseMaxMs ?? 360_000);
    while (kills < o.kills && Date.now() < killPhaseEnd) {
      await start();
      const after = minKill + rng.int(maxKill - minKill);
      // Each life of the process gets its share of the burst, spread over that life, so every kill lands in the middle of work.
      const upTo = Math.ceil(((kills + 1) * burst.length) / o.kills);
      const gapMs = after / Math.max(1, upTo - released);
      releasing = setInterval(() => release(Math.min(upTo, released + 1)), gapMs);
      await sleep(after);
      clearInterval(releasing);
      release(upTo);
      await stopServer();
      kills++;
      log(
        `kill ${kills}/${o.kills} ${after} ms after ready: released ${released}/${burst.length}, answers ${JSON.stringify(Object.fromEntries(sender.answers))}`,
      );
    }
    const killPhaseMs = Date.now() - started;
    await start();
    release(burst.length);
    log(`restarted for good after ${kills} kills; waiting for quiescence`);

    const quiesceStart = Date.now();
    const quiesceEnd = quiesceStart + (o.quiesceMs ?? 180_000);
    let snapshot: ChaosSnapshot;
    let quiescent = false;
    for (;;) {
      snapshot = {
        deliveries: sender.sent,
        ...readDatabase(databasePath),
        simChecks: sim.checkRuns("acme", "widget"),
        botComments: Array.from({ length: o.pullRequests }, (_, i) => sim.comments("acme", "widget", i + 1))
          .flat()
          .filter((c) => c.user.login.endsWith("[bot]"))
          .map((c) => c.body),
        backendTasks: backendTasks(copr, tf),
      };
      const counts = countAll(snapshot);
      quiescent = sender.pending === 0 && counts.stuck.count === 0;
      if (quiescent || Date.now() > quiesceEnd) break;
      await sleep(250);
    }
    const counts = countAll(snapshot);
    for (const line of findingLines(counts, 10)) log(line);
    return {
      seed: o.seed,
      kills,
      deliveries: sender.sent.length,
      redeliveries: sender.sent.reduce((n, d) => n + d.attempts - 1, 0),
      counts,
      jobs: snapshot.jobs.length,
      backendSubmissions: snapshot.backendTasks.length,
      checkRuns: snapshot.simChecks.length,
      quiescent,
      killPhaseMs,
      quiesceMs: Date.now() - quiesceStart,
      totalMs: Date.now() - started,
      dir,
    };
  } finally {
    clearInterval(releasing);
    sender.stop();
    await stopServer();
    await Promise.all([sim.stop(), copr.stop(), tf.stop()]);
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}
