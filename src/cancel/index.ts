import type { Probot } from "probot";
import { AuditLog } from "../audit/index.js";
import type { AppDeps } from "../deps.js";
import { renderReport } from "./report.js";
import { cancelJobs } from "./service.js";
import { fitComment, postedMarkers, replyOnce } from "../github/comments.js";

/** Registers the "cancel-jobs" task: every entry point (supersede, comment, button, CLI) ends here. */
export function setupCancel(_app: Probot, deps: AppDeps): void {
  deps.taskHandlers["cancel-jobs"] = async (p, ctx) => {
    const report = await cancelJobs(deps, p.jobIds, { reason: p.reason, source: p.source, signal: ctx.signal });
    await new AuditLog(deps.db, deps.now).add({ actor: p.actor, action: `cancel.${p.source}`, detail: report, repoId: report.repoId });
    deps.log.info({ source: p.source, actor: p.actor, overall: report.overall, jobs: report.results.length }, `cancel: ${report.overall}`);
    if (p.reply) {
      const github = await deps.github(p.reply.installationId);
      const to = { owner: p.reply.owner, repo: p.reply.repo, issueNumber: p.reply.issueNumber };
      // A command's report: a cut-short earlier run of this task (or its twin) may have posted it already.
      if (p.reply.marker) await replyOnce(github, to, p.reply.marker, renderReport(report, p.actor), await postedMarkers(github, to));
      else
        await github.rest.issues.createComment({
          owner: to.owner,
          repo: to.repo,
          issue_number: to.issueNumber,
          body: fitComment(renderReport(report, p.actor)),
        });
    }
  };
}
