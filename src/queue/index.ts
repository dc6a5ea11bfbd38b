export { TaskStore, type TaskOutcome, type EnqueueItem } from "./store.js";
export { Worker, type WorkerOptions, type WorkerLog, type TaskEndHook } from "./worker.js";
export { exponentialBackoff, type RetryPolicy } from "./retry.js";
export { AlreadyEnqueued, PermanentTaskError } from "./errors.js";
export * from "./types.js";
