import type { ApplicationFunction } from "probot";
import { setupCancel } from "./cancel/index.js";
import { setupCheckActions } from "./checks/actions.js";
import { setupChecks } from "./checks/index.js";
import { setupCommands } from "./commands/index.js";
import type { AppDeps } from "./deps.js";
import { setupInstallations } from "./installations/index.js";
import { setupMaintenance } from "./maintenance/index.js";
import { setupPipeline } from "./pipeline/index.js";
import { testingFarmNotificationHandler } from "./pipeline/notifications.js";

/** The Probot app: each feature registers its webhook handlers and tasks. */
export function createApp(deps: AppDeps): ApplicationFunction {
  return (app, { addHandler }) => {
    setupInstallations(app, deps);
    setupPipeline(app, deps);
    setupChecks(app, deps);
    setupCheckActions(app, deps);
    setupCancel(app, deps);
    setupCommands(app, deps);
    setupMaintenance(app, deps);
    addHandler(testingFarmNotificationHandler(deps));
    app.onError((err) => {
      deps.log.error({ err: err.message, event: (err as { event?: { name?: string } }).event?.name }, "webhook handler error");
    });
  };
}
