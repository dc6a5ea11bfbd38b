import { createServer } from "node:net";

/**
 * A free TCP port on 127.0.0.1. Probot's Server treats port 0 as "use 3000", so
 * callers that want an ephemeral port ask the OS for one first.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
