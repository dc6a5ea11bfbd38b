/**
 * The task queue's vocabulary. The queue knows nothing about Packit: a task is a
 * name, a JSON payload and scheduling data. Payloads are typed by task name through
 * a map (`TaskMap`) chosen by the user of the queue.
 */

export type TaskStatus = "todo" | "doing" | "succeeded" | "failed" | "cancelled" | "aborted";

/** Task name → payload type. */
export type TaskMap = Record<string, object>;

/** One row of the `tasks` table. */
export interface Task<P = unknown> {
  id: number;
  /** Workers claim only from the queues they serve (e.g. "short" vs "long"). */
  queue: string;
  name: string;
  payload: P;
  /** Higher runs first. */
  priority: number;
  /** Tasks with different keys are served round-robin (one project cannot starve others). */
  fairnessKey: string;
  /** At most one `todo` task exists per lock key. */
  lockKey: string | null;
  status: TaskStatus;
  /** Attempts started so far (a claim counts one). */
  attempts: number;
  maxAttempts: number;
  /** Not claimed before this epoch ms. */
  scheduledAt: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  workerId: string | null;
  /** A `doing` task whose lease passed belongs to a dead worker and is re-claimed. */
  leaseUntil: number | null;
  abortRequested: boolean;
  lastError: string | null;
}

export interface EnqueueOptions {
  queue?: string;
  priority?: number;
  fairnessKey?: string;
  lockKey?: string;
  /** Epoch ms; default now. */
  runAt?: number;
  maxAttempts?: number;
}

export type CancelResult =
  | { ok: true; status: "cancelled" | "deleted" | "abort_requested" }
  | { ok: false; reason: "unknown_task" | "already_finished" | "running"; status?: TaskStatus };

/** What a running task gets besides its payload. */
export interface TaskContext {
  taskId: number;
  /** 1 for the first run. */
  attempt: number;
  maxAttempts: number;
  /** Fires when an abort is requested (in-process at once, cross-process within the poll interval) or at shutdown. */
  signal: AbortSignal;
  shouldAbort(): boolean;
}

type TaskHandler<P> = (payload: P, ctx: TaskContext) => Promise<void>;

export type TaskHandlers<M extends TaskMap> = { [K in keyof M & string]: TaskHandler<M[K]> };
