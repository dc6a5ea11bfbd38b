import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { toError } from "../errors.js";
import { postedMarkers, replyMarker, replyOnce } from "../github/comments.js";
import { mayControlJobs } from "../github/permissions.js";
import type { TaskContext } from "../queue/index.js";
import { requestCancel } from "../cancel/request.js";
import type { AppTasks } from "../tasks.js";
import { deliveryTask, handled, ignored, onDelivery } from "../webhooks/index.js";
import { issueCommentPayload, parsePayload } from "../webhooks/payloads.js";
import { inlineCode } from "../util/markdown.js";
import { commandName, HELP_TEXT, MAX_COMMANDS, parseCommands, selectJobs, type PackitCommand } from "./parse.js";
import { runJobsCommand } from "./run.js";

/**
 * `/packit cancel …`, `/packit build|test|…` and `/packit help` in pull request comments. The webhook
 * handler only parses; the "run-commands" task reacts, checks permission and
 * replies, so a burst of comments never holds up webhook answers (GitHub spaces an
 * installation's comment writes seconds apart).
 */
export function setupCommands(app: Probot, deps: AppDeps): void {
  onDelivery(app, deps, "issue_comment.created", (context) => {
    const p = parsePayload(issueCommentPayload, context.payload);
    if (!p.issue.pull_request) return ignored("comment on an issue, not a pull request");
    if (p.sender.type === "Bot") return ignored("comment by a bot");
    const { commands, truncated } = parseCommands(p.comment.body);
    if (commands.length === 0) return ignored("no /packit command");
    return {
      task: "run-commands",
      payload: {
        installationId: p.installation.id,
        owner: p.repository.owner.login,
        repo: p.repository.name,
        repoId: p.repository.id,
        issueNumber: p.issue.number,
        commentId: p.comment.id,
        user: p.comment.user.login,
        prAuthor: p.issue.user?.login,
        commands,
        truncated,
      },
      // Retried like any task (a crash, GitHub down): a retry finds the replies it already posted (`runCommands`).
      fairnessKey: `repo:${p.repository.id}`,
      priority: 60,
    };
  });
  deliveryTask(deps, "run-commands", async (p, _log, ctx) => {
    await runCommands(deps, p, ctx);
    return handled;
  });
}

/**
 * Every command gets exactly one reply, also across a crash and a retry: each reply
 * carries a hidden marker (comment id and command index); a retry lists the markers
 * already posted once and skips the commands they answer — a cancel's answer is its
 * report, posted by the cancel task with the command's marker.
 */
async function runCommands(deps: AppDeps, p: AppTasks["run-commands"], ctx: TaskContext): Promise<void> {
  const { owner, repo, issueNumber, user } = p;
  const github = await deps.github(p.installationId);
  const to = { owner, repo, issueNumber };
  const posted = ctx.attempt > 1 ? await postedMarkers(github, to) : undefined;
  const answered = (part: number | string) => posted?.has(replyMarker(p.commentId, part)) === true;
  const reply = (part: number | string, body: string) => replyOnce(github, to, replyMarker(p.commentId, part), body, posted);
  // The 👀 is a courtesy: a failure to add it must not stop the command.
  await github.rest.reactions
    .createForIssueComment({ owner, repo, comment_id: p.commentId, content: "eyes" })
    .catch((err: Error) => deps.log.warn({ err: err.message, repo: `${owner}/${repo}` }, "could not react to the comment"));

  const count = (cmd: PackitCommand, outcome: string) => deps.metrics.commands.inc({ command: commandName(cmd), outcome });
  if (!(await mayControlJobs(github, { owner, repo, user, prAuthor: p.prAuthor }))) {
    for (const cmd of p.commands) count(cmd, "refused");
    await reply(
      "refused",
      `Sorry @${user}, only the pull request's author and people with write access to ${owner}/${repo} can run packit-probot commands.`,
    );
    return;
  }
  for (const [i, cmd] of p.commands.entries()) {
    if (answered(i)) continue;
    if (cmd.verb === "run") {
      // A failure (GitHub unreachable, the PR gone) is answered, not dropped.
      const answer = await runJobsCommand(deps, github, p, cmd).catch((err: unknown) => {
        deps.log.warn({ err: toError(err).message, repo: `${owner}/${repo}`, pr: issueNumber }, "run command failed");
        return { reply: `Nothing was started: ${toError(err).message.slice(0, 300)}. Please try again.`, outcome: "failed" };
      });
      count(cmd, answer.outcome);
      await reply(i, answer.reply);
      continue;
    }
    if (cmd.verb !== "cancel") {
      count(cmd, "answered");
      await reply(i, cmd.verb === "unknown" ? `I did not understand ${inlineCode(cmd.text, 200)}.\n\n${HELP_TEXT}` : HELP_TEXT);
      continue;
    }
    // Only this PR's own jobs can be named: nothing of another repository or PR is reachable.
    const prJobs = (await deps.pipelines.repo(p.repoId)) ? await deps.pipelines.unfinishedJobsOfPr(p.repoId, issueNumber) : [];
    const { jobs, unknown } = selectJobs(cmd.args, prJobs);
    if (unknown.length > 0) {
      count(cmd, "answered");
      await reply(i, `I did not understand ${unknown.map((u) => inlineCode(u)).join(", ")}.\n\n${HELP_TEXT}`);
      continue;
    }
    // One cancel per command: a retry's twin joins the queued one (the cancel service claims each job once anyway).
    await requestCancel(
      deps,
      {
        jobIds: jobs.map((j) => j.id),
        reason: `Cancelled by @${user}`,
        actor: user,
        source: "comment",
        reply: { installationId: p.installationId, owner, repo, issueNumber, marker: replyMarker(p.commentId, i) },
      },
      { repoId: p.repoId, priority: 60, lockKey: `command-cancel:${p.commentId}:${i}` },
    );
    count(cmd, "queued");
  }
  if (p.truncated) await reply("truncated", `Only the first ${MAX_COMMANDS} commands of a comment are run.`);
}
