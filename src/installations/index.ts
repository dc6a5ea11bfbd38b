import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { handled, onDelivery } from "../webhooks/index.js";

type Payload = Record<string, any>;

/**
 * Keeps installations and repositories current from `installation` and
 * `installation_repositories` events. A deleted installation's data is purged.
 */
export function setupInstallations(app: Probot, deps: AppDeps): void {
  const store = new InstallationStore(deps);
  onDelivery(app, deps, ["installation.created", "installation.new_permissions_accepted", "installation.unsuspend"], async (context) => {
    const p = context.payload as Payload;
    store.upsert(p.installation);
    if (context.payload.action === "unsuspend") store.setSuspended(p.installation.id, null);
    for (const r of p.repositories ?? []) store.addRepo(p.installation.id, r);
    return handled;
  });
  onDelivery(app, deps, "installation.suspend", async (context) => {
    const p = context.payload as Payload;
    store.upsert(p.installation);
    store.setSuspended(p.installation.id, Date.parse(p.installation.suspended_at ?? "") || deps.now());
    return handled;
  });
  onDelivery(app, deps, "installation.deleted", async (context) => {
    store.purge((context.payload as Payload).installation.id);
    return handled;
  });
  onDelivery(app, deps, ["installation_repositories.added", "installation_repositories.removed"], async (context) => {
    const p = context.payload as Payload;
    store.upsert(p.installation);
    for (const r of p.repositories_added ?? []) store.addRepo(p.installation.id, r);
    for (const r of p.repositories_removed ?? []) store.removeRepo(r.id);
    return handled;
  });
}

/** Installation and repository rows, as the events and the maintenance sweep change them. */
export class InstallationStore {
  constructor(private readonly deps: Pick<AppDeps, "db" | "pipelines" | "now">) {}

  upsert(i: { id: number; account?: { login?: string; type?: string }; created_at?: string }): void {
    this.deps.pipelines.upsertInstallation({
      id: i.id,
      login: i.account?.login ?? String(i.id),
      type: i.account?.type,
      createdAt: i.created_at ? Date.parse(i.created_at) : undefined,
    });
  }

  addRepo(installationId: number, r: { id: number; full_name: string; node_id?: string; name?: string }): void {
    const [owner, name] = r.full_name.split("/") as [string, string];
    this.deps.pipelines.upsertRepo({ id: r.id, installationId, owner, name: r.name ?? name, nodeId: r.node_id });
  }

  removeRepo(repoId: number): void {
    this.deps.db.prepare("UPDATE repositories SET removed_at = ? WHERE id = ?").run(this.deps.now(), repoId);
    this.deps.db.prepare("DELETE FROM config_state WHERE repo_id = ?").run(repoId);
  }

  setSuspended(id: number, at: number | null): void {
    this.deps.db.prepare("UPDATE installations SET suspended_at = ?, updated_at = ? WHERE id = ?").run(at, this.deps.now(), id);
  }

  /** Forget an uninstalled installation: its repositories' config cache and rows; jobs history stays. */
  purge(id: number): void {
    const { db, now } = this.deps;
    db.transaction(() => {
      db.prepare("DELETE FROM config_state WHERE repo_id IN (SELECT id FROM repositories WHERE installation_id = ?)").run(id);
      db.prepare("UPDATE repositories SET removed_at = ? WHERE installation_id = ?").run(now(), id);
      db.prepare("UPDATE installations SET deleted_at = ?, updated_at = ? WHERE id = ?").run(now(), now(), id);
    })();
  }
}
