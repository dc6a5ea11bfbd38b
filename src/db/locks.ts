import type { Db } from "./open.js";

/**
 * Run `fn` holding the named lease, or return undefined at once when another holder
 * (this or another process) has it. The lease expires after `ttlMs` so a crashed
 * holder cannot block the work for ever.
 */
export async function withLease<T>(db: Db, name: string, ttlMs: number, fn: () => Promise<T>, now: () => number = Date.now): Promise<T | undefined> {
  const holder = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  const acquired = db
    .prepare(
      `INSERT INTO locks (name, holder, expires_at) VALUES (@name, @holder, @expires)
       ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at WHERE locks.expires_at < @now`,
    )
    .run({ name, holder, expires: now() + ttlMs, now: now() }).changes === 1;
  if (!acquired) return undefined;
  try {
    return await fn();
  } finally {
    db.prepare("DELETE FROM locks WHERE name = ? AND holder = ?").run(name, holder);
  }
}
