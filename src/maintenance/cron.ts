import cron from "node-cron";
import type { AppDeps } from "../deps.js";
import { LONG_QUEUE } from "../tasks.js";

/**
 * The maintenance schedule: node-cron only enqueues the sweep (one queued at most);
 * the worker runs it, and the sweep's database lease keeps two from overlapping
 * even across processes.
 */
export function startMaintenanceCron(deps: AppDeps): { stop(): void } {
  const task = cron.schedule(deps.settings.cron.maintenance, () => {
    deps.tasks.enqueueUnlessLocked("maintenance-sweep", {}, { queue: LONG_QUEUE, lockKey: "maintenance-sweep", maxAttempts: 1 });
  });
  return { stop: () => void task.stop() };
}
