import type { AppDeps } from "../deps.js";
import { enqueueTask, type AppTasks } from "../tasks.js";

/**
 * Ask for jobs to be cancelled: every entry point that does not wait for the outcome
 * (supersede, closed pull request, comment, button) queues one "cancel-jobs" task here,
 * fair per repository. `lockKey` makes a retried request join the queued one.
 */
export function requestCancel(
  deps: Pick<AppDeps, "tasks">,
  request: AppTasks["cancel-jobs"],
  opts: { repoId: number; priority: number; lockKey?: string },
): Promise<number | null> {
  const { repoId, ...rest } = opts;
  return enqueueTask(deps, "cancel-jobs", request, { ...rest, fairnessKey: `repo:${repoId}` });
}
