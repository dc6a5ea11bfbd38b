import type { Context, Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { PermanentCondition, toError } from "../errors.js";
import { DeliveryLog } from "./deliveries.js";
import { MalformedPayload } from "./payloads.js";

/** What a handler made of a delivery. */
export type HandlerOutcome = { outcome: "handled" } | { outcome: "ignored"; why: string; metric?: string };

export const handled: HandlerOutcome = { outcome: "handled" };
export const ignored = (why: string, metric?: string): HandlerOutcome => ({ outcome: "ignored", why, metric });

type EventName = Parameters<Probot["on"]>[0];

const registered = new WeakMap<Probot, Set<string>>();

/**
 * Register a webhook handler with what every handler needs: dedupe by delivery id,
 * a child logger with the delivery, installation and repository, the outcome in
 * the deliveries table and the events metric. What a redelivery could not change is
 * not an error: a `PermanentCondition` (a repository the App cannot read, or that is
 * gone) is answered 2xx and counted `ignored`, its reason logged once; a malformed
 * payload is answered 400. Other errors are answered 500 (GitHub shows the failed
 * delivery; a redelivery retries it). None of them crashes the process.
 */
export function onDelivery<E extends EventName>(
  app: Probot,
  deps: AppDeps,
  events: E | E[],
  handler: (context: Context<E extends string ? E : never>, log: AppDeps["log"]) => Promise<HandlerOutcome>,
): void {
  const deliveries = new DeliveryLog(deps.db, deps.now);
  // Dedupe is per delivery id: a second handler for the same event would see every delivery as a duplicate.
  const claimed = (registered.get(app) ?? registered.set(app, new Set()).get(app))!;
  for (const e of Array.isArray(events) ? events : [events]) {
    if (claimed.has(String(e))) throw new Error(`two handlers registered for ${String(e)}; merge them into one`);
    claimed.add(String(e));
  }
  app.on(events as EventName, async (context: unknown) => {
    // What every delivery may carry; the handler validates the rest of its own event's payload.
    const c = context as unknown as { name: string; id: string; payload: { action?: unknown; installation?: { id?: number }; repository?: { full_name?: string } } };
    const action = typeof c.payload.action === "string" ? `.${c.payload.action}` : "";
    const event = `${c.name}${action}`;
    if (!(await deliveries.claim(c.id, event))) {
      deps.metrics.events.inc({ event, outcome: "duplicate" });
      return;
    }
    const log = deps.log.child({
      delivery: c.id,
      event,
      installation: c.payload.installation?.id,
      repo: c.payload.repository?.full_name,
    });
    let res: HandlerOutcome;
    try {
      res = await handler(context as never, log);
    } catch (err) {
      if (err instanceof PermanentCondition) {
        // A redelivery would meet the same answer: 2xx, so GitHub does not retry it.
        await deliveries.finish(c.id, "ignored");
        deps.metrics.events.inc({ event, outcome: "ignored" });
        log.info({ why: err.message }, "delivery ignored");
        return;
      }
      if (err instanceof MalformedPayload) {
        // Redelivering the same payload cannot help: record it as ignored and answer 400.
        await deliveries.finish(c.id, "ignored");
        deps.metrics.events.inc({ event, outcome: "malformed" });
        log.warn({ why: err.message }, "delivery ignored: malformed payload");
      } else {
        deps.metrics.events.inc({ event, outcome: "error" });
        log.error({ err: toError(err) }, "delivery failed");
        // The handler's own error is the answer; a full disk refusing this note too is
        // remembered in memory (see DeliveryLog.finish).
        try {
          await deliveries.finish(c.id, "error");
        } catch (noted) {
          log.error({ err: toError(noted) }, "could not record the failed delivery");
        }
      }
      throw err;
    }
    // Not in the try above: the work is done, so a failure to note it must not mark the
    // delivery as failed (a redelivery would do it twice). It stays unfinished, which
    // dedupe treats as in progress.
    await deliveries.finish(c.id, res.outcome);
    deps.metrics.events.inc({ event, outcome: res.outcome === "ignored" ? (res.metric ?? "ignored") : "handled" });
    log.debug(res.outcome === "ignored" ? { why: res.why } : {}, `delivery ${res.outcome}`);
  });
}
