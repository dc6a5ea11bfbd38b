import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { deliveryTask, handled, onDelivery } from "../webhooks/index.js";
import { installationChange, installationPayload, parsePayload } from "../webhooks/payloads.js";
import { InstallationStore } from "./store.js";

export { InstallationStore } from "./store.js";

/**
 * Keeps installations and repositories current from `installation` and
 * `installation_repositories` events. A deleted installation's data is purged.
 */
export function setupInstallations(app: Probot, deps: AppDeps): void {
  const store = new InstallationStore(deps);
  onDelivery(
    app,
    deps,
    [
      "installation.created",
      "installation.new_permissions_accepted",
      "installation.unsuspend",
      "installation.suspend",
      "installation.deleted",
      "installation_repositories.added",
      "installation_repositories.removed",
    ],
    (context) => {
      const change = installationChange(parsePayload(installationPayload, context.payload));
      return { task: "sync-installation", payload: { change }, fairnessKey: `installation:${change.installation.id}`, priority: 40 };
    },
  );
  deliveryTask(deps, "sync-installation", async ({ change }) => {
    const i = change.installation;
    await deps.db.tx(async () => {
      if (change.action === "deleted") return store.purge(i.id);
      await store.upsert(i);
      if (change.action === "unsuspend") await store.setSuspended(i.id, null);
      if (change.action === "suspend") await store.setSuspended(i.id, Date.parse(i.suspended_at ?? "") || deps.now());
      for (const r of [...change.repositories, ...change.added]) await store.addRepo(i.id, r);
      for (const r of change.removed) await store.removeRepo(r.id);
    });
    return handled;
  });
}
