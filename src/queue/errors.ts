import { AppError } from "../errors.js";

/** A `todo` task with the same lock key already exists. */
export class AlreadyEnqueued extends AppError {
  readonly lockKey: string;
  constructor(lockKey: string) {
    super(`a task with lock key ${lockKey} is already queued`);
    this.lockKey = lockKey;
  }
}

/** Thrown by a task to say that trying again cannot help (bad input, permanent backend refusal). */
export class PermanentTaskError extends AppError {}
