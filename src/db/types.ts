/**
 * The one database interface every store uses, whatever the engine. Statements take
 * positional `?` parameters; the PostgreSQL driver numbers them. A transaction is
 * ambient: stores called inside `db.tx(async () => …)` join it without passing a
 * handle (AsyncLocalStorage), and a `tx()` inside another one is a savepoint.
 *
 * Hazard: nothing but database work may be awaited inside a transaction. On SQLite
 * (one connection) every statement outside the running transaction waits for it.
 */
type Dialect = "sqlite" | "postgres";

/** What a statement parameter can be. Booleans are stored as 0/1. Times are epoch ms. */
export type SqlValue = string | number | null;

export interface Db {
  readonly dialect: Dialect;
  /** "sqlite ./data/x.sqlite" or "postgres db.example:5432/packit" (never a password). */
  readonly description: string;
  /** Every row of a query. */
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row of a query, or undefined. */
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Run a statement; returns how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Run a script of statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  /** Run `fn` in a transaction: all or nothing. Inside another transaction: a savepoint. */
  tx<T>(fn: () => Promise<T>): Promise<T>;
  /** Run `fn` once the running transaction commits (at once outside one); never when it rolls back. */
  afterCommit(fn: () => void): void;
  /**
   * Cross-process wake-ups: PostgreSQL LISTEN/NOTIFY on a dedicated connection. On
   * SQLite (one process per file is the norm) they stay in the process.
   * Returns a function that stops listening.
   */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  /** Send a notification (after commit when inside a transaction). */
  notify(channel: string, payload: string): Promise<void>;
  /** Whether the database can still be used (false after close). */
  readonly isOpen: boolean;
  close(): Promise<void>;
}

/** Whether `err` is a unique-constraint violation of either engine. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505";
}

/**
 * `column` is one of the ids of a list parameter (made by `idList`), in a form each
 * engine answers from an index: `= ANY(array)` on PostgreSQL, `json_each` on SQLite.
 */
export function idIn(db: Pick<Db, "dialect">, column: string): string {
  return db.dialect === "postgres" ? `${column} = ANY(CAST(? AS BIGINT[]))` : `${column} IN (SELECT value FROM json_each(?))`;
}

/** The parameter for `idIn`. */
export function idList(db: Pick<Db, "dialect">, ids: readonly number[]): string {
  return db.dialect === "postgres" ? `{${ids.join(",")}}` : JSON.stringify(ids);
}
