import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { mayControlJobs } from "../github/permissions.js";
import { rerunJob } from "../pipeline/rerun.js";
import { SHORT_QUEUE } from "../tasks.js";
import { handled, ignored, onDelivery } from "../webhooks/index.js";
import { checkRunPayload, parsePayload } from "../webhooks/payloads.js";
import { CANCEL_ACTION, RERUN_ACTION } from "./state.js";

/** The check-run buttons (*Cancel*, *Re-run*) and GitHub's own "Re-run" (check_run.rerequested). */
export function setupCheckActions(app: Probot, deps: AppDeps): void {
  onDelivery(app, deps, ["check_run.requested_action", "check_run.rerequested"], async (context) => {
    const p = parsePayload(checkRunPayload, context.payload);
    const identifier = p.action === "rerequested" ? RERUN_ACTION.identifier : p.requested_action?.identifier;
    const row = await deps.checks.byGithubId(p.check_run.id);
    if (!row?.job_id) return ignored("not a check run of ours");
    if (identifier !== CANCEL_ACTION.identifier && identifier !== RERUN_ACTION.identifier) return ignored(`unknown action ${identifier}`);

    const github = await deps.github(p.installation.id);
    const user = p.sender.login;
    const owner = p.repository.owner.login;
    const repo = p.repository.name;
    if (!(await mayControlJobs(github, { owner, repo, user }))) {
      deps.log.info({ user, check: row.name }, "check-run action refused: no write permission");
      return ignored("sender lacks permission", "refused");
    }
    if (identifier === CANCEL_ACTION.identifier) {
      await deps.tasks.enqueue("cancel-jobs", { jobIds: [row.job_id], reason: `Cancelled by @${user}`, actor: user, source: "button" }, { queue: SHORT_QUEUE, priority: 60, fairnessKey: `repo:${row.repo_id}` });
      return handled;
    }
    return (await rerunJob(deps, row.job_id, user)) ? handled : ignored("job is still running");
  });
}
