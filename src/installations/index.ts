import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { handled, onDelivery } from "../webhooks/index.js";
import { installationPayload, parsePayload } from "../webhooks/payloads.js";

/**
 * Keeps installations and repositories current from `installation` and
 * `installation_repositories` events. A deleted installation's data is purged.
 */
export function setupInstallations(app: Probot, deps: AppDeps): void {
  const store = new InstallationStore(deps);
  onDelivery(app, deps, ["installation.created", "installation.new_permissions_accepted", "installation.unsuspend"], async (context) => {
    const p = parsePayload(installationPayload, context.payload);
    store.upsert(p.installation);
    if (p.action === "unsuspend") store.setSuspended(p.installation.id, null);
    for (const r of p.repositories ?? []) store.addRepo(p.installation.id, r);
    return handled;
  });
  onDelivery(app, deps, "installation.suspend", async (context) => {
    const p = parsePayload(installationPayload, context.payload);
    store.upsert(p.installation);
    store.setSuspended(p.installation.id, Date.parse(p.installation.suspended_at ?? "") || deps.now());
    return handled;
  });
  onDelivery(app, deps, "installation.deleted", async (context) => {
    store.purge(parsePayload(installationPayload, context.payload).installation.id);
    return handled;
  });
  onDelivery(app, deps, ["installation_repositories.added", "installation_repositories.removed"], async (context) => {
    const p = parsePayload(installationPayload, context.payload);
    store.upsert(p.installation);
    for (const r of p.repositories_added ?? []) store.addRepo(p.installation.id, r);
    for (const r of p.repositories_removed ?? []) store.removeRepo(r.id);
    return handled;
  });
}

/** Installation and repository rows, as the events and the maintenance sweep change them. */
export class InstallationStore {
  constructor(private readonly deps: Pick<AppDeps, "db" | "pipelines" | "now">) {}

  upsert(i: { id: number; account?: { login?: string; type?: string }; created_at?: string | number }): void {
    // GitHub sends created_at as an ISO date, or as epoch seconds in some payloads.
    const created = typeof i.created_at === "number" ? i.created_at * 1000 : i.created_at ? Date.parse(i.created_at) : NaN;
    this.deps.pipelines.upsertInstallation({
      id: i.id,
      login: i.account?.login ?? String(i.id),
      type: i.account?.type,
      createdAt: Number.isFinite(created) ? created : undefined,
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
