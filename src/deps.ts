import type { Logger } from "pino";
import { Approval } from "./approval/index.js";
import { createBackends, type Backends } from "./backends/index.js";
import { CheckRunStore } from "./checks/store.js";
import { GroupCommit } from "./db/group-commit.js";
import type { Db } from "./db/open.js";
import { createOctokitClass, type GitHub } from "./github/octokit.js";
import type { Metrics } from "./metrics/index.js";
import { PipelineStore } from "./pipeline/store.js";
import { TaskStore, type TaskHandlers } from "./queue/index.js";
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
  /** What the webhook path writes per delivery: deliveries arriving together share a commit. */
  deliveryCommits: GroupCommit;
  /** Features register their task handlers here; the worker runs them. */
  taskHandlers: Partial<TaskHandlers<AppTasks>>;
  pipelines: PipelineStore;
  checks: CheckRunStore;
  /** The approval rules' store, permission cache and flood counters (one per service: a test's never sees another's cache). */
  approval: Approval;
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

/**
 * The one way to assemble `AppDeps`, for the service and the CLI alike. The GitHub
 * clients refuse until given (the service sets them once Probot has loaded the app).
 */
export function createDeps(o: {
  settings: Settings;
  db: Db;
  log: Logger;
  metrics: Metrics;
  publicUrl: string;
  now?: () => number;
  backends?: Backends;
  github?: AppDeps["github"];
  githubApp?: AppDeps["githubApp"];
}): AppDeps {
  const { settings, db } = o;
  const now = o.now ?? Date.now;
  const notLoaded = () => Promise.reject(new Error("GitHub client used before the app was loaded"));
  return {
    approval: new Approval({ db, now, settings }),
    settings,
    db,
    tasks: new TaskStore<AppTasks>(db, { now, agingMs: settings.worker.agingMs, defaultMaxAttempts: settings.worker.maxAttempts }),
    deliveryCommits: new GroupCommit(db),
    taskHandlers: {},
    pipelines: new PipelineStore(db, now),
    checks: new CheckRunStore(db, now),
    backends: o.backends ?? createBackends(settings.backends),
    metrics: o.metrics,
    log: o.log,
    now,
    publicUrl: o.publicUrl,
    github: o.github ?? notLoaded,
    githubApp: o.githubApp ?? notLoaded,
  };
}

/** The Octokit class (throttling, lanes, metrics) with the `github.*` settings: the service's Probot and the CLI's are built with it. */
export function createAppOctokit(o: { settings: Settings; log: Logger; metrics: Metrics }) {
  const { github } = o.settings;
  return createOctokitClass({
    log: o.log,
    metrics: o.metrics,
    retries: github.rateLimitRetries,
    writeIntervalMs: github.writeIntervalMs,
    notificationIntervalMs: github.notificationIntervalMs,
    requestTimeoutMs: github.requestTimeoutMs,
    retryBaseMs: github.retryBaseMs,
  });
}
