import type { Db } from "./open.js";

/**
 * Run `fn` holding the named lease, or return undefined at once when another holder
 * (this or another process) has it. While `fn` runs the lease is renewed every third
 * of `ttlMs`, so long work keeps it; a crashed holder stops renewing and the lease
 * expires after `ttlMs`, so it cannot block the work for ever.
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
  const renew = db.prepare("UPDATE locks SET expires_at = ? WHERE name = ? AND holder = ?");
  const timer = setInterval(() => renew.run(now() + ttlMs, name, holder), Math.max(10, Math.floor(ttlMs / 3)));
  timer.unref();
  try {
    return await fn();
  } finally {
    clearInterval(timer);
    db.prepare("DELETE FROM locks WHERE name = ? AND holder = ?").run(name, holder);
  }
}
