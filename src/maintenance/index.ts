import type { Probot } from "probot";
import { AuditLog } from "../audit/index.js";
import { DashboardStore } from "../dashboard/store.js";
import type { AppDeps } from "../deps.js";
import { DeliveryLog } from "../webhooks/deliveries.js";
import { runSweep } from "./sweep.js";

const DAY_MS = 86_400_000;

/**
 * Registers the daily maintenance task (scheduled by the cron, or run with
 * `npm run cli -- maintenance`): the installation sweep, and pruning by the
 * `retention` settings — delivery ids, finished tasks, audit rows and finished
 * pipelines — and expired dashboard sign-ins, so the database does not grow for ever.
 */
export function setupMaintenance(_app: Probot, deps: AppDeps): void {
  deps.taskHandlers["maintenance-sweep"] = async ({ dryRun }) => {
    const res = await runSweep(deps, { dryRun });
    if (!res) deps.log.info("maintenance sweep skipped: another sweep is running");
    if (dryRun) return;
    deps.log.info(await pruneOld(deps), "pruned old deliveries, tasks, audit rows, pipelines and expired sign-ins");
  };
}

/** Delete what the retention settings no longer keep; returns how many rows of each went. */
export async function pruneOld(
  deps: Pick<AppDeps, "db" | "tasks" | "pipelines" | "settings" | "now">,
): Promise<Record<"deliveries" | "tasks" | "audit" | "pipelines" | "sessions", number>> {
  const r = deps.settings.retention;
  const before = (days: number) => deps.now() - days * DAY_MS;
  return {
    deliveries: await new DeliveryLog(deps.db, deps.now).prune(before(r.deliveriesDays)),
    tasks: await deps.tasks.prune(before(r.tasksDays)),
    audit: await new AuditLog(deps.db, deps.now).prune(before(r.auditDays)),
    pipelines: await deps.pipelines.pruneFinished(before(r.pipelinesDays)),
    sessions: await new DashboardStore(deps.db, deps.now).pruneSessions(),
  };
}
