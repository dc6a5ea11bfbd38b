import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { mayControlJobs } from "../github/permissions.js";
import { rerunJob } from "../pipeline/rerun.js";
import { requestCancel } from "../cancel/request.js";
import type { AppTasks } from "../tasks.js";
import { deliveryTask, handled, ignored, onDelivery, type HandlerOutcome } from "../webhooks/index.js";
import { checkRunPayload, parsePayload } from "../webhooks/payloads.js";
import { CANCEL_ACTION, RERUN_ACTION } from "./state.js";

/** The check-run buttons (*Cancel*, *Re-run*) and GitHub's own "Re-run" (check_run.rerequested). */
export function setupCheckActions(app: Probot, deps: AppDeps): void {
  onDelivery(app, deps, ["check_run.requested_action", "check_run.rerequested"], (context) => {
    const p = parsePayload(checkRunPayload, context.payload);
    const identifier = p.action === "rerequested" ? RERUN_ACTION.identifier : p.requested_action?.identifier;
    if (identifier !== CANCEL_ACTION.identifier && identifier !== RERUN_ACTION.identifier) return ignored(`unknown action ${identifier}`);
    return {
      task: "check-run-action",
      payload: {
        installationId: p.installation.id,
        owner: p.repository.owner.login,
        repo: p.repository.name,
        checkRunId: p.check_run.id,
        action: identifier === CANCEL_ACTION.identifier ? "cancel" : "rerun",
        user: p.sender.login,
      },
      fairnessKey: `repo:${p.repository.id}`,
      priority: 60,
    };
  });
  deliveryTask(deps, "check-run-action", (p, log) => checkRunAction(deps, p, log));
}

/** A button pressed by a user with write permission cancels or re-runs the check run's job. */
async function checkRunAction(deps: AppDeps, p: AppTasks["check-run-action"], log: AppDeps["log"]): Promise<HandlerOutcome> {
  const row = await deps.checks.byGithubId(p.checkRunId);
  if (!row?.job_id) return ignored("not a check run of ours");
  const github = await deps.github(p.installationId);
  const { owner, repo, user } = p;
  if (!(await mayControlJobs(github, { owner, repo, user }))) {
    log.info({ user, check: row.name }, "check-run action refused: no write permission");
    return ignored("sender lacks permission", "refused");
  }
  if (p.action === "cancel") {
    await requestCancel(
      deps,
      { jobIds: [row.job_id], reason: `Cancelled by @${user}`, actor: user, source: "button" },
      { repoId: row.repo_id, priority: 60 },
    );
    return handled;
  }
  return (await rerunJob(deps, row.job_id, user)) ? handled : ignored("job is still running");
}
