import type { AppDeps } from "../deps.js";
import type { GitHub } from "../github/octokit.js";
import { DEFAULT_RELEASES } from "../packit-config/aliases.js";
import { ConfigCache, resolveConfig } from "../packit-config/cache.js";
import { startJobs } from "../pipeline/lifecycle.js";
import { forkCloneUrl } from "../pipeline/events.js";
import { planJobs } from "../pipeline/plan.js";
import { planInputs } from "../pipeline/plan-inputs.js";
import type { AppTasks } from "../tasks.js";
import { inlineCode } from "../util/markdown.js";
import type { RunCommand } from "./parse.js";
import { chooseJobsToRun, type LatestRun } from "./run-plan.js";

/**
 * `/packit build`, `/packit test`, … on a pull request: read the config at the PR's
 * current head (one request for the PR, one for the config), choose the jobs, and
 * start them in a new pipeline of that head — manual jobs included. Returns the
 * reply for the comment and whether any job started.
 */
export async function runJobsCommand(
  deps: AppDeps,
  github: GitHub,
  p: AppTasks["run-commands"],
  cmd: RunCommand,
): Promise<{ reply: string; outcome: "started" | "nothing" }> {
  const { owner, repo: name, issueNumber } = p;
  const pr = (await github.rest.pulls.get({ owner, repo: name, pull_number: issueNumber })).data;
  const nothing = (reply: string) => ({ reply, outcome: "nothing" as const });
  if (pr.state !== "open") return nothing(`Pull request #${issueNumber} is closed: nothing was started.`);
  const head = pr.head.sha;
  const repo = await deps.pipelines.ensureRepo({
    id: p.repoId,
    installationId: p.installationId,
    owner,
    name,
    nodeId: pr.base.repo.node_id,
    defaultBranch: pr.base.repo.default_branch,
    cloneUrl: pr.base.repo.clone_url,
    private: pr.base.repo.private,
  });

  const config = await resolveConfig(
    new ConfigCache(deps.db, deps.now),
    () => Promise.resolve(github),
    { repoId: repo.id, owner, repo: name, ref: `pr/${issueNumber}`, sha: head, touched: "unknown" },
    { now: deps.now(), ttlMs: deps.settings.configCache.ttlHours * 3_600_000 },
  );
  if (config.kind === "unknown")
    return nothing(`Could not read the Packit config at ${head.slice(0, 7)} (${config.error.slice(0, 200)}); please try again.`);
  if (config.kind === "absent") return nothing(`There is no Packit config at ${head.slice(0, 7)}: nothing to run.`);
  if (config.kind === "invalid")
    return nothing(
      `The Packit config at ${head.slice(0, 7)} is invalid, so nothing was started:\n\n> ${config.error.message.slice(0, 500)}`,
    );

  const plan = planJobs(
    config.config,
    { trigger: "pull_request", branch: pr.base.ref, defaultBranch: pr.base.repo.default_branch, labels: pr.labels.map((l) => l.name) },
    deps.settings.releases ?? DEFAULT_RELEASES,
    await planInputs(deps, config.config),
  );
  const latest = new Map<string, LatestRun>();
  for (const job of await deps.pipelines.jobsOfPrHead(repo.id, issueNumber, head)) latest.set(job.key, { id: job.id, state: job.state });
  const selection = chooseJobsToRun(cmd, plan.jobs, latest);
  if (selection.nothing) return nothing(selection.nothing);

  const lines: string[] = [];
  if (selection.jobs.length > 0) {
    // Stored and started together: jobs without their checks and submissions would never run.
    const jobs = await deps.db.tx(async () => {
      const created = await deps.pipelines.createPipeline(
        {
          repoId: repo.id,
          installationId: p.installationId,
          trigger: "pull_request",
          prNumber: issueNumber,
          branch: pr.base.ref,
          headSha: head,
          sourceCloneUrl: forkCloneUrl(pr, p.repoId),
          deliveryId: `comment ${p.commentId} by @${p.user}`,
        },
        selection.jobs,
      );
      await startJobs(deps, { pipeline: created.pipeline, repo }, created.jobs);
      return created.jobs;
    });
    lines.push(
      `Started ${jobs.length} job${jobs.length === 1 ? "" : "s"} at ${head.slice(0, 7)}: ${jobs.map((j) => inlineCode(j.key, 200)).join(", ")}.`,
    );
  }
  if (selection.notStarted.length > 0) {
    lines.push(`Not started: ${selection.notStarted.map((n) => `${inlineCode(n.key, 200)} (${n.reason})`).join(", ")}.`);
  }
  return { reply: lines.join("\n\n"), outcome: selection.jobs.length > 0 ? "started" : "nothing" };
}
