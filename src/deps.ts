import type { Logger } from "pino";
import type { Backends } from "./backends/index.js";
import type { CheckRunStore } from "./checks/store.js";
import type { Db } from "./db/open.js";
import type { GitHub } from "./github/octokit.js";
import type { Metrics } from "./metrics/index.js";
import type { PipelineStore } from "./pipeline/store.js";
import type { TaskHandlers, TaskStore } from "./queue/index.js";
import type { Settings } from "./settings.js";
import type { AppTasks } from "./tasks.js";

/**
 * What features get: handed to every `setupX(app, deps)`. Features never read
 * `process.env`; they take settings, stores and clients from here.
 */
export interface AppDeps {
  settings: Settings;
  db: Db;
  tasks: TaskStore<AppTasks>;
  /** Features register their task handlers here; the worker runs them. */
  taskHandlers: Partial<TaskHandlers<AppTasks>>;
  pipelines: PipelineStore;
  checks: CheckRunStore;
  backends: Backends;
  metrics: Metrics;
  log: Logger;
  now: () => number;
  /** The dashboard's public base URL (`dashboard.publicUrl`, else the server's own URL): check runs link job pages there. */
  publicUrl: string;
  /** An Octokit authenticated as the installation (tokens are cached by Probot). */
  github: (installationId: number) => Promise<GitHub>;
  /** An Octokit authenticated as the App itself (JWT): installation endpoints. */
  githubApp: () => Promise<GitHub>;
}
