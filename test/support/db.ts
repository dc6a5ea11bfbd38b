import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Db } from "../../src/db/open.js";

/** A file-backed WAL database in a fresh temp folder; `cleanup()` closes and removes it. */
export function tempDatabase(): { db: Db; path: string; dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "packit-probot-test-"));
  const path = join(dir, "test.sqlite");
  const db = openDatabase({ path });
  return {
    db,
    path,
    dir,
    cleanup() {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolve when `predicate` holds, polling every 5 ms; reject after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const silentLog = { info() {}, warn() {}, error() {}, debug() {} };
