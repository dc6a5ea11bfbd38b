import type { Probot } from "probot";
import { recordCheck } from "../checks/index.js";
import { CONFIG_CHECK_NAME, invalidConfigCheck } from "../checks/state.js";
import type { AppDeps } from "../deps.js";
import { ConfigCache, resolveConfig, type ResolvedConfig } from "../packit-config/cache.js";
import { DEFAULT_RELEASES } from "../packit-config/aliases.js";
import { isStaleHead, jobsToCancel, plannedSince, supersedeExempt, supersededPipelines } from "../cancel/supersede.js";
import { requestCancel } from "../cancel/request.js";
import type { AppTasks } from "../tasks.js";
import { DeliveryLog, type DeliveryRef } from "../webhooks/deliveries.js";
import { deliveryTask, handled, ignored, onDelivery, type DeliveryWork, type HandlerOutcome } from "../webhooks/index.js";
import { parsePayload, pullRequestPayload, pushPayload, releasePayload } from "../webhooks/payloads.js";
import { triggerFromPullRequest, triggerFromPush, triggerFromRelease, type TriggerEvent } from "./events.js";
import { moveJob, startJobs } from "./lifecycle.js";
import type { LinePipeline, RepoRow } from "./store.js";
import { planJobs, type PlanInputs } from "./plan.js";
import { planInputs } from "./plan-inputs.js";
import { pollJob, reconcileJob, submitJob } from "./runner.js";
import { holdUnapprovedInstallation } from "../approval/index.js";
import { requestApproval, untrustedHead, type HeldHead } from "../approval/pull-requests.js";
import { splitHeld } from "../approval/decide.js";

/** Runs Packit jobs for pushes, pull requests and releases, and registers the submit/poll tasks. */
export function setupPipeline(app: Probot, deps: AppDeps): void {
  const cache = new ConfigCache(deps.db, deps.now);
  onDelivery(app, deps, ["pull_request.opened", "pull_request.reopened", "pull_request.synchronize"], (context) =>
    triggerWork(triggerFromPullRequest(context.id, parsePayload(pullRequestPayload, context.payload))),
  );
  onDelivery(app, deps, "push", (context) => {
    const ev = triggerFromPush(context.id, parsePayload(pushPayload, context.payload));
    return ev ? triggerWork(ev) : ignored("tag push or branch deletion");
  });
  onDelivery(app, deps, "release.published", (context) => {
    const ev = triggerFromRelease(context.id, parsePayload(releasePayload, context.payload));
    return ev ? triggerWork(ev) : ignored("release without a tag");
  });
  onDelivery(app, deps, "pull_request.closed", (context) => {
    const p = parsePayload(pullRequestPayload, context.payload);
    const merged = (p.pull_request as { merged?: boolean }).merged === true;
    return {
      task: "close-pull-request",
      payload: { repoId: p.repository.id, prNumber: p.pull_request.number, merged, actor: p.sender?.login ?? "unknown" },
      fairnessKey: `repo:${p.repository.id}`,
      priority: TRIGGER_PRIORITY,
    };
  });
  deliveryTask(deps, "process-trigger", (p) => processTrigger(deps, cache, p.event, p.delivery));
  deliveryTask(deps, "close-pull-request", (p) => closePullRequest(deps, p));
  deps.taskHandlers["submit-job"] = (p, ctx) => submitJob(deps, p.jobId, ctx);
  deps.taskHandlers["poll-job"] = (p, ctx) => pollJob(deps, p, ctx);
  deps.taskHandlers["reconcile-job"] = (p, ctx) => reconcileJob(deps, p.jobId, ctx);
}

/** Deliveries are planned before backend work of the same rank is done: a new head's supersede is what saves backend time. */
const TRIGGER_PRIORITY = 50;

/**
 * The task a trigger delivery implies. Identical deliveries (same line, head and
 * `before`) arriving while the first one's task still waits share that task: one
 * config lookup, one pipeline.
 */
function triggerWork(ev: TriggerEvent): DeliveryWork {
  const line = ev.prNumber !== undefined ? `pr/${ev.prNumber}` : `${ev.trigger}/${ev.branch ?? ""}`;
  return {
    task: "process-trigger",
    payload: { event: ev },
    fairnessKey: `repo:${ev.repo.id}`,
    lockKey: `trigger:${ev.repo.id}:${line}:${ev.headSha}:${ev.beforeSha ?? ""}`,
    priority: TRIGGER_PRIORITY,
  };
}

/** A closed or merged pull request: cancel its unfinished jobs (the cancel itself is its own task). */
async function closePullRequest(deps: AppDeps, p: AppTasks["close-pull-request"]): Promise<HandlerOutcome> {
  const repo = await deps.pipelines.repo(p.repoId);
  const jobIds = repo ? (await deps.pipelines.unfinishedJobsOfPr(repo.id, p.prNumber)).map((j) => j.id) : [];
  if (jobIds.length === 0) return ignored("no unfinished jobs");
  await requestCancel(
    deps,
    { jobIds, reason: `Pull request ${p.merged ? "merged" : "closed"}`, actor: p.actor, source: "closed" },
    { repoId: p.repoId, priority: 50 },
  );
  return handled;
}

/**
 * One trigger event, in its task: find the config (cached absence costs nothing),
 * plan the jobs, store the pipeline, report queued checks, queue submissions, and
 * cancel what the new head supersedes.
 */
async function processTrigger(deps: AppDeps, cache: ConfigCache, ev: TriggerEvent, delivery: DeliveryRef): Promise<HandlerOutcome> {
  const { pipelines, metrics, settings } = deps;
  const repo = await pipelines.ensureRepo({ ...ev.repo, installationId: ev.installationId });

  const waiting = await holdUnapprovedInstallation(deps, ev, repo);
  if (waiting) return waiting;

  metrics.configCheckedEvents.inc();
  const lookup = async (ref: string, sha: string) => {
    const found = await resolveConfig(
      cache,
      () => deps.github(ev.installationId),
      { repoId: repo.id, owner: repo.owner, repo: repo.name, ref, sha, touched: ref === ev.configRef ? ev.touched : "unknown" },
      { now: deps.now(), ttlMs: settings.configCache.ttlHours * 3_600_000 },
    );
    metrics.configLookups.inc({ source: found.source, result: found.kind });
    // Never read a failed lookup as "no config": the task fails and is retried.
    if (found.kind === "unknown") throw new Error(`could not read the Packit config: ${found.error}`);
    return found;
  };
  const headConfig = await lookup(ev.configRef, ev.headSha);
  // Only a head with a config can start jobs: an unconfigured repository's events cost no permission lookup.
  const hold = headConfig.kind === "present" ? await untrustedHead(deps, ev, repo) : undefined;
  // An untrusted head's config is not trusted: the plan comes from the base branch's, or, without one, everything waits.
  const baseConfig = hold ? await lookup(hold.branch, hold.branch) : undefined;
  if (hold && baseConfig?.kind !== "present") hold.all = true;
  const config = baseConfig?.kind === "present" ? baseConfig : headConfig;
  const inputs = config.kind === "present" ? await planInputs(deps, config.config) : {};
  // All or nothing, with the delivery's outcome: a failed write (disk full) must not leave a
  // half-stored pipeline, and a retry after a crash must not store it a second time.
  const deliveries = new DeliveryLog(deps.db, deps.now);
  return deps.db.tx(async () => {
    if (typeof (await deliveries.outcomeHeld(delivery.id)) === "string") return ignored("processed already", "duplicate");
    const res = await storeTrigger(deps, ev, repo, config, inputs, delivery, hold);
    await deliveries.finish(delivery.id, res.outcome);
    return res;
  });
}

/** The local part of a trigger event: plan, store, report, queue, supersede. */
async function storeTrigger(
  deps: AppDeps,
  ev: TriggerEvent,
  repo: RepoRow,
  config: Exclude<ResolvedConfig, { kind: "unknown" }>,
  inputs: PlanInputs,
  delivery: DeliveryRef,
  hold: HeldHead | undefined,
): Promise<HandlerOutcome> {
  const { pipelines, metrics, settings } = deps;
  const line = { repoId: repo.id, trigger: ev.trigger, prNumber: ev.prNumber, branch: ev.branch };
  const head = { ...line, headSha: ev.headSha, beforeSha: ev.beforeSha, eventAt: ev.eventAt, defaultBranch: ev.repo.defaultBranch };
  const sameLine = await pipelines.previousHeads(line, ev.headSha, { exempt: supersedeExempt(head, settings.cancel) });
  const newer = isStaleHead(head, sameLine);
  const staleWhy = newer ? `head ${ev.headSha.slice(0, 7)} was already superseded by ${newer.head_sha.slice(0, 7)}` : "";
  if (newer && config.kind !== "present") return ignored(staleWhy);
  const twin = plannedSince(head, sameLine, delivery.receivedAt);
  if (twin) return ignored(`head ${ev.headSha.slice(0, 7)} was planned by an identical delivery (pipeline ${twin.id})`, "coalesced");
  if (config.kind === "absent") {
    metrics.noConfigEvents.inc();
    // A head without a config still supersedes the jobs of the head it replaces.
    if (sameLine.length > 0) await supersede(deps, head, sameLine, undefined);
    return ignored("no Packit config", "no_config");
  }

  const base = {
    repoId: repo.id,
    installationId: ev.installationId,
    trigger: ev.trigger,
    prNumber: ev.prNumber,
    branch: ev.branch,
    headSha: ev.headSha,
    beforeSha: ev.beforeSha,
    sourceCloneUrl: ev.sourceCloneUrl,
    deliveryId: ev.deliveryId,
    eventAt: ev.eventAt,
  };
  if (config.kind === "invalid") {
    const { pipeline } = await pipelines.createPipeline(base, []);
    await recordCheck(
      deps,
      { pipeline, repo },
      CONFIG_CHECK_NAME,
      invalidConfigCheck(config.error.message, { path: config.path, line: config.error.line, column: config.error.column }),
    );
    await supersede(deps, head, sameLine, pipeline.id);
    return ignored("invalid Packit config", "invalid_config");
  }

  // A release names only its tag; check runs and builds need the commit it points at.
  if (ev.trigger === "release" && config.commitSha) base.headSha = config.commitSha;
  const plan = planJobs(
    config.config,
    {
      trigger: ev.trigger,
      branch: ev.branch,
      defaultBranch: ev.repo.defaultBranch,
      labels: ev.labels,
      tag: ev.trigger === "release" ? ev.headSha : undefined,
    },
    settings.releases ?? DEFAULT_RELEASES,
    inputs,
  );
  // Manually triggered jobs wait for a command (`/packit build`, `/packit test`, …); no check run until then.
  const runnable = plan.jobs.filter((j) => !j.manualTrigger);
  const { held, free } = hold ? splitHeld(runnable, settings.approval.pullRequestJobs, hold.all) : { held: [], free: runnable };
  const { pipeline, jobs } = await pipelines.createPipeline(base, free);
  if (newer) {
    // A late delivery for an older head starts nothing; its checks say why.
    await pipelines.markSuperseded(pipeline.id, newer.id);
    const reason = `Superseded by ${newer.head_sha.slice(0, 7)}`;
    for (const job of jobs) await moveJob(deps, job.id, "cancelled", { cancelReason: reason, message: `${reason}. It had not started.` });
    return ignored(staleWhy, "superseded");
  }
  await startJobs(deps, { pipeline, repo }, jobs);
  if (hold && held.length > 0) await requestApproval(deps, { pipeline, repo }, hold, { held, started: jobs });
  // Tests without a build job: Packit reports their checks neutral, with why.
  for (const { checkName, neutralCheck: n } of plan.notRun) {
    if (n)
      await recordCheck(deps, { pipeline, repo }, checkName, {
        status: "completed",
        conclusion: "neutral",
        title: n.title,
        summary: n.summary,
        actions: [],
      });
  }
  await supersede(deps, head, sameLine, pipeline.id);
  return jobs.length > 0 || held.length > 0 || plan.notRun.some((n) => n.neutralCheck) ? handled : ignored("no jobs for this event");
}

/** Queue the cancellation of what the new head supersedes (the cancel itself runs in the worker). */
async function supersede(
  deps: AppDeps,
  head: Parameters<typeof supersededPipelines>[0] & { repoId: number },
  sameLine: readonly LinePipeline[],
  newPipelineId: number | undefined,
): Promise<void> {
  const old = supersededPipelines(
    head,
    sameLine.filter((p) => p.id !== newPipelineId),
    deps.settings.cancel,
  );
  const jobIds: number[] = [];
  for (const p of old) {
    if (newPipelineId !== undefined) await deps.pipelines.markSuperseded(p.id, newPipelineId);
    jobIds.push(...jobsToCancel(await deps.pipelines.jobsOfPipeline(p.id)).map((j) => j.id));
  }
  if (old.length > 0) deps.metrics.supersededPipelines.inc(old.length);
  if (jobIds.length === 0) return;
  await requestCancel(
    deps,
    { jobIds, reason: `Superseded by ${head.headSha.slice(0, 7)}`, actor: "packit-probot", source: "supersede" },
    { repoId: head.repoId, priority: 50 },
  );
}
