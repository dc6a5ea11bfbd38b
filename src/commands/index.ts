import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { mayControlJobs } from "../github/permissions.js";
import { isFinal } from "../pipeline/job-state.js";
import { SHORT_QUEUE } from "../tasks.js";
import { handled, ignored, onDelivery } from "../webhooks/index.js";
import { issueCommentPayload, parsePayload } from "../webhooks/payloads.js";
import { HELP_TEXT, parseCommands, selectJobs } from "./parse.js";

/** `/packit cancel …` and `/packit help` in pull request comments. */
export function setupCommands(app: Probot, deps: AppDeps): void {
  onDelivery(app, deps, "issue_comment.created", async (context, log) => {
    const p = parsePayload(issueCommentPayload, context.payload);
    if (!p.issue.pull_request) return ignored("comment on an issue, not a pull request");
    if (p.sender.type === "Bot") return ignored("comment by a bot");
    const { commands, truncated } = parseCommands(p.comment.body);
    if (commands.length === 0) return ignored("no /packit command");

    const owner = p.repository.owner.login;
    const repo = p.repository.name;
    const issueNumber = p.issue.number;
    const github = await deps.github(p.installation.id);
    const reply = (body: string) => github.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
    // The 👀 is a courtesy: a failure to add it must not stop the command.
    await github.rest.reactions.createForIssueComment({ owner, repo, comment_id: p.comment.id, content: "eyes" }).catch((err: Error) => log.warn({ err: err.message }, "could not react to the comment"));

    const user = p.comment.user.login;
    if (!(await mayControlJobs(github, { owner, repo, user, prAuthor: p.issue.user?.login }))) {
      await reply(`Sorry @${user}, only the pull request's author and people with write access to ${owner}/${repo} can run packit-probot commands.`);
      return ignored("commenter lacks permission", "refused");
    }

    const known = deps.pipelines.repo(p.repository.id);
    // Only this PR's own jobs can be named: nothing of another repository or PR is reachable.
    const prJobs = known ? deps.pipelines.unfinishedJobsOfPr(known.id, issueNumber).filter((j) => !isFinal(j.state)) : [];
    for (const cmd of commands) {
      if (cmd.verb !== "cancel") {
        await reply(cmd.verb === "unknown" ? `I did not understand \`${cmd.text}\`.\n\n${HELP_TEXT}` : HELP_TEXT);
        continue;
      }
      const { jobs, unknown } = selectJobs(cmd.args, prJobs);
      if (unknown.length > 0) {
        await reply(`I did not understand ${unknown.map((u) => `\`${u.slice(0, 60)}\``).join(", ")}.\n\n${HELP_TEXT}`);
        continue;
      }
      deps.tasks.enqueue(
        "cancel-jobs",
        { jobIds: jobs.map((j) => j.id), reason: `Cancelled by @${user}`, actor: user, source: "comment", reply: { installationId: p.installation.id, owner, repo, issueNumber } },
        { queue: SHORT_QUEUE, priority: 60, fairnessKey: `repo:${p.repository.id}` },
      );
    }
    if (truncated) await reply("Only the first 5 commands of a comment are run.");
    return handled;
  });
}
