import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { handled, onDelivery } from "../webhooks/index.js";
import { installationPayload, parsePayload } from "../webhooks/payloads.js";
import { InstallationStore } from "./store.js";

export { InstallationStore } from "./store.js";

/**
 * Keeps installations and repositories current from `installation` and
 * `installation_repositories` events. A deleted installation's data is purged.
 */
export function setupInstallations(app: Probot, deps: AppDeps): void {
  const store = new InstallationStore(deps);
  onDelivery(app, deps, ["installation.created", "installation.new_permissions_accepted", "installation.unsuspend"], async (context) => {
    const p = parsePayload(installationPayload, context.payload);
    await deps.db.tx(async () => {
      await store.upsert(p.installation);
      if (p.action === "unsuspend") await store.setSuspended(p.installation.id, null);
      for (const r of p.repositories ?? []) await store.addRepo(p.installation.id, r);
    });
    return handled;
  });
  onDelivery(app, deps, "installation.suspend", async (context) => {
    const p = parsePayload(installationPayload, context.payload);
    await deps.db.tx(async () => {
      await store.upsert(p.installation);
      await store.setSuspended(p.installation.id, Date.parse(p.installation.suspended_at ?? "") || deps.now());
    });
    return handled;
  });
  onDelivery(app, deps, "installation.deleted", async (context) => {
    await store.purge(parsePayload(installationPayload, context.payload).installation.id);
    return handled;
  });
  onDelivery(app, deps, ["installation_repositories.added", "installation_repositories.removed"], async (context) => {
    const p = parsePayload(installationPayload, context.payload);
    await deps.db.tx(async () => {
      await store.upsert(p.installation);
      for (const r of p.repositories_added ?? []) await store.addRepo(p.installation.id, r);
      for (const r of p.repositories_removed ?? []) await store.removeRepo(r.id);
    });
    return handled;
  });
}
