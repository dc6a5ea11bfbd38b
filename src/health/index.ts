import type { ServerResponse } from "node:http";
import { LATEST_SCHEMA_VERSION, schemaVersion } from "../db/open.js";
import type { Db } from "../db/types.js";
import type { Role } from "../settings.js";
import type { Route } from "../util/route-server.js";

export interface Verdict {
  ok: boolean;
  reason?: string;
}

/** Readiness: the database answers and every migration of this build is applied. */
async function readiness(db: Db): Promise<{ ready: boolean; reason?: string }> {
  try {
    if (!db.isOpen) return { ready: false, reason: "database closed" };
    const version = await schemaVersion(db);
    if (version < LATEST_SCHEMA_VERSION) return { ready: false, reason: `schema version ${version} < ${LATEST_SCHEMA_VERSION}` };
    return { ready: true };
  } catch (err) {
    return { ready: false, reason: (err as Error).message };
  }
}

/** A loop that proves itself alive by finishing rounds: a worker pool (its lease recovery and heartbeats). */
export interface LiveLoop {
  id: string;
  /** When it last finished a round, epoch ms. */
  lastTickAt: number;
}

/**
 * The loops are alive when each finished a round within `stallMs`. A loop stuck
 * longer no longer renews its tasks' leases (other replicas take them over): the
 * process should be restarted.
 */
export function loopsAlive(loops: readonly LiveLoop[], now: number, stallMs: number): Verdict {
  const stalled = loops.filter((l) => now - l.lastTickAt > stallMs);
  if (stalled.length === 0) return { ok: true };
  return { ok: false, reason: stalled.map((l) => `${l.id}: no round for ${now - l.lastTickAt} ms`).join("; ") };
}

export interface HealthDeps {
  /** What this process runs; shown in the answers. */
  role: Role;
  db: Db;
  /** The worker loops' liveness (processes that run workers): part of both `/healthz` and `/readyz`. */
  loops?: () => Verdict;
}

/**
 * `/healthz` (alive: the process serves requests and, where it runs workers, their
 * loops go round), `/readyz` (alive, and the database answers with every migration
 * applied). `/metrics` is apart: `metrics/http.ts`.
 */
export function healthHandler(deps: HealthDeps): Route {
  const answer = (res: ServerResponse, status: number, body: object) =>
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ ...body, role: deps.role }));
  return async (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET") return false;
    if (path === "/healthz") {
      const alive = deps.loops?.() ?? { ok: true };
      answer(res, alive.ok ? 200 : 503, alive.ok ? { status: "ok" } : { status: "stalled", reason: alive.reason });
      return true;
    }
    if (path === "/readyz") {
      const alive = deps.loops?.() ?? { ok: true };
      const r = alive.ok ? await readiness(deps.db) : { ready: false, reason: alive.reason };
      answer(res, r.ready ? 200 : 503, { status: r.ready ? "ready" : "not ready", ...r });
      return true;
    }
    return false;
  };
}
