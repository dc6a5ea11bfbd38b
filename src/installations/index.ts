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
      if (change.action === "created") await announceApproval(deps, i.id);
      if (change.action === "unsuspend") await store.setSuspended(i.id, null);
      if (change.action === "suspend") await store.setSuspended(i.id, Date.parse(i.suspended_at ?? "") || deps.now());
      for (const r of [...change.repositories, ...change.added]) await store.addRepo(i.id, r);
      for (const r of change.removed) await store.removeRepo(r.id);
    });
    return handled;
  });
}

/** A new installation: the gate's verdict on it is audited, and a waiting one is named in the log for the operator. */
async function announceApproval(deps: AppDeps, id: number): Promise<void> {
  const approval = deps.approval;
  const { state, login } = await approval.installationState(id);
  const setting = deps.settings.approval.installations;
  await approval.audit.add({
    actor: state === "waiting" ? "packit-probot" : "settings",
    action: `approval.installation.${state}`,
    subject: login,
    detail: {
      installation: id,
      reason: state === "waiting" ? "new installation" : setting === "open" ? "approval.installations: open" : "on the allow-list",
    },
  });
  if (state === "waiting")
    deps.log.warn(
      { installation: id, account: login },
      `new installation waiting for approval: npm run cli -- installations approve ${login}`,
    );
}
