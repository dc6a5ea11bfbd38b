import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { toError } from "../errors.js";
import { postedMarkers, replyMarker, replyOnce } from "../github/comments.js";
import { decideActor, isBot, type ActorVerdict } from "../approval/decide.js";
import { approveHead } from "../approval/pull-requests.js";
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
    // Bots never command (this App's own replies quote commands): by type, or by a login ending in [bot].
    if (isBot(p.sender) || isBot(p.comment.user)) return ignored("comment by a bot");
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
  const approval = deps.approval;
  const flood = approval.throttle(user, p.repoId, issueNumber);
  if (!flood.allowed) {
    for (const cmd of p.commands) count(cmd, "throttled");
    if (flood.reply)
      await reply(
        "throttled",
        `@${user}, that is more commands on this pull request than I take in ${Math.round(deps.settings.approval.commandWindowMs / 60_000)} minutes; I will not answer the next ones for a while. Please wait a little before the next command.`,
      );
    return;
  }
  const installation = await approval.installationState(p.installationId);
  if (installation.state !== "approved") {
    for (const cmd of p.commands) count(cmd, "refused");
    await reply("refused", `This installation of packit-probot is waiting for its operator's approval: commands run once it is approved.`);
    return;
  }
  const permission = await approval.permissions.of(github, { owner, repo, user });
  const isPrAuthor = p.prAuthor !== undefined && p.prAuthor.toLowerCase() === user.toLowerCase();
  // Only a run command by an author without write permission needs it: whether a maintainer approved the current head.
  const headApproved = async () => {
    const pr = (await github.rest.pulls.get({ owner, repo, pull_number: issueNumber })).data;
    return Boolean((await approval.store.pr(p.repoId, issueNumber, pr.head.sha))?.approved_by);
  };
  const verdict = async (cmd: PackitCommand) => {
    const action = cmd.verb === "unknown" ? "command:help" : (`command:${cmd.verb}` as const);
    const facts = { login: user, permission, isPrAuthor, headApproved: false };
    const first = decideActor(facts, action);
    return !first.allowed && first.why === "needs-approval" && (await headApproved())
      ? decideActor({ ...facts, headApproved: true }, action)
      : first;
  };
  for (const [i, cmd] of p.commands.entries()) {
    if (answered(i)) continue;
    const v = await verdict(cmd);
    if (!v.allowed) {
      count(cmd, "refused");
      await reply(i, refusal(v.why, cmd, user, `${owner}/${repo}`));
      continue;
    }
    if (cmd.verb === "approve") {
      const row = await deps.pipelines.repo(p.repoId);
      const answer = row
        ? await approveHead(deps, github, { installationId: p.installationId, repo: row, prNumber: issueNumber, approver: user })
        : { reply: "Nothing of this pull request waits for approval.", outcome: "nothing" };
      count(cmd, answer.outcome);
      await reply(i, answer.reply);
      continue;
    }
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

/** The reply to a refused command (pure). */
function refusal(why: Exclude<ActorVerdict, { allowed: true }>["why"], cmd: PackitCommand, user: string, repo: string): string {
  if (why === "needs-approval")
    return `Sorry @${user}, this commit needs a maintainer's approval before its jobs run (a user with write access to ${repo} comments \`/packit approve\`).`;
  if (cmd.verb === "approve") return `Sorry @${user}, only people with write access to ${repo} can approve a pull request's jobs.`;
  return `Sorry @${user}, only the pull request's author and people with write access to ${repo} can run packit-probot commands.`;
}
