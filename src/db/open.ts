import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { MIGRATIONS } from "./migrations.js";

export type Db = Database.Database;

export interface OpenOptions {
  /** File path, or ":memory:". Parent folders are created. */
  path: string;
  /** How long a statement waits for another connection's lock before SQLITE_BUSY, ms. */
  busyTimeoutMs?: number;
}

/**
 * Open the database in WAL mode and apply pending migrations. WAL lets the webhook
 * server read while the worker writes; `synchronous = NORMAL` is durable across
 * process crashes (only an OS crash can lose the last transactions).
 */
export function openDatabase(opts: OpenOptions): Db {
  if (opts.path !== ":memory:") mkdirSync(dirname(opts.path), { recursive: true });
  const db = new Database(opts.path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
  migrate(db);
  return db;
}

/** Apply every migration newer than the stored version; returns the version now in force. */
export function migrate(db: Db): number {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at INTEGER NOT NULL)");
  const current = schemaVersion(db);
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)").run(m.version, Date.now());
    })();
  }
  return schemaVersion(db);
}

export function schemaVersion(db: Db): number {
  const row = db.prepare("SELECT MAX(version) AS v FROM schema_version").get() as { v: number | null };
  return row.v ?? 0;
}

/** The newest migration this build knows; /readyz compares against it. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
