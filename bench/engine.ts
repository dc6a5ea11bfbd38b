import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../src/db/open.js";
import type { Db } from "../src/db/types.js";
import { createScratchDatabase } from "../testing/demo/postgres.js";

/** A fresh database for a benchmark: SQLite in a temp folder, or a scratch database on `DATABASE_URL`'s server. */
export interface BenchDatabase {
  engine: "sqlite" | "postgres";
  db: Db;
  /** SQLite: the file. */
  path?: string;
  /** PostgreSQL: the server (make more scratch databases on it). */
  serverUrl?: string;
  cleanup(): Promise<void>;
}

export async function benchDatabase(name: string): Promise<BenchDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const scratch = await createScratchDatabase(serverUrl, `bench_${name}`);
    const db = await openDatabase({ url: scratch.url });
    return {
      engine: "postgres",
      db,
      serverUrl,
      async cleanup() {
        await db.close();
        await scratch.drop();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const path = join(dir, "q.sqlite");
  const db = await openDatabase({ path });
  return {
    engine: "sqlite",
    db,
    path,
    async cleanup() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const perSecond = (n: number, ms: number) => Math.round(n / (ms / 1000));

/** The p-th percentile of ascending `sorted` (nearest rank); NaN when there is nothing to rank. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
