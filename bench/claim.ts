import { TaskStore } from "../src/queue/index.js";
import { benchDatabase, perSecond } from "./engine.js";

const KEYS = [20, 1_000, 10_000];
const CLAIMS = 2_000;

/**
 * Claims per second with 20, 1,000 and 10,000 fairness keys waiting (issue 22: the
 * cost of a claim must not grow with them). Each key has enough queued tasks that it
 * is still waiting when the measurement ends; every claim is completed. On the
 * configured engine (`DATABASE_URL` set: PostgreSQL). Target: ≥ 3,000 claims/s at
 * 10,000 keys.
 */
export async function run(): Promise<Record<string, unknown>> {
  const results: { keys: number; claims_per_s: number }[] = [];
  let engine = "";
  for (const keys of KEYS) {
    const target = await benchDatabase("claim");
    engine = target.engine;
    try {
      const store = new TaskStore<{ t: { i: number } }>(target.db);
      const perKey = Math.ceil(CLAIMS / keys) + 1;
      const items = Array.from({ length: keys * perKey }, (_, i) => ({
        name: "t" as const,
        payload: { i },
        fairnessKey: `repo-${i % keys}`,
        priority: i % 3,
      }));
      for (let i = 0; i < items.length; i += 5_000) await store.enqueueMany(items.slice(i, i + 5_000));
      // The first claim makes every queued task ready (once per task, not per claim): not timed.
      const first = await store.claim("bench", ["default"], 60_000);
      await store.finish(first!.id, "bench", { status: "succeeded" });
      const t0 = performance.now();
      for (let i = 0; i < CLAIMS; i++) {
        const task = await store.claim("bench", ["default"], 60_000);
        if (!task) throw new Error(`claim bench: the queue ran dry at ${i} claims`);
        await store.finish(task.id, "bench", { status: "succeeded" });
      }
      results.push({ keys, claims_per_s: perSecond(CLAIMS, performance.now() - t0) });
    } finally {
      await target.cleanup();
    }
  }
  console.error(`claim (${engine}): ${results.map((r) => `${r.keys} keys → ${r.claims_per_s}/s`).join(", ")}`);
  return { name: "claim", results };
}
