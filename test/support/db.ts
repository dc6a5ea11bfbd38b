import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { openDatabase } from "../../src/db/open.js";
import type { SqliteDb } from "../../src/db/sqlite.js";
import type { Db } from "../../src/db/types.js";
import { createScratchDatabase } from "../../testing/demo/postgres.js";

export type Engine = "sqlite" | "postgres";

/** The engines DB-touching suites run on: `describe.each(ENGINES)(…)`. */
export const ENGINES: readonly Engine[] = ["sqlite", "postgres"];

export interface TempDatabase {
  db: Db;
  /** SQLite: the file. */
  path: string;
  /** PostgreSQL: the database's URL (open a second connection to it with this). */
  url?: string;
  dir: string;
  /** Open the same database again (another process's view). */
  reopen(): Promise<Db>;
  cleanup(): Promise<void>;
}

/**
 * A fresh, migrated database: a file-backed WAL SQLite database in a temp folder, or
 * a new database on the run's PostgreSQL server (see postgres-setup.ts). `cleanup()`
 * closes and removes it.
 */
export async function tempDatabase(engine: Engine = "sqlite"): Promise<TempDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "packit-probot-test-"));
  const path = join(dir, "test.sqlite");
  if (engine === "sqlite") {
    const db = await openDatabase({ path });
    const opened: Db[] = [db];
    return {
      db,
      path,
      dir,
      async reopen() {
        const again = await openDatabase({ path });
        opened.push(again);
        return again;
      },
      async cleanup() {
        for (const d of opened) await d.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const scratch = await createScratchDatabase(inject("postgresUrl"), "test");
  const url = scratch.url;
  const db = await openDatabase({ url, poolSize: 4 });
  const opened: Db[] = [db];
  return {
    db,
    path,
    url,
    dir,
    async reopen() {
      const again = await openDatabase({ url, poolSize: 4 });
      opened.push(again);
      return again;
    },
    async cleanup() {
      for (const d of opened) await d.close();
      await scratch.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The better-sqlite3 handle of a SQLite database (SQLite-only tests: pragmas, triggers). */
export function sqliteOf(db: Db): SqliteDb["raw"] {
  if (db.dialect !== "sqlite") throw new Error("a SQLite-only test got another engine");
  return (db as SqliteDb).raw;
}

/** Resolve when `predicate` holds, polling every 5 ms; reject after `timeoutMs`. */
export { waitFor } from "../../testing/wait.js";

export const silentLog = { info() {}, warn() {}, error() {}, debug() {} };
