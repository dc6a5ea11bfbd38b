import type { AppDeps } from "../deps.js";

/** A live (not uninstalled) installation, as the maintenance sweep reads it. */
export interface LiveInstallation {
  id: number;
  account_login: string;
  created_at: number;
  suspended_at: number | null;
}

/** Installation and repository rows, as the events and the maintenance sweep change them. */
export class InstallationStore {
  constructor(private readonly deps: Pick<AppDeps, "db" | "pipelines" | "now">) {}

  async upsert(i: { id: number; account?: { login?: string; type?: string }; created_at?: string | number }): Promise<void> {
    // GitHub sends created_at as an ISO date, or as epoch seconds in some payloads.
    const created = typeof i.created_at === "number" ? i.created_at * 1000 : i.created_at ? Date.parse(i.created_at) : NaN;
    await this.deps.pipelines.upsertInstallation({
      id: i.id,
      login: i.account?.login ?? String(i.id),
      type: i.account?.type,
      createdAt: Number.isFinite(created) ? created : undefined,
    });
  }

  async addRepo(
    installationId: number,
    r: { id: number; full_name: string; node_id?: string; name?: string; private?: boolean },
  ): Promise<void> {
    const [owner, name] = r.full_name.split("/") as [string, string];
    await this.deps.pipelines.upsertRepo({ id: r.id, installationId, owner, name: r.name ?? name, nodeId: r.node_id, private: r.private });
  }

  async removeRepo(repoId: number): Promise<void> {
    const { db, now } = this.deps;
    await db.tx(async () => {
      await db.run("UPDATE repositories SET removed_at = ? WHERE id = ?", [now(), repoId]);
      await db.run("DELETE FROM config_state WHERE repo_id = ?", [repoId]);
    });
  }

  async setSuspended(id: number, at: number | null): Promise<void> {
    await this.deps.db.run("UPDATE installations SET suspended_at = ?, updated_at = ? WHERE id = ?", [at, this.deps.now(), id]);
  }

  /** Forget an uninstalled installation: its repositories' config cache and rows; jobs history stays. */
  async purge(id: number): Promise<void> {
    const { db, now } = this.deps;
    await db.tx(async () => {
      await db.run("DELETE FROM config_state WHERE repo_id IN (SELECT id FROM repositories WHERE installation_id = ?)", [id]);
      await db.run("UPDATE repositories SET removed_at = ? WHERE installation_id = ?", [now(), id]);
      await db.run("UPDATE installations SET deleted_at = ?, updated_at = ? WHERE id = ?", [now(), now(), id]);
    });
  }

  /** Installations not uninstalled, oldest id first. */
  async live(): Promise<LiveInstallation[]> {
    return this.deps.db.all<LiveInstallation>(
      "SELECT id, account_login, created_at, suspended_at FROM installations WHERE deleted_at IS NULL ORDER BY id",
    );
  }
}
