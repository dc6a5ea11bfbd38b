import type { Db } from "../db/types.js";

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
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** `repoId`: the repository it concerns, when one (the dashboard shows it only to those who can read it). */
  async add(e: { actor: string; action: string; subject?: string; detail?: unknown; repoId?: number | null }): Promise<void> {
    await this.db.run("INSERT INTO audit (at, actor, action, subject, detail, repo_id) VALUES (?, ?, ?, ?, ?, ?)", [
      this.now(),
      e.actor,
      e.action,
      e.subject ?? "",
      JSON.stringify(e.detail ?? null),
      e.repoId ?? null,
    ]);
  }

  /** Newest first; `actionPrefix` e.g. "maintenance.", or one exact `action` (oldest first). */
  async list(opts: { actionPrefix?: string; action?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const rows = opts.action
      ? await this.db.all<RawEntry>("SELECT id, at, actor, action, subject, detail FROM audit WHERE action = ? ORDER BY id LIMIT ?", [
          opts.action,
          opts.limit ?? 1000,
        ])
      : opts.actionPrefix
        ? await this.db.all<RawEntry>(
            "SELECT id, at, actor, action, subject, detail FROM audit WHERE action LIKE ? ORDER BY id DESC LIMIT ?",
            [`${opts.actionPrefix.replace(/[%_]/g, "")}%`, opts.limit ?? 100],
          )
        : await this.db.all<RawEntry>("SELECT id, at, actor, action, subject, detail FROM audit ORDER BY id DESC LIMIT ?", [
            opts.limit ?? 100,
          ]);
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as unknown }));
  }

  /** Retention: forget entries older than `before`. */
  async prune(before: number): Promise<number> {
    return this.db.run("DELETE FROM audit WHERE at < ?", [before]);
  }
}

type RawEntry = Omit<AuditEntry, "detail"> & { detail: string };
