import cron from "node-cron";
import { onceIn } from "../db/locks.js";
import type { AppDeps } from "../deps.js";
import { toError } from "../errors.js";
import { enqueueTask } from "../tasks.js";

/**
 * How long the "this replica queues it" lease of one cron firing lasts. Replicas fire
 * at the same minute; their clocks must agree to within this.
 */
const FIRING_LEASE_MS = 50_000;

/**
 * The maintenance schedule: node-cron only enqueues the sweep (one queued at most).
 * Every replica's cron fires; a lease in the database lets one of them queue it, so
 * it runs once per cluster, and the sweep's own lease keeps two from overlapping.
 */
export function startMaintenanceCron(deps: AppDeps): { stop(): void } {
  const task = cron.schedule(deps.settings.cron.maintenance, () => {
    void (async () => {
      if (!(await onceIn(deps.db, "maintenance-cron", FIRING_LEASE_MS, deps.now()))) return;
      await enqueueTask(deps, "maintenance-sweep", {}, { lockKey: "maintenance-sweep", maxAttempts: 1 });
    })().catch((err: unknown) => deps.log.error({ err: toError(err) }, "could not queue the maintenance sweep"));
  });
  return { stop: () => void task.stop() };
}
