import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../src/db/open.js";
import { TaskStore } from "../src/queue/index.js";

const N = 20_000;

/**
 * Queue throughput on a file-backed WAL database: single enqueues (one transaction
 * each), batched enqueues (1000 per transaction), and claim+complete pairs.
 * Goals: ≥ 10k enqueue/s, ≥ 3k claim+complete/s.
 */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "bench-queue-"));
  try {
    const db = openDatabase({ path: join(dir, "q.sqlite") });
    const store = new TaskStore<{ t: { i: number } }>(db);
    const projects = 20;

    let t0 = performance.now();
    for (let i = 0; i < N; i++) store.enqueue("t", { i }, { fairnessKey: `p${i % projects}`, priority: i % 3 });
    const enqueueMs = performance.now() - t0;

    t0 = performance.now();
    for (let i = 0; i < N; i += 1000) {
      store.enqueueMany(Array.from({ length: 1000 }, (_, k) => ({ name: "t" as const, payload: { i: i + k }, fairnessKey: `p${k % projects}` })));
    }
    const batchMs = performance.now() - t0;

    t0 = performance.now();
    let done = 0;
    for (;;) {
      const task = store.claim("bench", ["default"], 60_000);
      if (!task) break;
      store.finish(task.id, "bench", { status: "succeeded" });
      done++;
    }
    const claimMs = performance.now() - t0;
    db.close();
    return {
      name: "queue",
      tasks: N,
      enqueue_per_s: Math.round(N / (enqueueMs / 1000)),
      enqueue_batch_per_s: Math.round(N / (batchMs / 1000)),
      claim_complete_per_s: Math.round(done / (claimMs / 1000)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
