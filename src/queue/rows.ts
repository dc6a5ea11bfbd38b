import type { Task, TaskStatus } from "./types.js";

/** One row of `tasks` as the driver returns it (times epoch ms, flags 0/1). */
export interface TaskRow {
  id: number;
  queue: string;
  name: string;
  payload: string;
  priority: number;
  fairness_key: string;
  lock_key: string | null;
  status: TaskStatus;
  attempts: number;
  max_attempts: number;
  scheduled_at: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  worker_id: string | null;
  lease_until: number | null;
  abort_requested: number;
  last_error: string | null;
}

export function toTask<P>(r: TaskRow): Task<P> {
  return {
    id: r.id,
    queue: r.queue,
    name: r.name,
    payload: JSON.parse(r.payload) as P,
    priority: r.priority,
    fairnessKey: r.fairness_key,
    lockKey: r.lock_key,
    status: r.status,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    scheduledAt: r.scheduled_at,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    workerId: r.worker_id,
    leaseUntil: r.lease_until,
    abortRequested: r.abort_requested === 1,
    lastError: r.last_error,
  };
}

/** The columns a `TaskRow` has, for SELECT and RETURNING lists. */
export const COLUMNS =
  "id, queue, name, payload, priority, fairness_key, lock_key, status, attempts, max_attempts, scheduled_at, created_at, started_at, finished_at, worker_id, lease_until, abort_requested, last_error";
