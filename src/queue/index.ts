export { TaskStore } from "./store.js";
export { Worker, type WorkerOptions } from "./worker.js";
export { exponentialBackoff } from "./retry.js";
export { AlreadyEnqueued, PermanentTaskError } from "./errors.js";
export * from "./types.js";
