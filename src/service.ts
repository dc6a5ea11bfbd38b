import type { Server as HttpServer } from "node:http";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Probot, Server } from "probot";
import type { Logger } from "pino";
import type { Backends } from "./backends/index.js";
import { removeStaleStaging } from "./backends/openscanhub/upload.js";
import { openDatabase } from "./db/open.js";
import { SettingsError, toError } from "./errors.js";
import { createDeps, type AppDeps } from "./deps.js";
import { createOctokitClass } from "./github/octokit.js";
import { checkRedis } from "./github/redis.js";
import { dashboardHandler } from "./dashboard/index.js";
import { pendingApprovals } from "./approval/dashboard.js";
import { ApprovalStore } from "./approval/store.js";
import { healthHandler, loopsAlive } from "./health/index.js";
import { resumePendingFlushes } from "./checks/index.js";
import { createApp } from "./index.js";
import { createMetrics, type Metrics } from "./metrics/index.js";
import { metricsHandler, startMetricsServer } from "./metrics/http.js";
import { reconcileIntents } from "./pipeline/runner.js";
import { Worker, exponentialBackoff } from "./queue/index.js";
import type { Role, Settings } from "./settings.js";
import { DELIVERY_QUEUE, LONG_QUEUE, SHORT_QUEUE, type AppTasks } from "./tasks.js";
import { startMaintenanceCron } from "./maintenance/cron.js";
import { freePort } from "./util/net.js";
import { startRouteServer, type Route } from "./util/route-server.js";
import { guardWebhookRequests } from "./webhooks/http-guard.js";

export interface ServiceOptions {
  settings: Settings;
  log: Logger;
  /** GitHub App credentials; without them the service serves Probot's setup page. */
  appId?: number;
  privateKey?: string;
  webhookSecret?: string;
  host?: string;
  /** 0 picks a free port (Probot itself would read 0 as 3000). */
  port?: number;
  webhookPath?: string;
  /** A smee.io channel to receive webhooks from (development behind NAT). */
  webhookProxy?: string;
  /** Replace the backend clients built from settings (benchmarks). */
  backends?: Backends;
  metrics?: Metrics;
  now?: () => number;
}

export interface Service {
  /** Base URL the server listens on, e.g. http://127.0.0.1:3000 */
  url: string;
  /** "app" once credentials are set; "setup" while the App still has to be registered. */
  mode: "app" | "setup";
  role: Role;
  /** Where Prometheus scrapes: a port of its own, or the public one with a bearer token (`metrics.*`). */
  metricsUrl?: string;
  deps?: AppDeps;
  stop(): Promise<void>;
}

/**
 * Start the service in this process, in its role (`settings.role`):
 * - `all`: the Probot server (webhooks, health, the dashboard), the workers (pools for
 *   long tasks, for short tasks and for what deliveries imply) and the maintenance cron;
 * - `web`: the server only — it records deliveries and queues tasks, never claims one;
 * - `worker`: the workers and the cron, with a server for health and metrics only.
 * On the embedded SQLite database or PostgreSQL; with `redis.url`, GitHub rate limits
 * are shared with every other process on that Redis.
 */
export async function startService(opts: ServiceOptions): Promise<Service> {
  const { settings, log } = opts;
  const role = settings.role;
  const hasCredentials = Boolean(opts.appId && opts.privateKey);
  if (role === "worker" && !hasCredentials) {
    throw new SettingsError(
      "role worker: needs the GitHub App's credentials (APP_ID, and PRIVATE_KEY or PRIVATE_KEY_PATH); register the App through a web process first",
    );
  }
  // Without a secret Probot would take every delivery unsigned: anyone could start jobs as GitHub.
  if (hasCredentials && !opts.webhookSecret) {
    throw new SettingsError(
      "the GitHub App's credentials are set but WEBHOOK_SECRET is not: set it to the App's webhook secret (its settings page on GitHub); deliveries are only taken signed",
    );
  }
  if (settings.redis.url && hasCredentials) await checkRedis(settings.redis.url);
  const db = await openDatabase({ ...settings.database, onError: (err) => log.warn({ err: err.message }, "database connection lost") });
  const metrics = opts.metrics ?? createMetrics();
  const host = opts.host ?? "localhost";
  const port = opts.port === 0 ? await freePort() : (opts.port ?? 3000);

  if (!hasCredentials) return startSetupMode({ db, log, host, port, role });

  const now = opts.now ?? Date.now;
  const deps = createDeps({
    settings,
    db,
    log,
    metrics,
    now,
    backends: opts.backends,
    publicUrl: settings.dashboard.publicUrl ?? `http://${host}:${port}`,
  });
  const { tasks } = deps;

  const Octokit = createOctokitClass({
    log,
    metrics,
    retries: settings.github.rateLimitRetries,
    writeIntervalMs: settings.github.writeIntervalMs,
    notificationIntervalMs: settings.github.notificationIntervalMs,
    requestTimeoutMs: settings.github.requestTimeoutMs,
    retryBaseMs: settings.github.retryBaseMs,
  });
  const probotOptions = {
    appId: opts.appId,
    privateKey: opts.privateKey,
    secret: opts.webhookSecret,
    baseUrl: settings.github.baseUrl,
    log,
    Octokit,
    // Probot's own Redis support: the throttling plugin's limiters (and, through its connection, our write lanes) live there.
    redisConfig: settings.redis.url,
  };
  const runsWorkers = role !== "web";
  const workers: Worker<AppTasks>[] = [];
  const startedAt = Date.now();
  // A pool stuck this long has stopped renewing its leases: other replicas take its tasks over.
  const stallMs = Math.max(3 * settings.worker.pollIntervalMs, settings.worker.leaseMs / 2);
  const health = healthHandler({
    role,
    db,
    loops: runsWorkers
      ? () =>
          loopsAlive(
            workers.map((w) => ({ id: w.id, lastTickAt: w.lastTickAt ?? startedAt })),
            Date.now(),
            stallMs,
          )
      : undefined,
  });

  const approvals = new ApprovalStore(db, now);
  const sampled = {
    counts: () => tasks.counts(),
    waitingInstallations: async () => (await approvals.waitingInstallations(settings.approval.installations)).length,
  };
  // /metrics on the public port only behind a bearer token; otherwise on a port of its own.
  const routes = settings.metrics.token ? [health, metricsHandler({ metrics, store: sampled, token: settings.metrics.token })] : [health];
  const front =
    role === "worker"
      ? await startHealthServer({ deps, probotOptions, routes, host, port })
      : await startWebServer({
          deps,
          probotOptions,
          routes,
          host,
          port,
          webhookPath: opts.webhookPath,
          webhookProxy: opts.webhookProxy,
          signingSecret: opts.privateKey!,
        });
  const ownMetrics =
    settings.metrics.port !== undefined || !settings.metrics.token
      ? await startMetricsServer({ metrics, store: sampled, host: settings.metrics.host, port: settings.metrics.port ?? 0 })
      : undefined;
  if (ownMetrics) log.info({ url: ownMetrics.url }, "metrics served");

  if (runsWorkers) {
    await resumePendingFlushes(deps);
    // Submissions a crash cut short before their backend id was stored: adopt them or make them once.
    await reconcileIntents(deps);
    workers.push(...startWorkers(deps));
    // SRPMs a killed process was moving to OpenScanHub are still on disk.
    removeStaleStaging(settings.backends.openscanhub.tempDir)
      .then((n) => n > 0 && log.info({ removed: n }, "removed stale OpenScanHub staging directories"))
      .catch((err: unknown) => log.warn({ err: toError(err).message }, "could not look for stale OpenScanHub staging"));
  }
  const cron = runsWorkers && settings.cron.enabled ? startMaintenanceCron(deps) : undefined;

  return {
    url: `http://${host}:${front.port}`,
    mode: "app",
    role,
    metricsUrl: ownMetrics?.url ?? `http://${host}:${front.port}/metrics`,
    deps,
    async stop() {
      cron?.stop();
      await front.stop();
      await ownMetrics?.stop();
      await Promise.all(workers.map((w) => w.stop(settings.worker.leaseMs / 2)));
      await Promise.all(Object.values(deps.backends).map((b) => b.close?.() ?? Promise.resolve()));
      await tasks.stopWatching();
      await Octokit.close();
      await db.close();
    },
  };
}

type ProbotOptions = ConstructorParameters<typeof Probot>[0] & {};
interface Front {
  port: number;
  stop(): Promise<void>;
}

/** The web role's server: Probot's (webhooks at `/` and the webhook path), the app's routes, health, the dashboard. */
async function startWebServer(o: {
  deps: AppDeps;
  probotOptions: ProbotOptions;
  routes: Route[];
  host: string;
  port: number;
  webhookPath?: string;
  webhookProxy?: string;
  signingSecret: string;
}): Promise<Front> {
  const { deps } = o;
  const server = new Server({
    host: o.host,
    port: o.port,
    webhookPath: o.webhookPath,
    webhookProxy: o.webhookProxy,
    log: deps.log,
    Probot: Probot.defaults(o.probotOptions),
  });
  await server.load(async (app, { addHandler }) => {
    deps.github = (installationId) => app.auth(installationId);
    deps.githubApp = () => app.auth();
    await createApp(deps)(app, { cwd: process.cwd(), addHandler });
    for (const route of o.routes) addHandler(route);
    addHandler(dashboardHandler(deps, { signingSecret: o.signingSecret, approvals: pendingApprovals(deps) }));
    // Probot's setup page registers `<base URL>/` as the App's webhook URL: answer deliveries there too.
    addHandler(await app.getNodeMiddleware({ path: "/" }));
  });
  const http = await server.start();
  guardWebhookRequests(http, { paths: ["/", o.webhookPath ?? "/api/github/webhooks"] });
  return { port: boundPort(http, o.port), stop: () => server.stop() };
}

/**
 * The worker role's server: health, readiness and metrics, nothing else. The app is
 * loaded (its task handlers, GitHub clients) but its routes are not served: webhooks,
 * Testing Farm notifications and pages go to the web processes.
 */
async function startHealthServer(o: {
  deps: AppDeps;
  probotOptions: ProbotOptions;
  routes: Route[];
  host: string;
  port: number;
}): Promise<Front> {
  const { deps } = o;
  const probot = new Probot(o.probotOptions);
  deps.github = (installationId) => probot.auth(installationId);
  deps.githubApp = () => probot.auth();
  await probot.load(createApp(deps), { cwd: process.cwd(), addHandler: () => undefined });
  return startRouteServer({
    routes: o.routes,
    host: o.host,
    port: o.port,
    notFound: {
      contentType: "application/json",
      body: '{"error":"not found: a worker process serves /healthz, /readyz and /metrics only"}',
    },
    onError: (err) => deps.log.error({ err: toError(err) }, "health request failed"),
  });
}

function boundPort(http: HttpServer, fallback: number): number {
  const address = http.address();
  return typeof address === "object" && address ? address.port : fallback;
}

/** The long-task pool, the pool reserved for short tasks and the one for what deliveries imply. */
export function startWorkers(deps: AppDeps): Worker<AppTasks>[] {
  const { settings, tasks, metrics, log } = deps;
  const common = {
    pollIntervalMs: settings.worker.pollIntervalMs,
    leaseMs: settings.worker.leaseMs,
    retry: exponentialBackoff({ baseMs: settings.worker.retryBaseMs, maxMs: settings.worker.retryMaxMs }),
    log: log.child({ name: "worker" }),
    onTaskEnd: ({
      task,
      outcome,
      durationMs,
      waitedMs,
    }: {
      task: { name: string; queue: string };
      outcome: string;
      durationMs: number;
      waitedMs: number;
    }) => {
      metrics.taskDuration.observe({ task: task.name, outcome }, durationMs / 1000);
      metrics.taskWait.observe({ queue: task.queue }, Math.max(0, waitedMs) / 1000);
    },
  };
  const pools = [
    new Worker(tasks, deps.taskHandlers, {
      ...common,
      id: `long-${process.pid}`,
      queues: [LONG_QUEUE],
      concurrency: settings.worker.concurrency,
    }),
    new Worker(tasks, deps.taskHandlers, {
      ...common,
      id: `short-${process.pid}`,
      queues: [SHORT_QUEUE],
      concurrency: settings.worker.shortConcurrency,
    }),
    new Worker(tasks, deps.taskHandlers, {
      ...common,
      id: `deliveries-${process.pid}`,
      queues: [DELIVERY_QUEUE],
      concurrency: settings.worker.deliveryConcurrency,
    }),
  ];
  for (const w of pools) w.start();
  return pools;
}

/**
 * No App credentials yet: serve Probot's own setup page (the manifest flow that
 * registers the App from app.yml) plus the health endpoints. Probot exports the
 * setup flow only through `run()`, which cannot add handlers, so we load its
 * setup handler factory from the installed package.
 */
async function startSetupMode(o: { db: AppDeps["db"]; log: Logger; host: string; port: number; role: Role }): Promise<Service> {
  // smee.io cannot be reached from every machine; set WEBHOOK_PROXY_URL to use it.
  process.env.NO_SMEE_SETUP ??= "true";
  const probotLib = dirname(fileURLToPath(import.meta.resolve("probot")));
  const { setupAppFactory } = (await import(pathToFileURL(join(probotLib, "apps", "setup.js")).href)) as {
    setupAppFactory: (o: { host: string; port: number; log: Logger }) => Parameters<Server["loadHandlerFactory"]>[0];
  };
  const server = new Server({
    host: o.host,
    port: o.port,
    log: o.log,
    Probot: Probot.defaults({ appId: 1, privateKey: "unused in setup mode", log: o.log }),
  });
  await server.loadHandlerFactory(setupAppFactory({ host: o.host, port: o.port, log: o.log.child({ name: "setup" }) }));
  server.addHandler(healthHandler({ role: o.role, db: o.db }));
  const http = await server.start();
  return {
    url: `http://${o.host}:${boundPort(http, o.port)}`,
    mode: "setup",
    role: o.role,
    async stop() {
      await server.stop();
      await o.db.close();
    },
  };
}
