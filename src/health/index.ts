import type { IncomingMessage, ServerResponse } from "node:http";
import { LATEST_SCHEMA_VERSION, schemaVersion } from "../db/open.js";
import type { Db } from "../db/types.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** Readiness: the database answers and every migration of this build is applied. */
export async function readiness(db: Db): Promise<{ ready: boolean; reason?: string }> {
  try {
    if (!db.isOpen) return { ready: false, reason: "database closed" };
    const version = await schemaVersion(db);
    if (version < LATEST_SCHEMA_VERSION) return { ready: false, reason: `schema version ${version} < ${LATEST_SCHEMA_VERSION}` };
    return { ready: true };
  } catch (err) {
    return { ready: false, reason: (err as Error).message };
  }
}

/** `/healthz` (the process serves requests) and `/readyz` (database open, migrations applied). `/metrics` is apart: `metrics/http.ts`. */
export function healthHandler(deps: { db: Db }): Handler {
  return async (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET") return false;
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return true;
    }
    if (path === "/readyz") {
      const r = await readiness(deps.db);
      res.writeHead(r.ready ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify({ status: r.ready ? "ready" : "not ready", ...r }));
      return true;
    }
    return false;
  };
}
