import { AsyncLocalStorage } from "node:async_hooks";
import { EventEmitter } from "node:events";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Db, SqlValue } from "./types.js";

interface Scope {
  /** Savepoints open inside the transaction. */
  depth: number;
  /** The transaction has ended; a continuation still carrying this scope is outside any transaction. */
  done: boolean;
  afterCommit: (() => void)[];
}

/**
 * The embedded default: better-sqlite3 (synchronous, one connection) behind the
 * async interface. WAL lets readers of other processes go on while we write;
 * `synchronous = NORMAL` is durable across process crashes (only an OS crash can
 * lose the last transactions). Statements are prepared once and cached.
 *
 * One connection means one transaction at a time: `tx()` waits for the running
 * one, and statements from outside it wait too, so they never land inside it.
 */
export class SqliteDb implements Db {
  readonly dialect = "sqlite" as const;
  readonly description: string;
  /** The driver's own handle, for SQLite-only tests (pragmas, triggers). */
  readonly raw: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly scope = new AsyncLocalStorage<Scope>();
  private readonly events = new EventEmitter().setMaxListeners(0);
  private active: Scope | undefined;
  private waiters: (() => void)[] = [];

  constructor(path: string, opts: { busyTimeoutMs?: number } = {}) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.description = `sqlite ${path}`;
    this.raw = new Database(path);
    this.raw.pragma("journal_mode = WAL");
    this.raw.pragma("synchronous = NORMAL");
    this.raw.pragma("foreign_keys = ON");
    this.raw.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
  }

  get isOpen(): boolean {
    return this.raw.open;
  }

  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.raw.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Wait while a transaction this caller is not part of is running. */
  private async turn(): Promise<void> {
    while (this.active && this.scope.getStore() !== this.active) await new Promise<void>((r) => this.waiters.push(r));
  }

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    if (this.active) await this.turn();
    return this.statement(sql).all(params) as T[];
  }

  async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    if (this.active) await this.turn();
    return this.statement(sql).get(params) as T | undefined;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    if (this.active) await this.turn();
    return this.statement(sql).run(params).changes;
  }

  async exec(script: string): Promise<void> {
    if (this.active) await this.turn();
    this.raw.exec(script);
  }

  async tx<T>(fn: () => Promise<T>): Promise<T> {
    const current = this.scope.getStore();
    if (current && !current.done && current === this.active) return this.savepoint(current, fn);
    while (this.active) await new Promise<void>((r) => this.waiters.push(r));
    const scope: Scope = { depth: 0, done: false, afterCommit: [] };
    this.active = scope;
    let result: T;
    try {
      // IMMEDIATE: take the write lock now, so two processes never deadlock upgrading a read.
      this.statement("BEGIN IMMEDIATE").run();
      try {
        result = await this.scope.run(scope, fn);
        this.statement("COMMIT").run();
      } catch (err) {
        if (this.raw.inTransaction) this.statement("ROLLBACK").run();
        throw err;
      }
    } finally {
      scope.done = true;
      this.active = undefined;
      const waiting = this.waiters;
      this.waiters = [];
      for (const wake of waiting) wake();
    }
    for (const fn of scope.afterCommit) this.scope.exit(fn);
    return result;
  }

  private async savepoint<T>(scope: Scope, fn: () => Promise<T>): Promise<T> {
    const name = `sp${++scope.depth}`;
    this.raw.exec(`SAVEPOINT ${name}`);
    try {
      const result = await fn();
      this.raw.exec(`RELEASE ${name}`);
      return result;
    } catch (err) {
      this.raw.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
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

  // In-process: listen, notify and close finish at once; the promises are the Db interface's (PostgreSQL's are real I/O).
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    this.events.on(channel, onMessage);
    return Promise.resolve(() => {
      this.events.off(channel, onMessage);
      return Promise.resolve();
    });
  }

  notify(channel: string, payload: string): Promise<void> {
    this.afterCommit(() => this.events.emit(channel, payload));
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.raw.open) this.raw.close();
    return Promise.resolve();
  }
}
