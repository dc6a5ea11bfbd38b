import type { EnqueueOptions, TaskStore } from "./queue/index.js";
import type { PackitCommand } from "./commands/parse.js";
import type { TriggerEvent } from "./pipeline/events.js";
import type { DeliveryRef } from "./webhooks/deliveries.js";
import type { InstallationChange } from "./webhooks/payloads.js";

/**
 * The app's tasks, by name → payload. Long tasks (backend submissions, polls) and
 * short tasks (check reporting, cancellation) go to separate queues so that short
 * ones never wait behind long ones.
 */
export type AppTasks = {
  /** A push, pull request or release delivery: config lookup, planning, supersede (`pipeline/index.ts`). */
  "process-trigger": { delivery: DeliveryRef; event: TriggerEvent };
  /** A pull request was closed or merged: cancel its unfinished jobs. */
  "close-pull-request": { delivery: DeliveryRef; repoId: number; prNumber: number; merged: boolean; actor: string };
  /** The *Cancel* / *Re-run* / *Approve* button of a check run (or GitHub's own re-run). */
  "check-run-action": {
    delivery: DeliveryRef;
    installationId: number;
    owner: string;
    repo: string;
    checkRunId: number;
    action: "cancel" | "rerun" | "approve";
    user: string;
  };
  /** An installation or its repositories changed (`installation*` events). */
  "sync-installation": { delivery: DeliveryRef; change: InstallationChange };
  /** Submit a job to its backend (looks for an earlier submission first). */
  "submit-job": { jobId: number };
  /** Find what a cut-short submission of a finished job made (by its token), adopt and cancel it (`pipeline/runner.ts`). */
  "reconcile-job": { jobId: number };
  /** Ask the backend for a submitted job's state; re-enqueues itself with backoff until final. */
  "poll-job": { jobId: number; intervalMs?: number; unreadableSince?: number };
  /** Cancel jobs and report the result (to a PR comment, when `reply` is given). */
  "cancel-jobs": {
    jobIds: number[];
    reason: string;
    actor: string;
    source: "supersede" | "closed" | "comment" | "button" | "cli";
    /** Where the report goes; `marker`: the command's reply marker, so a retried cancel finds its earlier report. */
    reply?: { installationId: number; owner: string; repo: string; issueNumber: number; marker?: string };
  };
  /** Run the `/packit` commands of a PR comment: react, check permission, reply, cancel. */
  "run-commands": {
    delivery: DeliveryRef;
    installationId: number;
    owner: string;
    repo: string;
    repoId: number;
    issueNumber: number;
    commentId: number;
    user: string;
    prAuthor?: string;
    commands: PackitCommand[];
    truncated: boolean;
  };
  /** Send pending check-run states of one installation to GitHub. */
  "flush-checks": { installationId: number };
  /** Report, suspend or uninstall installations that never configured the app. */
  "maintenance-sweep": { dryRun?: boolean };
};

export type TaskName = keyof AppTasks;

export const SHORT_QUEUE = "short";
export const LONG_QUEUE = "long";
/** What webhook deliveries imply (config lookups, planning, commands): never behind backend calls. */
export const DELIVERY_QUEUE = "deliveries";

const QUEUE_OF: Record<TaskName, string> = {
  "process-trigger": DELIVERY_QUEUE,
  "close-pull-request": DELIVERY_QUEUE,
  "check-run-action": DELIVERY_QUEUE,
  "sync-installation": DELIVERY_QUEUE,
  "submit-job": LONG_QUEUE,
  "poll-job": LONG_QUEUE,
  "reconcile-job": LONG_QUEUE,
  "cancel-jobs": SHORT_QUEUE,
  "run-commands": DELIVERY_QUEUE,
  "flush-checks": SHORT_QUEUE,
  "maintenance-sweep": LONG_QUEUE,
};

/**
 * Queue a task on its queue (`QUEUE_OF`): the one way the app enqueues. Null when a
 * task with the same `lockKey` is already waiting (it does what this one would).
 */
export function enqueueTask<N extends TaskName>(
  deps: { tasks: TaskStore<AppTasks> },
  name: N,
  payload: AppTasks[N],
  opts: Omit<EnqueueOptions, "queue"> = {},
): Promise<number | null> {
  return deps.tasks.enqueueUnlessLocked(name, payload, { ...opts, queue: QUEUE_OF[name] });
}
