import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { APPROVAL_CHECK_NAME } from "../approval/checks.js";
import { decideActor, isBot } from "../approval/decide.js";
import { approveHead } from "../approval/pull-requests.js";
import { rerunJob } from "../pipeline/rerun.js";
import { requestCancel } from "../cancel/request.js";
import type { AppTasks } from "../tasks.js";
import { deliveryTask, handled, ignored, onDelivery, type HandlerOutcome } from "../webhooks/index.js";
import { checkRunPayload, parsePayload } from "../webhooks/payloads.js";
import { APPROVE_ACTION, CANCEL_ACTION, RERUN_ACTION } from "./state.js";

/** The check-run buttons (*Cancel*, *Re-run*, *Approve*) and GitHub's own "Re-run" (check_run.rerequested). */
export function setupCheckActions(app: Probot, deps: AppDeps): void {
  onDelivery(app, deps, ["check_run.requested_action", "check_run.rerequested"], (context) => {
    const p = parsePayload(checkRunPayload, context.payload);
    const identifier = p.action === "rerequested" ? RERUN_ACTION.identifier : p.requested_action?.identifier;
    const action = ACTIONS[identifier ?? ""];
    if (!action) return ignored(`unknown action ${identifier}`);
    if (isBot(p.sender)) return ignored("button pressed by a bot");
    return {
      task: "check-run-action",
      payload: {
        installationId: p.installation.id,
        owner: p.repository.owner.login,
        repo: p.repository.name,
        checkRunId: p.check_run.id,
        action,
        user: p.sender.login,
      },
      fairnessKey: `repo:${p.repository.id}`,
      priority: 60,
    };
  });
  deliveryTask(deps, "check-run-action", (p, log) => checkRunAction(deps, p, log));
}

const ACTIONS: Record<string, AppTasks["check-run-action"]["action"]> = {
  [CANCEL_ACTION.identifier]: "cancel",
  [RERUN_ACTION.identifier]: "rerun",
  [APPROVE_ACTION.identifier]: "approve",
};

/** A button pressed by a user with write permission cancels or re-runs the check run's job, or approves a pull request's head. */
async function checkRunAction(deps: AppDeps, p: AppTasks["check-run-action"], log: AppDeps["log"]): Promise<HandlerOutcome> {
  const row = await deps.checks.byGithubId(p.checkRunId);
  const approving = p.action === "approve";
  if (approving ? row?.name !== APPROVAL_CHECK_NAME || row.job_id !== null : !row?.job_id) return ignored("not a check run of ours");
  const github = await deps.github(p.installationId);
  const { owner, repo, user } = p;
  const approval = deps.approval;
  const permission = await approval.permissions.of(github, { owner, repo, user });
  const verdict = decideActor({ login: user, permission, isPrAuthor: false, headApproved: false }, `button:${p.action}`);
  if (!verdict.allowed) {
    log.info({ user, check: row!.name, permission }, "check-run action refused: no write permission");
    return ignored("sender lacks permission", "refused");
  }
  if (approving) {
    const request = await approval.store.waitingAtHead(row!.repo_id, row!.head_sha);
    const repoRow = request && (await deps.pipelines.repo(request.repo_id));
    if (!request || !repoRow) return ignored("nothing waits for approval at this head");
    const res = await approveHead(deps, github, {
      installationId: p.installationId,
      repo: repoRow,
      prNumber: request.pr_number,
      headSha: request.head_sha,
      approver: user,
    });
    log.info({ user, pr: request.pr_number, outcome: res.outcome }, res.reply);
    return res.outcome === "approved" ? handled : ignored(res.reply);
  }
  if (p.action === "cancel") {
    await requestCancel(
      deps,
      { jobIds: [row!.job_id!], reason: `Cancelled by @${user}`, actor: user, source: "button" },
      { repoId: row!.repo_id, priority: 60 },
    );
    return handled;
  }
  return (await rerunJob(deps, row!.job_id!, user)) ? handled : ignored("job is still running");
}
