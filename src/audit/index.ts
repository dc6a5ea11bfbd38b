import type { Db } from "../db/open.js";

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  detail: unknown;
}

/** Append-only record of decisions with consequences (cancellations, maintenance actions). */
export class AuditLog {
  private readonly sql;
  constructor(db: Db, private readonly now: () => number = Date.now) {
    this.sql = {
      add: db.prepare("INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)"),
      list: db.prepare("SELECT * FROM audit WHERE (@prefix IS NULL OR action LIKE @prefix || '%') ORDER BY id DESC LIMIT @limit"),
    };
  }

  add(e: { actor: string; action: string; subject?: string; detail?: unknown }): void {
    this.sql.add.run(this.now(), e.actor, e.action, e.subject ?? "", JSON.stringify(e.detail ?? null));
  }

  /** Newest first; `actionPrefix` e.g. "maintenance." */
  list(opts: { actionPrefix?: string; limit?: number } = {}): AuditEntry[] {
    const rows = this.sql.list.all({ prefix: opts.actionPrefix ?? null, limit: opts.limit ?? 100 }) as (Omit<AuditEntry, "detail"> & { detail: string })[];
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) }));
  }
}
