/**
 * What the reliability tests (test/integration/reliability-*.test.ts) share: the
 * simulated GitHub, the five fake backends and the real service over HTTP (see
 * env.ts). Every test answers one question a user or an operator would ask: what
 * happens when GitHub (or someone pretending to be GitHub) sends something odd, when
 * a backend is down, when the disk is full, and whether a secret can leak.
 */
import { createHmac, randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { pullRequestEvent, type SimRepo } from "../../testing/github-sim/index.js";
import { waitFor, type World } from "./env.js";

/** Fakes that never move on their own: jobs stay running until a test finishes or cancels them. */
export const FROZEN = { phaseMs: 3_600_000 };
/** A short retry budget so that "gives up after retries" takes well under a second. */
export const SHORT_RETRIES = { worker: { maxAttempts: 3, retryBaseMs: 20, retryMaxMs: 50 } };
export const ONE_BUILD =
  "specfile_path: widget.spec\njobs:\n  - job: copr_build\n    trigger: pull_request\n    targets: [fedora-rawhide-x86_64]\n";
/** The check run of ONE_BUILD's one build. */
export const ONE_BUILD_CHECK = "rpm-build:fedora-rawhide-x86_64";
export const MB = 1024 * 1024;

export const count = async (w: World, table: string, where = "1=1") =>
  (await w.deps.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`))!.n;
export const healthz = async (w: World) => (await fetch(`${w.service.url}/healthz`)).status;
export const coprCancelCalls = (w: World) =>
  w.fakes.copr.calls.filter((c) => c.method === "PUT" && c.path.includes("/build/cancel/")).length;
/**
 * Wait until the app has nothing running and nothing due: what earlier steps set off has
 * ended (an event the database shows, not a guess at how long the work takes).
 */
export const settled = (w: World, timeoutMs = 10_000) =>
  waitFor(
    async () => (await count(w, "tasks", `status = 'doing' OR (status = 'todo' AND scheduled_at <= ${w.deps.now()})`)) === 0,
    timeoutMs,
    "the app to settle",
  );

/** POST to the webhook endpoint by hand (to send what `sendWebhook` never would). */
export async function postRaw(
  w: World,
  o: { event: string; body: string; signature?: string | null; deliveryId?: string },
): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-github-event": o.event,
    "x-github-delivery": o.deliveryId ?? randomUUID(),
  };
  const signature = o.signature === undefined ? hmac(w.sim.webhookSecret, o.body) : o.signature;
  if (signature !== null) headers["x-hub-signature-256"] = signature;
  const res = await fetch(`${w.service.url}/api/github/webhooks`, { method: "POST", headers, body: o.body });
  return { status: res.status, body: await res.text() };
}
export const hmac = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

/** A copy of a payload with the field at the dotted `path` deleted, or (given `value`) set: a payload GitHub would never send. */
export function damaged(payload: object, path: string, ...value: [unknown?]): Record<string, unknown> {
  const copy = structuredClone(payload) as Record<string, unknown>;
  const keys = path.split(".");
  const last = keys.pop()!;
  let node = copy;
  for (const k of keys) node = node[k] as Record<string, unknown>;
  if (value.length === 0) delete node[last];
  else node[last] = value[0];
  return copy;
}

export const openPr = (w: World, number: number, sha: string, repo: SimRepo = w.repo) =>
  w.send("pull_request", pullRequestEvent("opened", { repo, number, headSha: sha, author: "contributor" }));

/**
 * The suite's hooks: after each test `stop()` (the test's world), then fail the test if
 * the process saw an unhandled rejection or exception meanwhile (a crash it would only print).
 */
export function reliabilityHooks(stop: () => Promise<void>): void {
  const processErrors: string[] = [];
  const onRejection = (reason: unknown) => processErrors.push(`unhandledRejection: ${String((reason as Error)?.stack ?? reason)}`);
  const onException = (err: Error) => processErrors.push(`uncaughtException: ${err.stack ?? err.message}`);
  beforeAll(() => {
    process.on("unhandledRejection", onRejection);
    process.on("uncaughtException", onException);
  });
  afterAll(() => {
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  });
  afterEach(async () => {
    await stop();
    expect(processErrors.splice(0), "no unhandled rejection or exception in the process").toEqual([]);
  });
}
