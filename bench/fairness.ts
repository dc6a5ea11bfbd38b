import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../src/db/open.js";
import { priorityFor } from "../src/priorities/index.js";
import { TaskStore, Worker, exponentialBackoff } from "../src/queue/index.js";
import { parseSettings, type Settings } from "../src/settings.js";

const BIG = 1000;
const SMALL = 10;
const WORKERS = 2;
const TIMEOUT_MS = 25_000;

type Tasks = { "submit-job": { project: string; i: number } };
type Key = "big" | "small";

const silent = { info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  smallDoneMs: number;
  totalMs: number;
  enqueueBigMs: number;
  priorities: Record<Key, number>;
  /** Finishing positions (1-based) of the small project's first and last task. */
  smallPositions: [number, number];
  /** From the small project's last enqueue to its last task finished. */
  smallWaitMs: number;
}

/**
 * Queue fairness: a busy project with 1000 queued tasks and a small one with 10, on
 * 2 workers (`TaskStore` + two `Worker`s, concurrency 1 each, on a temp-file
 * database, service default worker settings). Fairness key = project; priority =
 * `priorityFor` as the app's `enqueueSubmits` computes it: both are pull-request jobs;
 * the big project's unfinished-job count (its 1000 jobs are stored before their
 * submissions are queued) is over the busy threshold and it gets the "active
 * recently" bonus; the small project does not (worst case for it). Each task awaits
 * ~1–2 ms (a timer). The big project's tasks are enqueued first, one enqueue (one
 * transaction) per job as the app does, then the small one's.
 *
 * Reported: both projects' tasks are queued, then the workers start; times are from
 * the workers' start. Goal: small project done within 5 % of the total. A second run
 * with the workers already running while the tasks are enqueued (times from the
 * first enqueue) is printed on stderr for comparison.
 */
export async function run(): Promise<Record<string, unknown>> {
  const settings = parseSettings({});
  const queued = await scenario(settings, "queued-then-start");
  const live = await scenario(settings, "workers-running");
  for (const [label, o] of [
    ["queued, then workers start", queued],
    ["workers running while enqueuing", live],
  ] as const) {
    console.error(
      `fairness (${label}): priorities big ${o.priorities.big}, small ${o.priorities.small}; ` +
        `enqueueing the big project took ${o.enqueueBigMs.toFixed(1)} ms; small tasks finished as #${o.smallPositions[0]}…#${o.smallPositions[1]} of ${BIG + SMALL}, ` +
        `${o.smallWaitMs.toFixed(1)} ms after they were enqueued; small done ${o.smallDoneMs.toFixed(0)} of ${o.totalMs.toFixed(0)} ms (${((o.smallDoneMs / o.totalMs) * 100).toFixed(1)} %)`,
    );
  }
  return {
    name: "fairness",
    small_project_done_ms: Math.round(queued.smallDoneMs),
    total_ms: Math.round(queued.totalMs),
    small_share: Math.round((queued.smallDoneMs / queued.totalMs) * 1000) / 1000,
  };
}

async function scenario(settings: Settings, mode: "queued-then-start" | "workers-running"): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), "bench-fairness-"));
  const db = await openDatabase({ path: join(dir, "q.sqlite") });
  const store = new TaskStore<Tasks>(db, { agingMs: settings.worker.agingMs, defaultMaxAttempts: settings.worker.maxAttempts });
  const workers: Worker<Tasks>[] = [];
  try {
    const projects = {
      big: { name: "bigorg/big", total: BIG, activeRecently: true },
      small: { name: "someone/tiny", total: SMALL, activeRecently: false },
    };
    const finished = { big: 0, small: 0 };
    const order: Key[] = [];
    let smallDoneAt = 0;
    let allDoneAt = 0;
    let t0 = 0;

    const handlers = {
      async "submit-job"(p: Tasks["submit-job"]) {
        await sleep(1); // ~1–2 ms of waiting on "a backend"
        const which: Key = p.project === projects.small.name ? "small" : "big";
        finished[which]++;
        order.push(which);
        const now = performance.now();
        if (which === "small" && finished.small === SMALL) smallDoneAt = now;
        if (finished.big + finished.small === BIG + SMALL) allDoneAt = now;
      },
    };
    const startWorkers = () => {
      for (let w = 0; w < WORKERS; w++) {
        const worker = new Worker<Tasks>(store, handlers, {
          id: `bench-${w}`,
          queues: ["long"],
          concurrency: 1,
          pollIntervalMs: settings.worker.pollIntervalMs,
          leaseMs: settings.worker.leaseMs,
          retry: exponentialBackoff({ baseMs: settings.worker.retryBaseMs, maxMs: settings.worker.retryMaxMs }),
          log: silent,
        });
        workers.push(worker);
        worker.start();
      }
    };

    const priorityOf = (key: Key) =>
      priorityFor(
        {
          trigger: "pull_request",
          project: projects[key].name,
          unfinishedJobsOfProject: projects[key].total - finished[key],
          activeRecently: projects[key].activeRecently,
        },
        settings.priorities,
      );
    const priorities = { big: priorityOf("big"), small: priorityOf("small") };
    const enqueue = (key: Key, i: number) =>
      store.enqueue(
        "submit-job",
        { project: projects[key].name, i },
        { queue: "long", fairnessKey: projects[key].name, priority: priorityOf(key), lockKey: `submit:${key}:${i}` },
      );

    if (mode === "workers-running") {
      startWorkers();
      t0 = performance.now();
    }
    const e0 = performance.now();
    for (let i = 0; i < BIG; i++) await enqueue("big", i);
    const enqueueBigMs = performance.now() - e0;
    for (let i = 0; i < SMALL; i++) await enqueue("small", i);
    const smallEnqueuedAt = performance.now();
    if (mode === "queued-then-start") {
      t0 = performance.now();
      startWorkers();
    }

    const end = performance.now() + TIMEOUT_MS;
    while (!allDoneAt) {
      if (performance.now() > end) throw new Error(`fairness bench: timed out (${finished.big} + ${finished.small} done)`);
      await sleep(5);
    }
    return {
      smallDoneMs: smallDoneAt - t0,
      totalMs: allDoneAt - t0,
      enqueueBigMs,
      priorities,
      smallPositions: [order.indexOf("small") + 1, order.lastIndexOf("small") + 1],
      smallWaitMs: smallDoneAt - smallEnqueuedAt,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop(1000)));
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
