export { TaskStore } from "./store.js";
export { Worker } from "./worker.js";
export { exponentialBackoff } from "./retry.js";
export { AlreadyEnqueued, PermanentTaskError } from "./errors.js";
export * from "./types.js";
