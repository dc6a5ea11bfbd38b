import { randomUUID } from "node:crypto";
import { RecurringFault } from "../db/faults.js";
import { toError } from "../errors.js";
import { PermanentTaskError } from "./errors.js";
import type { RetryPolicy } from "./retry.js";
import type { TaskOutcome, TaskStore } from "./store.js";
import type { Task, TaskContext, TaskHandlers, TaskMap } from "./types.js";

/** The part of pino's logger the worker uses. */
interface WorkerLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Called once per finished attempt (metrics); errors thrown here are logged and ignored. */
type TaskEndHook = (info: {
  task: Task;
  outcome: TaskOutcome["status"] | "released" | "retry";
  durationMs: number;
  waitedMs: number;
}) => void;

export interface WorkerOptions {
  /** Unique per worker; shows in `tasks.worker_id`. */
  id?: string;
  /** Queues this worker claims from, e.g. ["short"] for a slot reserved for quick tasks. */
  queues: readonly string[];
  concurrency: number;
  /** Fallback polling (other processes' tasks, scheduled retries, abort flags, dead workers), ms. */
  pollIntervalMs: number;
  /** A claimed task is re-claimable this long after the last heartbeat, ms. */
  leaseMs: number;
  retry: RetryPolicy;
  log: WorkerLog;
  onTaskEnd?: TaskEndHook;
  /** A claim or heartbeat that keeps failing (a full disk) is logged once per this many ms, with a count; default 60 s. */
  faultLogIntervalMs?: number;
  /** Awaited before each claim: lets more urgent work of the process (answering webhooks) go first. */
  beforeClaim?: () => Promise<void> | undefined;
}

interface Running {
  task: Task;
  controller: AbortController;
  done: Promise<void>;
}

const SHUTDOWN = Symbol("worker shutdown");
/** How often (in poll ticks) fairness keys pruned by another process are repaired. */
const KEY_REPAIR_EVERY_TICKS = 30;

/**
 * The worker loop: claims tasks up to `concurrency`, runs their handler, settles
 * each in one place. Woken in-process on enqueue and abort; polls as a fallback.
 */
export class Worker<M extends TaskMap> {
  readonly id: string;
  private readonly running = new Map<number, Running>();
  private timer: NodeJS.Timeout | undefined;
  /** Wakes the worker when a task scheduled a little ahead (a flush window, a retry) becomes due. */
  private dueTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** The running claim loop, if any. */
  private pumping: Promise<void> | undefined;
  private pumpAgain = false;
  private ticking: Promise<void> | undefined;
  private ticks = 0;
  private unserve: (() => void) | undefined;
  private lastTick: number | undefined;
  private readonly onEnqueued = (queue: string) => {
    if (queue === "*" || this.opts.queues.includes(queue)) this.pump();
  };
  private readonly onAbort = (id: number) => this.running.get(id)?.controller.abort(new Error("abort requested"));

  private readonly claimFault: RecurringFault;
  private readonly tickFault: RecurringFault;

  constructor(
    private readonly store: TaskStore<M>,
    private readonly handlers: Partial<TaskHandlers<M>>,
    private readonly opts: WorkerOptions,
  ) {
    this.id = opts.id ?? `worker-${process.pid}-${randomUUID().slice(0, 8)}`;
    const faults = { intervalMs: opts.faultLogIntervalMs, now: () => store.now() };
    this.claimFault = new RecurringFault(opts.log, "worker could not claim a task", faults);
    this.tickFault = new RecurringFault(opts.log, "worker heartbeat failed", faults);
  }

  start(): void {
    this.stopping = false;
    this.store.on("enqueued", this.onEnqueued);
    this.store.on("abort", this.onAbort);
    this.unserve = this.store.serveLocally({
      id: this.id,
      queues: this.opts.queues,
      free: () => this.opts.concurrency - this.running.size,
    });
    this.store
      .watchOtherProcesses()
      .catch((err: unknown) => this.opts.log.warn({ err: toError(err).message }, "cannot receive other processes' wake-ups; polling only"));
    this.timer = setInterval(() => void this.tick(), this.opts.pollIntervalMs);
    this.timer.unref();
    void this.tick();
  }

  /** When the loop last finished a round (lease recovery, heartbeats), epoch ms; undefined before the first or once stopped. */
  get lastTickAt(): number | undefined {
    return this.stopping ? undefined : this.lastTick;
  }

  /** How many tasks this worker runs now. */
  get busy(): number {
    return this.running.size;
  }

  /**
   * Stop claiming; give running tasks `graceMs` to finish, then abort them and give
   * them back to the queue (they are `todo` again, the attempt not counted).
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    clearTimeout(this.dueTimer);
    this.store.off("enqueued", this.onEnqueued);
    this.store.off("abort", this.onAbort);
    this.unserve?.();
    this.unserve = undefined;
    const all = () => Promise.allSettled([...this.running.values()].map((r) => r.done));
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([all(), new Promise((r) => (timeout = setTimeout(r, graceMs)))]);
    clearTimeout(timeout);
    for (const r of this.running.values()) r.controller.abort(SHUTDOWN);
    await all();
    // A pump or tick still running finishes its database work before the caller closes the database.
    await Promise.allSettled([this.pumping, this.ticking]);
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    const run = async () => {
      try {
        // Our own leases first: a recovery that fails (or is slow) must not let them expire
        // under us, or another process would run our tasks a second time.
        if (this.running.size > 0) {
          const aborted = await this.store.heartbeat(this.id, [...this.running.keys()], this.opts.leaseMs);
          for (const id of aborted) this.onAbort(id);
        }
        await this.store.recoverExpired();
        if (++this.ticks % KEY_REPAIR_EVERY_TICKS === 0) await this.store.repairKeys();
        this.tickFault.recovered();
      } catch (err) {
        if (!this.stopping) this.tickFault.report(err);
      }
      // A round that failed still shows the loop alive; readiness tells whether the database answers.
      this.lastTick = Date.now();
    };
    this.ticking = run().finally(() => (this.ticking = undefined));
    await this.ticking;
    this.pump();
  }

  /** Claim and start tasks until the slots are full or nothing is ready; a wake-up during a pump runs another. */
  private pump(): void {
    if (this.stopping) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = this.claimUntilFull().finally(() => {
      this.pumping = undefined;
      if (this.pumpAgain) {
        this.pumpAgain = false;
        this.pump();
      }
    });
  }

  private async claimUntilFull(): Promise<void> {
    try {
      while (!this.stopping && this.running.size < this.opts.concurrency) {
        await this.opts.beforeClaim?.();
        if (this.stopping) break;
        const task = await this.store.claim(this.id, this.opts.queues, this.opts.leaseMs);
        if (!task) {
          await this.wakeWhenDue();
          break;
        }
        if (this.stopping) {
          // Claimed while stopping: give it straight back.
          await this.store.release(task.id, this.id);
          break;
        }
        this.launch(task);
      }
      this.claimFault.recovered();
    } catch (err) {
      // A busy or full database or a bad row must not kill the loop; the next tick tries again.
      if (!this.stopping) this.claimFault.report(err);
    }
  }

  /** Nothing is ready: if a queued task becomes due before the next poll, wake up then. */
  private async wakeWhenDue(): Promise<void> {
    const due = await this.store.nextDueAt(this.opts.queues);
    if (due === null || this.stopping) return;
    const delay = due - this.store.now();
    if (delay >= this.opts.pollIntervalMs) return;
    clearTimeout(this.dueTimer);
    this.dueTimer = setTimeout(() => this.pump(), Math.max(0, delay) + 1);
    this.dueTimer.unref();
  }

  private launch(task: Task): void {
    const controller = new AbortController();
    const entry = { task, controller } as Running;
    this.running.set(task.id, entry);
    entry.done = this.execute(task, controller).finally(() => {
      this.running.delete(task.id);
      setImmediate(() => this.pump());
    });
  }

  private async execute(task: Task, controller: AbortController): Promise<void> {
    const started = Date.now();
    const ctx: TaskContext = {
      taskId: task.id,
      attempt: task.attempts,
      maxAttempts: task.maxAttempts,
      signal: controller.signal,
      shouldAbort: () => controller.signal.aborted,
    };
    let outcome: TaskOutcome | "released";
    const handler = this.handlers[task.name as keyof M & string];
    try {
      if (!handler) throw new PermanentTaskError(`no handler for task "${task.name}"`);
      await handler(task.payload as M[keyof M & string], ctx);
      outcome =
        controller.signal.aborted && controller.signal.reason !== SHUTDOWN
          ? { status: "aborted", error: "abort requested; the task stopped" }
          : { status: "succeeded" };
    } catch (thrown) {
      const err = toError(thrown);
      outcome = this.outcomeOfError(task, controller, err);
      if (outcome !== "released" && outcome.status === "failed") {
        this.opts.log.warn({ taskId: task.id, task: task.name, attempt: task.attempts, err }, "task failed");
      }
    }
    // We MUST settle the task: a `doing` row without a live worker waits for its lease to expire.
    try {
      if (outcome === "released") await this.store.release(task.id, this.id);
      else await this.store.finish(task.id, this.id, outcome);
    } catch (err) {
      this.opts.log.error({ err: toError(err), taskId: task.id }, "could not record the end of a task; its lease will expire");
    }
    const label = outcome === "released" ? "released" : outcome.status === "failed" && outcome.retryAt ? "retry" : outcome.status;
    try {
      this.opts.onTaskEnd?.({ task, outcome: label, durationMs: Date.now() - started, waitedMs: started - task.scheduledAt });
    } catch (err) {
      this.opts.log.error({ err: toError(err) }, "task end hook failed");
    }
  }

  private outcomeOfError(task: Task, controller: AbortController, err: Error): TaskOutcome | "released" {
    if (controller.signal.aborted) {
      if (controller.signal.reason === SHUTDOWN) return "released";
      // An aborted task is never retried.
      return { status: "aborted", error: err.message };
    }
    const retryable = !(err instanceof PermanentTaskError) && task.attempts < task.maxAttempts;
    if (!retryable) return { status: "failed", error: err.message };
    return { status: "failed", error: err.message, retryAt: this.store.now() + this.opts.retry.delayMs(task.attempts) };
  }
}
