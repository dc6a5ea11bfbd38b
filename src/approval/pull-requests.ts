import { recordCheck } from "../checks/index.js";
import type { AppDeps } from "../deps.js";
import type { GitHub } from "../github/octokit.js";
import { DEFAULT_RELEASES } from "../packit-config/aliases.js";
import { ConfigCache, resolveConfig } from "../packit-config/cache.js";
import type { TriggerEvent } from "../pipeline/events.js";
import { forkCloneUrl } from "../pipeline/events.js";
import { startJobs } from "../pipeline/lifecycle.js";
import { planInputs } from "../pipeline/plan-inputs.js";
import { planJobs } from "../pipeline/plan.js";
import type { JobRow, NewJob, PipelineRow, RepoRow } from "../pipeline/store.js";
import { APPROVAL_CHECK_NAME, approvalNeededCheck, approvedCheck } from "./checks.js";

/** A pull request head whose author lacks write permission and that no maintainer approved yet. */
export interface HeldHead {
  author: string;
  /** The base branch, whose config the plan comes from. */
  branch: string;
  /** Everything waits: the base branch has no usable config, so the plan came from the untrusted head's. */
  all: boolean;
}

/** Whether a trigger's jobs wait for approval: a pull request by an author without write permission, at a head not approved. */
export async function untrustedHead(deps: AppDeps, ev: TriggerEvent, repo: RepoRow): Promise<HeldHead | undefined> {
  if (ev.trigger !== "pull_request" || ev.prNumber === undefined || !ev.author) return undefined;
  const approval = deps.approval;
  const github = await deps.github(ev.installationId);
  if (await approval.authorTrusted(github, { repo: { owner: repo.owner, name: repo.name }, author: ev.author })) return undefined;
  if ((await approval.store.pr(repo.id, ev.prNumber, ev.headSha))?.approved_by) return undefined;
  return { author: ev.author, branch: ev.branch ?? repo.default_branch ?? "main", all: false };
}

/** The "Approval needed" check run and the request it stands for (in the trigger's transaction). */
export async function requestApproval(
  deps: AppDeps,
  at: { pipeline: PipelineRow; repo: RepoRow },
  hold: HeldHead,
  jobs: { held: readonly { key: string }[]; started: readonly JobRow[] },
): Promise<void> {
  const { pipeline, repo } = at;
  const approval = deps.approval;
  await recordCheck(
    deps,
    at,
    APPROVAL_CHECK_NAME,
    approvalNeededCheck({
      author: hold.author,
      held: jobs.held.map((j) => j.key),
      started: jobs.started.map((j) => j.key),
      planned: { from: hold.all ? "none" : "base", branch: hold.branch },
    }),
  );
  await approval.store.requestPr({
    repoId: repo.id,
    prNumber: pipeline.pr_number!,
    headSha: pipeline.head_sha,
    author: hold.author,
    pipelineId: pipeline.id,
  });
  await approval.audit.add({
    actor: "packit-probot",
    action: "approval.pr.requested",
    subject: `${repo.owner}/${repo.name}#${pipeline.pr_number}@${pipeline.head_sha.slice(0, 7)}`,
    detail: { author: hold.author, held: jobs.held.map((j) => j.key), plannedFrom: hold.all ? "nothing (no base config)" : hold.branch },
    repoId: repo.id,
  });
}

/**
 * A maintainer approves a pull request's head (the *Approve* button or `/packit
 * approve`; the caller checked their permission): the head must still be the pull
 * request's, the jobs are planned from its own config and those that did not run yet
 * start. Returns what to tell the approver.
 */
export async function approveHead(
  deps: AppDeps,
  github: GitHub,
  a: { installationId: number; repo: RepoRow; prNumber: number; headSha?: string; approver: string },
): Promise<{ reply: string; outcome: "approved" | "nothing" }> {
  const { repo, prNumber, approver } = a;
  const nothing = (reply: string) => ({ reply, outcome: "nothing" as const });
  const pr = (await github.rest.pulls.get({ owner: repo.owner, repo: repo.name, pull_number: prNumber })).data;
  const head = a.headSha ?? pr.head.sha;
  if (pr.state !== "open") return nothing(`Pull request #${prNumber} is closed: nothing to approve.`);
  if (pr.head.sha !== head)
    return nothing(`${head.slice(0, 7)} is no longer the head of #${prNumber}: approve its new head ${pr.head.sha.slice(0, 7)}.`);
  const approval = deps.approval;
  const request = await approval.store.pr(repo.id, prNumber, head);
  if (!request) return nothing(`Nothing at ${head.slice(0, 7)} waits for approval.`);
  if (request.approved_by) return nothing(`${head.slice(0, 7)} was approved already by @${request.approved_by}.`);

  const config = await resolveConfig(
    new ConfigCache(deps.db, deps.now),
    () => Promise.resolve(github),
    { repoId: repo.id, owner: repo.owner, repo: repo.name, ref: `pr/${prNumber}`, sha: head, touched: "unknown" },
    { now: deps.now(), ttlMs: deps.settings.configCache.ttlHours * 3_600_000 },
  );
  if (config.kind === "unknown") throw new Error(`could not read the Packit config at ${head.slice(0, 7)}: ${config.error}`);
  const plan =
    config.kind === "present"
      ? planJobs(
          config.config,
          {
            trigger: "pull_request",
            branch: pr.base.ref,
            defaultBranch: pr.base.repo.default_branch,
            labels: pr.labels.map((l) => l.name),
          },
          deps.settings.releases ?? DEFAULT_RELEASES,
          await planInputs(deps, config.config),
        ).jobs
      : [];
  const existing = new Map((await deps.pipelines.jobsOfPrHead(repo.id, prNumber, head)).map((j) => [j.key, j]));
  const toStart: NewJob[] = plan
    .filter((j) => !j.manualTrigger && !existing.has(j.key))
    .map(({ after, ...j }) => {
      const dep = after === undefined ? undefined : existing.get(after);
      return { ...j, ...(dep ? { dependsOnJobId: dep.id } : after !== undefined ? { after } : {}) };
    });

  const started = await deps.db.tx(async () => {
    // Two maintainers at once: one approval counts, the other is told.
    if (!(await approval.store.approvePr(repo.id, prNumber, head, approver))) return undefined;
    const created = await deps.pipelines.createPipeline(
      {
        repoId: repo.id,
        installationId: a.installationId,
        trigger: "pull_request",
        prNumber,
        branch: pr.base.ref,
        headSha: head,
        sourceCloneUrl: forkCloneUrl(pr, repo.id),
        deliveryId: `approval by @${approver}`,
      },
      toStart,
    );
    await startJobs(deps, { pipeline: created.pipeline, repo }, created.jobs);
    const asked = await deps.pipelines.pipeline(request.pipeline_id);
    if (asked) await recordCheck(deps, { pipeline: asked, repo }, APPROVAL_CHECK_NAME, approvedCheck(approver, created.jobs.length));
    await approval.audit.add({
      actor: approver,
      action: "approval.pr.approved",
      subject: `${repo.owner}/${repo.name}#${prNumber}@${head.slice(0, 7)}`,
      detail: { author: request.author, started: created.jobs.map((j) => j.key) },
      repoId: repo.id,
    });
    return created.jobs;
  });
  if (!started) return nothing(`${head.slice(0, 7)} was approved already.`);
  const why = config.kind === "present" ? "" : ` (the Packit config at ${head.slice(0, 7)} is ${config.kind})`;
  return {
    reply: `Approved ${head.slice(0, 7)} of #${prNumber}: ${started.length} job${started.length === 1 ? "" : "s"} started${why}.`,
    outcome: "approved",
  };
}
