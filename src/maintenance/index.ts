import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { runSweep } from "./sweep.js";

/** Registers the maintenance sweep task (scheduled by the cron, or run with `npm run cli -- maintenance`). */
export function setupMaintenance(_app: Probot, deps: AppDeps): void {
  deps.taskHandlers["maintenance-sweep"] = async ({ dryRun }) => {
    const res = await runSweep(deps, { dryRun });
    if (!res) deps.log.info("maintenance sweep skipped: another sweep is running");
  };
}
