import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppDeps } from "../deps.js";
import { enqueuePoll } from "./lifecycle.js";

export const TESTING_FARM_NOTIFY_PATH = "/api/testing-farm/notify";

/** Notifications are tiny; anything bigger is not Testing Farm. */
const MAX_BODY = 16_384;

/**
 * Testing Farm's notification webhook: TF posts `{request_id, token}` when a
 * request changes state. A valid one makes the job's next status poll due now, so
 * results arrive in seconds instead of at the next poll; the poll stays the
 * source of truth (a notification carries no state we trust).
 */
export function testingFarmNotificationHandler(deps: AppDeps) {
  const expected = deps.settings.backends.testingFarm.notify?.token;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== "POST" || (req.url ?? "").split("?")[0] !== TESTING_FARM_NOTIFY_PATH) return false;
    const reply = (status: number, message: string) => (
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ message })),
      true
    );
    if (!expected) return reply(404, "notifications are not configured");
    let body: { request_id?: unknown; token?: unknown };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch (err) {
      return reply(400, `not a JSON notification: ${(err as Error).message}`);
    }
    if (typeof body.token !== "string" || !sameSecret(body.token, expected)) return reply(401, "bad token");
    if (typeof body.request_id !== "string") return reply(400, "request_id missing");
    const job = await deps.pipelines.jobByExternalId("testing-farm", body.request_id);
    const ctx = job && !job.finished_at ? await deps.pipelines.jobInContext(job.id) : undefined;
    if (!ctx) return reply(202, "no unfinished job for this request");
    if (!(await deps.tasks.advanceByLockKey(`poll:${ctx.job.id}`, deps.now()))) await enqueuePoll(deps, ctx, 0);
    return reply(202, "poll scheduled");
  };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error("body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
