import type { Db } from "./types.js";

const newHolder = () => `${process.pid}-${Math.random().toString(36).slice(2)}`;

/**
 * Take the named lease for `ttlMs` unless a live holder (this or another process)
 * has it; returns the holder id, or undefined when it is taken.
 */
async function acquire(db: Db, name: string, ttlMs: number, now: number): Promise<string | undefined> {
  const holder = newHolder();
  const changed = await db.run(
    `INSERT INTO locks (name, holder, expires_at) VALUES (?, ?, ?)
     ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at WHERE locks.expires_at < ?`,
    [name, holder, now + ttlMs, now],
  );
  return changed === 1 ? holder : undefined;
}

/**
 * Run `fn` holding the named lease, or return undefined at once when another holder
 * (this or another process) has it. While `fn` runs the lease is renewed every third
 * of `ttlMs`, so long work keeps it; a crashed holder stops renewing and the lease
 * expires after `ttlMs`, so it cannot block the work for ever.
 */
export async function withLease<T>(
  db: Db,
  name: string,
  ttlMs: number,
  fn: () => Promise<T>,
  now: () => number = Date.now,
): Promise<T | undefined> {
  const holder = await acquire(db, name, ttlMs, now());
  if (!holder) return undefined;
  const renew = () =>
    db.run("UPDATE locks SET expires_at = ? WHERE name = ? AND holder = ?", [now() + ttlMs, name, holder]).catch(() => undefined);
  const timer = setInterval(() => void renew(), Math.max(10, Math.floor(ttlMs / 3)));
  timer.unref();
  try {
    return await fn();
  } finally {
    clearInterval(timer);
    await db.run("DELETE FROM locks WHERE name = ? AND holder = ?", [name, holder]);
  }
}

/**
 * True for exactly one caller per `ttlMs` across every process on the database: the
 * lease is taken and left to expire. The maintenance cron fires on every replica;
 * only the one that gets this queues the sweep.
 */
export async function onceIn(db: Db, name: string, ttlMs: number, now: number = Date.now()): Promise<boolean> {
  return (await acquire(db, name, ttlMs, now)) !== undefined;
}
