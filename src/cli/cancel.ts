import { setTimeout as sleep } from "node:timers/promises";
import { AuditLog } from "../audit/index.js";
import type { CancelReport } from "../cancel/report.js";
import { renderReport } from "../cancel/report.js";
import { requestCancel } from "../cancel/request.js";
import type { AppDeps } from "../deps.js";

/** How long `cancel` waits for the running service's worker to take the cancel it queued. */
const WAIT_MS = 120_000;
const POLL_MS = 200;

const sameJobs = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((id) => b.includes(id));

/**
 * The CLI's `cancel`: queued through `requestCancel()` like every other cancel, run by the
 * service's worker (which records the report in the audit table), then printed. 1 when a
 * backend refused or failed (code 3), nothing stopped, or no worker ran it in time.
 */
export async function cancelForOperator(
  deps: AppDeps,
  target: { jobIds: number[]; repoId: number; what: string },
  out: { log(line: string): void; error(line: string): void },
): Promise<number> {
  const { jobIds, repoId, what } = target;
  const nothing = () => {
    out.log(`nothing to cancel: ${what} has no unfinished jobs`);
    return 0;
  };
  if (jobIds.length === 0) return nothing();
  const taskId = await requestCancel(
    deps,
    { jobIds, reason: "Cancelled by operator", actor: "operator", source: "cli" },
    { repoId, priority: 60 },
  );
  if (taskId === null) throw new Error("the cancel was not queued");
  const end = Date.now() + WAIT_MS;
  for (;;) {
    // A finished task may be pruned before this look: gone counts as done.
    const task = await deps.tasks.get(taskId);
    if (task?.status === "succeeded" || task === null) break;
    if (task.status !== "todo" && task.status !== "doing") {
      out.error(`the cancel (task ${taskId}) ${task.status}${task.lastError ? `: ${task.lastError}` : ""}`);
      return 1;
    }
    if (Date.now() > end) {
      out.error(`the cancel is queued as task ${taskId}, but no running service took it within ${WAIT_MS / 1000} s; it runs when one does`);
      return 1;
    }
    await sleep(POLL_MS);
  }
  // The worker's report of these jobs, newest first.
  const entry = (await new AuditLog(deps.db).list({ actionPrefix: "cancel.cli", limit: 100 })).find((e) =>
    sameJobs(
      (e.detail as CancelReport).results.map((r) => r.jobId),
      jobIds,
    ),
  );
  const report = entry?.detail as CancelReport | undefined;
  if (!report) {
    out.error(`the cancel (task ${taskId}) ran, but its report is not in the audit table`);
    return 1;
  }
  if (report.overall === "nothing to cancel") return nothing();
  out.log(renderReport(report, "operator"));
  // A backend that refused or failed (code 3), or nothing stopped: the operator has to act.
  return report.overall === "none" || report.results.some((r) => r.code === 3) ? 1 : 0;
}
