import type { Db, SqlValue } from "./types.js";

/**
 * The tables of an installation, parents before children (foreign keys). The
 * self-references that point forward (`pipelines.superseded_by`) are filled in after
 * every row is there.
 */
export const TABLES = [
  "installations",
  "repositories",
  "config_state",
  "pipelines",
  "pr_approvals",
  "jobs",
  "job_events",
  "check_runs",
  "tasks",
  "task_keys",
  "locks",
  "deliveries",
  "audit",
  "dashboard_sessions",
] as const;

/** Tables whose integer `id` is an identity column on PostgreSQL (deliveries' id is GitHub's text). */
const IDENTITY = new Set(["installations", "repositories", "pipelines", "jobs", "job_events", "check_runs", "tasks", "audit"]);

/** Columns whose value may name a row copied later; set once all rows are in. */
const DEFERRED: Partial<Record<(typeof TABLES)[number], string>> = { pipelines: "superseded_by" };

/** Rows per INSERT (PostgreSQL takes at most 65,535 parameters a statement). */
const BATCH = 500;

/** Rows of each table. */
export async function rowCounts(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t}`))!.n;
  return out;
}

/**
 * Copy every row of a SQLite installation into an empty PostgreSQL database (both
 * already migrated to the same version), in one transaction: all or nothing.
 * Identity sequences are set past the copied ids. Refuses a target that holds any row.
 * Returns the rows copied per table.
 */
export async function copyDatabase(source: Db, target: Db): Promise<Record<string, number>> {
  if (target.dialect !== "postgres") throw new Error("the target must be a PostgreSQL database");
  const existing = Object.entries(await rowCounts(target)).filter(([, n]) => n > 0);
  if (existing.length > 0) {
    throw new Error(
      `the target database is not empty (${existing.map(([t, n]) => `${t}: ${n} rows`).join(", ")}); copy into an empty database`,
    );
  }
  const copied: Record<string, number> = {};
  await target.tx(async () => {
    for (const table of TABLES) {
      const columns = (await source.all<{ name: string }>(`SELECT name FROM pragma_table_info('${table}') ORDER BY cid`)).map(
        (c) => c.name,
      );
      const deferred = DEFERRED[table];
      const inserted = columns.filter((c) => c !== deferred);
      const order = columns.includes("id") ? "id" : columns.join(", ");
      copied[table] = 0;
      for (let offset = 0; ; offset += BATCH) {
        const rows = await source.all<Record<string, SqlValue>>(
          `SELECT ${columns.join(", ")} FROM ${table} ORDER BY ${order} LIMIT ? OFFSET ?`,
          [BATCH, offset],
        );
        if (rows.length === 0) break;
        const values = rows.map(() => `(${inserted.map(() => "?").join(", ")})`).join(", ");
        await target.run(
          `INSERT INTO ${table} (${inserted.join(", ")}) VALUES ${values}`,
          rows.flatMap((r) => inserted.map((c) => r[c] ?? null)),
        );
        if (deferred) {
          for (const r of rows)
            if (r[deferred] !== null) await target.run(`UPDATE ${table} SET ${deferred} = ? WHERE id = ?`, [r[deferred]!, r.id!]);
        }
        copied[table] += rows.length;
      }
      if (IDENTITY.has(table)) {
        // Identity columns: new rows must get ids past the copied ones.
        await target.get(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), COALESCE((SELECT MAX(id) FROM ${table}), 0) + 1, false)`);
      }
    }
    await target.get("SELECT setval('task_claim_seq', COALESCE((SELECT MAX(last_claim_seq) FROM task_keys), 0) + 1, false)");
  });
  return copied;
}
