import type { Context, Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { PermanentCondition, toError } from "../errors.js";
import type { TaskContext } from "../queue/index.js";
import { enqueueTask, type AppTasks } from "../tasks.js";
import { DeliveryLog, type DeliveryRef } from "./deliveries.js";

/** A delivery that implies nothing (more), and why; `metric` is the events metric's outcome (default `ignored`). */
export type NoWork = { outcome: "ignored"; why: string; metric?: string };

/** What a delivery's task made of it. */
export type HandlerOutcome = { outcome: "handled" } | NoWork;

export const handled: HandlerOutcome = { outcome: "handled" };
export const ignored = (why: string, metric?: string): NoWork => ({ outcome: "ignored", why, metric });

/** Tasks that carry a delivery: the work a webhook delivery implies. */
export type DeliveryTaskName = { [K in keyof AppTasks]: AppTasks[K] extends { delivery: DeliveryRef } ? K : never }[keyof AppTasks];

/** The task a delivery implies, as its handler in the request path reduced it. */
export type DeliveryWork = {
  [K in DeliveryTaskName]: {
    task: K;
    payload: Omit<AppTasks[K], "delivery">;
    /** The queue's round-robin key, e.g. `repo:<id>`. */
    fairnessKey: string;
    /** Deliveries with the same lock key while one is still queued cost one task (identical heads). */
    lockKey?: string;
    priority?: number;
    maxAttempts?: number;
  };
}[DeliveryTaskName];

type EventName = Parameters<Probot["on"]>[0];

const registered = new WeakMap<Probot, Set<string>>();

/**
 * Register the request-path handler of webhook events. It may only validate and
 * reduce the payload (no database, GitHub or backend call): `intake` returns the
 * task the delivery implies, or why there is none. The delivery is then recorded
 * and its task queued in one transaction (on SQLite sharing its commit with the
 * deliveries that arrived with it, `GroupCommit`), and the answer is 2xx — a duplicate
 * delivery (already recorded) is answered 2xx and queues nothing. A malformed payload
 * (`MalformedPayload`, thrown by `parsePayload`) is answered 400 and not recorded:
 * every resend of it gets the same answer. The task does the rest (`deliveryTask`).
 */
export function onDelivery<E extends EventName>(
  app: Probot,
  deps: AppDeps,
  events: E | E[],
  intake: (context: Context<E extends string ? E : never>) => DeliveryWork | NoWork,
): void {
  const deliveries = new DeliveryLog(deps.db, deps.now);
  // Dedupe is per delivery id: a second handler for the same event would see every delivery as a duplicate.
  const claimed = (registered.get(app) ?? registered.set(app, new Set()).get(app))!;
  for (const e of Array.isArray(events) ? events : [events]) {
    if (claimed.has(String(e))) throw new Error(`two handlers registered for ${String(e)}; merge them into one`);
    claimed.add(String(e));
  }
  app.on(events as EventName, async (context: unknown) => {
    // What every delivery may carry; the intake validates the rest of its own event's payload.
    const c = context as {
      name: string;
      id: string;
      payload: { action?: unknown; installation?: { id?: number }; repository?: { full_name?: string } };
    };
    const action = typeof c.payload.action === "string" ? `.${c.payload.action}` : "";
    const event = `${c.name}${action}`;
    const where = { installation: c.payload.installation?.id, repo: c.payload.repository?.full_name };
    const work = intake(context as never);
    // Deliveries arriving together share a commit: their answers wait for it, never for each other's errors.
    const answer = await deps.deliveryCommits.run(async () => {
      const delivery = await deliveries.record(c.id, event, "outcome" in work ? "ignored" : null);
      if (!delivery) return "duplicate";
      if ("outcome" in work) return work;
      const { task, payload, ...opts } = work;
      const queued = await enqueueTask(
        deps,
        task,
        { ...payload, delivery: { ...delivery, ...where } },
        {
          ...opts,
        },
      );
      if (queued !== null) return "queued";
      // An identical delivery's task is still waiting: it does what this one would.
      await deliveries.finish(c.id, "ignored");
      return "coalesced";
    });
    if (answer === "queued") return;
    const log = deps.log.child({ delivery: c.id, event, ...where });
    if (typeof answer === "string") {
      deps.metrics.events.inc({ event, outcome: answer });
      log.debug(`delivery ${answer}`);
      return;
    }
    deps.metrics.events.inc({ event, outcome: answer.metric ?? "ignored" });
    log.debug({ why: answer.why }, "delivery ignored");
  });
}

/**
 * Register the task that does what a delivery implies, with what every such task
 * needs: a child logger with the delivery, installation and repository, the outcome
 * in the deliveries table and the events metric. A task whose delivery already has
 * an outcome (it ran to its end before a crash cut the task short) does nothing.
 * What a retry could not change is not an error: a `PermanentCondition` (a repository
 * the App cannot read, or that is gone) ends the delivery `ignored`, its reason logged
 * once. Other errors are retried by the queue; the last attempt's failure ends the
 * delivery `error`, and a redelivery of it is processed again.
 */
export function deliveryTask<K extends DeliveryTaskName>(
  deps: AppDeps,
  name: K,
  handler: (payload: AppTasks[K], log: AppDeps["log"], ctx: TaskContext) => Promise<HandlerOutcome>,
): void {
  const deliveries = new DeliveryLog(deps.db, deps.now);
  const run = async (p: AppTasks[K], ctx: TaskContext): Promise<void> => {
    const { id, event, installation, repo } = p.delivery;
    if (typeof (await deliveries.outcome(id)) === "string") return;
    const log = deps.log.child({ delivery: id, event, installation, repo });
    let res: HandlerOutcome;
    try {
      res = await handler(p, log, ctx);
    } catch (err) {
      if (err instanceof PermanentCondition) {
        // A retry or a redelivery would meet the same answer.
        await deliveries.finish(id, "ignored");
        deps.metrics.events.inc({ event, outcome: "ignored" });
        log.info({ why: err.message }, "delivery ignored");
        return;
      }
      if (ctx.attempt < ctx.maxAttempts && !ctx.signal.aborted) {
        log.warn({ err: toError(err).message, attempt: ctx.attempt }, "delivery failed; will retry");
        throw err;
      }
      deps.metrics.events.inc({ event, outcome: "error" });
      log.error({ err: toError(err) }, "delivery failed");
      await deliveries.finish(id, "error");
      throw err;
    }
    await deliveries.finish(id, res.outcome);
    deps.metrics.events.inc({ event, outcome: res.outcome === "ignored" ? (res.metric ?? "ignored") : "handled" });
    log.debug(res.outcome === "ignored" ? { why: res.why } : {}, `delivery ${res.outcome}`);
  };
  (deps.taskHandlers as Record<string, unknown>)[name] = run;
}
