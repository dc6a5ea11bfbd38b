import type { Db } from "./types.js";

interface Pending {
  fn: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** At most this many small transactions share one commit. */
const MAX_GROUP = 64;

/**
 * Small transactions that arrive together, committed together (SQLite): each runs in
 * a savepoint of one shared transaction, so its failure undoes only its own writes,
 * and each caller hears of its outcome after the shared commit — as durable as a
 * commit of its own. On SQLite a commit is most of what a small transaction costs,
 * and the one connection runs transactions one at a time anyway. On PostgreSQL each
 * runs as its own transaction: the pool runs them side by side, and a savepoint
 * costs as many round trips as a commit.
 */
export class GroupCommit {
  private pending: Pending[] = [];
  private flushing = false;

  constructor(private readonly db: Db) {}

  run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.db.dialect !== "sqlite") return this.db.tx(fn);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Callers whose requests were read in the same turn of the event loop join this group.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending.splice(0, MAX_GROUP);
      let outcomes: ({ ok: true; value: unknown } | { ok: false; err: unknown })[] = [];
      try {
        await this.db.tx(async () => {
          outcomes = [];
          for (const item of group) {
            try {
              outcomes.push({ ok: true, value: await this.db.tx(item.fn) });
            } catch (err) {
              outcomes.push({ ok: false, err });
            }
          }
        });
      } catch (err) {
        // The shared commit failed: nothing of the group was stored.
        for (const item of group) item.reject(err);
        continue;
      }
      group.forEach((item, i) => {
        const o = outcomes[i]!;
        if (o.ok) item.resolve(o.value);
        else item.reject(o.err);
      });
    }
    this.flushing = false;
  }
}
