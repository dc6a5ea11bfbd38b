import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import type { Db, SqlValue } from "./types.js";

interface Scope {
  client: pg.PoolClient;
  depth: number;
  done: boolean;
  afterCommit: (() => void)[];
}

const INT8_OID = 20;

/** Tries of a transaction PostgreSQL ended as a deadlock or serialization failure. */
const TX_ATTEMPTS = 3;
/** The longest random wait before such a transaction runs again, ms, times the attempt. */
const TX_RETRY_JITTER_MS = 10;

/** BIGINT columns (every time is epoch ms, every id an integer) come back as numbers, not strings. */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID
      ? (v: string) => Number.parseInt(v, 10)
      : (pg.types.getTypeParser(oid, format as "text") as (v: string) => unknown)) as typeof pg.types.getTypeParser,
};

/** The URL with its password replaced, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(not a URL)";
  }
}

/**
 * PostgreSQL through node-postgres: a pool for statements, one pooled connection
 * per transaction (found through AsyncLocalStorage), named prepared statements
 * (prepared once per connection), and one dedicated connection for LISTEN.
 */
export class PostgresDb implements Db {
  readonly dialect = "postgres" as const;
  readonly description: string;
  private readonly pool: pg.Pool;
  private readonly scope = new AsyncLocalStorage<Scope>();
  /** SQL with `?` → its numbered text and statement name. */
  private readonly prepared = new Map<string, { name: string; text: string }>();
  private listener: pg.Client | undefined;
  private readonly channels = new Map<string, Set<(payload: string) => void>>();
  private closed = false;

  constructor(
    private readonly url: string,
    opts: { max?: number; onError?: (err: Error) => void } = {},
  ) {
    const u = new URL(url);
    this.description = `postgres ${u.hostname}${u.port ? `:${u.port}` : ""}${u.pathname}`;
    this.pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, types });
    // An idle connection that dies (server restart) must not crash the process.
    this.pool.on("error", (err) => opts.onError?.(err));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  private statement(sql: string): { name: string; text: string } {
    let s = this.prepared.get(sql);
    if (!s) {
      let n = 0;
      s = { name: `s${this.prepared.size + 1}`, text: sql.replace(/\?/g, () => `$${++n}`) };
      this.prepared.set(sql, s);
    }
    return s;
  }

  private target(): pg.Pool | pg.PoolClient {
    const s = this.scope.getStore();
    return s && !s.done ? s.client : this.pool;
  }

  private async query<T extends pg.QueryResultRow>(sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult<T>> {
    const { name, text } = this.statement(sql);
    // PostgreSQL text cannot hold NUL; SQLite can. Such a string (never sent by GitHub) is stored with U+FFFD instead.
    const values = params.map((v) => (typeof v === "string" && v.includes("\0") ? v.replaceAll("\0", "\uFFFD") : v));
    return this.target().query<T>({ name, text, values });
  }

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await this.query(sql, params)).rowCount ?? 0;
  }

  async exec(script: string): Promise<void> {
    await this.target().query(script);
  }

  async tx<T>(fn: () => Promise<T>): Promise<T> {
    const current = this.scope.getStore();
    if (current && !current.done) return this.savepoint(current, fn);
    // Two transactions locking the same rows in another order: PostgreSQL ends one (deadlock, 40P01).
    // A transaction does only database work, so running it again is safe.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(fn);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (attempt >= TX_ATTEMPTS || (code !== "40P01" && code !== "40001")) throw err;
        // Run again after a random wait: at once, it would meet the other transaction in the same place.
        await sleep(Math.random() * TX_RETRY_JITTER_MS * attempt);
      }
    }
  }

  private async once<T>(fn: () => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const scope: Scope = { client, depth: 0, done: false, afterCommit: [] };
    let result: T;
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      try {
        result = await this.scope.run(scope, fn);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK").catch((e: Error) => (broken = e));
        throw err;
      }
    } finally {
      scope.done = true;
      // A connection that could not even roll back is not given back to the pool.
      client.release(broken);
    }
    for (const fn of scope.afterCommit) this.scope.exit(fn);
    return result;
  }

  private async savepoint<T>(scope: Scope, fn: () => Promise<T>): Promise<T> {
    const name = `sp${++scope.depth}`;
    await scope.client.query(`SAVEPOINT ${name}`);
    try {
      const result = await fn();
      await scope.client.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (err) {
      await scope.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw err;
    } finally {
      scope.depth--;
    }
  }

  afterCommit(fn: () => void): void {
    const current = this.scope.getStore();
    if (current && !current.done) current.afterCommit.push(fn);
    else fn();
  }

  async listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    let handlers = this.channels.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.channels.set(channel, handlers);
      const client = await this.listenerClient();
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    }
    handlers.add(onMessage);
    return () => {
      handlers.delete(onMessage);
      return Promise.resolve();
    };
  }

  /** The dedicated LISTEN connection; when it drops it reconnects and listens again (polling covers the gap). */
  private async listenerClient(): Promise<pg.Client> {
    if (this.listener) return this.listener;
    const client = new pg.Client({ connectionString: this.url, types });
    client.on("notification", (m) => {
      for (const h of this.channels.get(m.channel) ?? []) h(m.payload ?? "");
    });
    client.on("error", () => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.end().catch(() => undefined);
      const retry = setTimeout(() => void this.relisten().catch(() => undefined), 1000);
      retry.unref();
    });
    this.listener = client;
    await client.connect();
    return client;
  }

  private async relisten(): Promise<void> {
    if (this.closed || this.channels.size === 0) return;
    const client = await this.listenerClient();
    for (const channel of this.channels.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
  }

  async notify(channel: string, payload: string): Promise<void> {
    await this.run("SELECT pg_notify(?, ?)", [channel, payload]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.pool.end();
  }
}
