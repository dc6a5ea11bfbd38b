import type { PackitCommand } from "./commands/parse.js";

/**
 * The app's tasks, by name → payload. Long tasks (backend submissions, polls) and
 * short tasks (check reporting, cancellation) go to separate queues so that short
 * ones never wait behind long ones.
 */
export type AppTasks = {
  /** Submit a job to its backend (looks for an earlier submission first). */
  "submit-job": { jobId: number };
  /** Ask the backend for a submitted job's state; re-enqueues itself with backoff until final. */
  "poll-job": { jobId: number; intervalMs?: number; unreadableSince?: number };
  /** Cancel jobs and report the result (to a PR comment, when `reply` is given). */
  "cancel-jobs": {
    jobIds: number[];
    reason: string;
    actor: string;
    source: "supersede" | "closed" | "comment" | "button" | "cli";
    reply?: { installationId: number; owner: string; repo: string; issueNumber: number };
  };
  /** Run the `/packit` commands of a PR comment: react, check permission, reply, cancel. */
  "run-commands": {
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

export const QUEUE_OF: Record<TaskName, string> = {
  "submit-job": LONG_QUEUE,
  "poll-job": LONG_QUEUE,
  "cancel-jobs": SHORT_QUEUE,
  "run-commands": SHORT_QUEUE,
  "flush-checks": SHORT_QUEUE,
  "maintenance-sweep": LONG_QUEUE,
};
