import type { Db } from "../db/types.js";
import { AlreadyEnqueued } from "./errors.js";
import type { FairnessKeys } from "./keys.js";
import type { EnqueueOptions } from "./types.js";

/** Rows per INSERT of a batched enqueue on SQLite (well under its parameter limit). */
const SQLITE_BATCH = 500;
/** PostgreSQL takes a batch as one JSON parameter: no parameter limit. */
const POSTGRES_BATCH = 5000;

/** The columns an enqueue writes (besides `status`), with their PostgreSQL types. */
const NEW_TASK_COLUMNS = {
  queue: "TEXT",
  name: "TEXT",
  payload: "TEXT",
  priority: "BIGINT",
  fairness_key: "TEXT",
  lock_key: "TEXT",
  max_attempts: "BIGINT",
  scheduled_at: "BIGINT",
  created_at: "BIGINT",
  ready: "BIGINT",
} as const;
type NewTaskRow = {
  [C in keyof typeof NEW_TASK_COLUMNS]: C extends "lock_key"
    ? string | null
    : (typeof NEW_TASK_COLUMNS)[C] extends "TEXT"
      ? string
      : number;
};
const NEW_TASK_NAMES = Object.keys(NEW_TASK_COLUMNS) as (keyof NewTaskRow)[];

/** The partial unique index is the queueing lock: a conflict inserts nothing (no error, so an enclosing PostgreSQL transaction stays usable). */
const CONFLICT = "ON CONFLICT (lock_key) WHERE status = 'todo' AND lock_key IS NOT NULL DO NOTHING";

export type NewTask = { name: string; payload: object } & EnqueueOptions;

/** How many tasks one INSERT takes on `db`'s engine. */
export function insertBatchSize(db: Pick<Db, "dialect">): number {
  return db.dialect === "postgres" ? POSTGRES_BATCH : SQLITE_BATCH;
}

/** Insert tasks in one statement; ids in the order given. Throws `AlreadyEnqueued` when a lock key is taken. */
export async function insertTasks(
  db: Db,
  keys: FairnessKeys,
  items: readonly NewTask[],
  at: { now: number; maxAttempts: number },
): Promise<number[]> {
  const pg = db.dialect === "postgres";
  const rows = items.map((it): NewTaskRow => {
    const due = it.runAt ?? at.now;
    return {
      queue: it.queue ?? "default",
      name: it.name,
      payload: JSON.stringify(it.payload),
      priority: it.priority ?? 0,
      fairness_key: it.fairnessKey ?? "",
      lock_key: it.lockKey ?? null,
      max_attempts: it.maxAttempts ?? at.maxAttempts,
      scheduled_at: due,
      created_at: at.now,
      // PostgreSQL makes a task that is due at once ready in the same statement (its key's head
      // follows); SQLite leaves it to the next claim's promotion, which is cheaper there.
      ready: pg && due <= at.now ? 1 : 0,
    };
  });
  const inserted = pg ? await insertPostgres(db, keys, rows) : await insertSqlite(db, rows);
  if (inserted.length < items.length) {
    const locks = new Set(inserted.map((r) => r.lock_key));
    const taken = items.find((it) => it.lockKey && !locks.has(it.lockKey)) ?? items.find((it) => it.lockKey);
    throw new AlreadyEnqueued(taken?.lockKey ?? "");
  }
  // Ids grow in the order rows are inserted.
  return inserted.map((r) => r.id).sort((a, b) => a - b);
}

const SQLITE_ROW = `(${NEW_TASK_NAMES.map(() => "?").join(", ")}, 'todo')`;
/** The INSERT for `n` rows, by `n` (at most `SQLITE_BATCH` of them; an enqueue uses 1 or a full batch nearly always). */
const sqliteInserts = new Map<number, string>();

/**
 * SQLite: one row (an enqueue) says its id through RETURNING. A batch does without:
 * RETURNING buffers every row and costs about as much again as the insert. The rows one
 * INSERT adds get consecutive rowids after the largest one (SQLite's documented choice for
 * an INTEGER PRIMARY KEY without AUTOINCREMENT), ending at `last_insert_rowid()`; read in
 * the same transaction, so no other insert comes between.
 */
async function insertSqlite(db: Db, rows: readonly NewTaskRow[]): Promise<{ id: number; lock_key: string | null }[]> {
  let sql = sqliteInserts.get(rows.length);
  if (!sql) {
    sql = `INSERT INTO tasks (${NEW_TASK_NAMES.join(", ")}, status) VALUES ${Array<string>(rows.length).fill(SQLITE_ROW).join(", ")} ${CONFLICT}${rows.length === 1 ? " RETURNING id, lock_key" : ""}`;
    sqliteInserts.set(rows.length, sql);
  }
  const params: (string | number | null)[] = [];
  for (const r of rows) for (const c of NEW_TASK_NAMES) params.push(r[c]);
  if (rows.length === 1) return db.all(sql, params);
  return db.tx(async () => {
    const inserted = await db.run(sql, params);
    const { last } = (await db.get<{ last: number }>("SELECT last_insert_rowid() AS last"))!;
    if (inserted === rows.length) return rows.map((r, i) => ({ id: last - rows.length + 1 + i, lock_key: r.lock_key }));
    // A lock key was taken: the rows that went in say which.
    return db.all("SELECT id, lock_key FROM tasks WHERE id > ? AND id <= ?", [last - inserted, last]);
  });
}

/**
 * PostgreSQL: the rows travel as one JSON parameter, in their order: one small statement to
 * plan whatever the batch size, instead of ten parameters per row.
 */
function insertPostgres(db: Db, keys: FairnessKeys, rows: readonly NewTaskRow[]): Promise<{ id: number; lock_key: string | null }[]> {
  const columns = NEW_TASK_NAMES.join(", ");
  const types = NEW_TASK_NAMES.map((c) => `${c} ${NEW_TASK_COLUMNS[c]}`).join(", ");
  const insert = `INSERT INTO tasks (${columns}, status)
     SELECT ${columns}, 'todo' FROM ROWS FROM (json_to_recordset(CAST(? AS json)) AS (${types})) WITH ORDINALITY AS r(${columns}, n) ORDER BY n
     ${CONFLICT} RETURNING id, lock_key, queue, fairness_key, priority, created_at, ready`;
  // PostgreSQL text cannot hold NUL: U+FFFD instead, as the driver does for parameters.
  const json = JSON.stringify(rows, (_k, v: unknown) => (typeof v === "string" ? v.replaceAll("\0", "\uFFFD") : v));
  return db.all(keys.offeringHeads(insert), [json, keys.agingPeriodMs]);
}
