import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { startRouteServer, type Route } from "../util/route-server.js";
import type { Metrics } from "./index.js";

/** What `/metrics` samples at scrape time besides the counters: queue depth, installations waiting for approval. */
export interface QueueCounts {
  counts(): Promise<{ queue: string; status: string; n: number }[]>;
  waitingInstallations?(): Promise<number>;
}

/** Whether the request carries `Authorization: Bearer <token>` (compared in constant time). */
function hasBearer(req: IncomingMessage, token: string): boolean {
  const given = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ""))?.[1];
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `GET /metrics` for Prometheus. With `token`, only requests bearing it are
 * answered (401 otherwise, without saying more); the public port serves it so.
 */
export function metricsHandler(deps: { metrics: Metrics; store?: QueueCounts; token?: string }): Route {
  return async (req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") return false;
    if (deps.token !== undefined && !hasBearer(req, deps.token)) {
      res
        .writeHead(401, { "content-type": "text/plain", "www-authenticate": 'Bearer realm="metrics"' })
        .end("metrics need a bearer token\n");
      return true;
    }
    if (deps.store) {
      const counts = await deps.store.counts();
      deps.metrics.queueDepth.reset();
      for (const c of counts) deps.metrics.queueDepth.set({ queue: c.queue, status: c.status }, c.n);
      if (deps.store.waitingInstallations) deps.metrics.installationsWaiting.set(await deps.store.waitingInstallations());
    }
    res.writeHead(200, { "content-type": deps.metrics.registry.contentType }).end(await deps.metrics.registry.metrics());
    return true;
  };
}

/** `/metrics` on a port of its own (`metrics.port` on `metrics.host`, loopback by default), apart from the public server. */
export async function startMetricsServer(o: {
  metrics: Metrics;
  store?: QueueCounts;
  host: string;
  port: number;
}): Promise<{ url: string; stop(): Promise<void> }> {
  const server = await startRouteServer({
    routes: [metricsHandler({ metrics: o.metrics, store: o.store })],
    host: o.host,
    port: o.port,
    notFound: { contentType: "text/plain", body: "only /metrics here\n" },
  });
  const host = o.host.includes(":") ? `[${o.host}]` : o.host;
  return { url: `http://${host}:${server.port}/metrics`, stop: () => server.stop() };
}
