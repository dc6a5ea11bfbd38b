import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { DeliveryLog } from "../webhooks/deliveries.js";
import { runSweep } from "./sweep.js";

/** Finished tasks and seen delivery ids are kept this long (GitHub redelivers for a few days at most). */
const RETENTION_MS = 14 * 86_400_000;

/**
 * Registers the daily maintenance task (scheduled by the cron, or run with
 * `npm run cli -- maintenance`): the installation sweep, and pruning of old
 * finished tasks and delivery ids so the database does not grow for ever.
 */
export function setupMaintenance(_app: Probot, deps: AppDeps): void {
  deps.taskHandlers["maintenance-sweep"] = async ({ dryRun }) => {
    const res = await runSweep(deps, { dryRun });
    if (!res) deps.log.info("maintenance sweep skipped: another sweep is running");
    if (dryRun) return;
    const before = deps.now() - RETENTION_MS;
    const tasks = deps.tasks.prune(before);
    const deliveries = new DeliveryLog(deps.db, deps.now).prune(before);
    deps.log.info({ tasks, deliveries }, "pruned old finished tasks and delivery ids");
  };
}
