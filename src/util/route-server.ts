import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** An HTTP route in Probot's `addHandler` style: true when it answered the request. */
export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * A small HTTP server apart from Probot's (a worker's health port, the metrics port):
 * each request is offered to `routes` in turn, `notFound` answers what none takes, and
 * a route that throws gets a bare 500 (`onError` hears why).
 */
export async function startRouteServer(o: {
  routes: readonly Route[];
  host: string;
  port: number;
  notFound: { contentType: string; body: string };
  onError?: (err: unknown) => void;
}): Promise<{ port: number; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    serveFirst(o.routes, req, res)
      .then((handled) => handled || res.writeHead(404, { "content-type": o.notFound.contentType }).end(o.notFound.body))
      .catch((err: unknown) => {
        o.onError?.(err);
        if (!res.headersSent) res.writeHead(500).end();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serveFirst(routes: readonly Route[], req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  for (const route of routes) if (await route(req, res)) return true;
  return false;
}
