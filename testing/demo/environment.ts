import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { backendSettings, startFakes, stopFakes, type Fakes } from "../fakes/all.js";
import { startGitHubSim, sendWebhook, type GitHubSim } from "../github-sim/index.js";
import { createLogger } from "../../src/log.js";
import { startService, type Service } from "../../src/service.js";
import { deepMerge, parseSettings, type Settings } from "../../src/settings.js";
import type { AppDeps } from "../../src/deps.js";
import type { RepoRow } from "../../src/pipeline/store.js";
import { createScratchDatabase, type ScratchDatabase } from "./postgres.js";

export interface Environment {
  sim: GitHubSim;
  fakes: Fakes;
  service: Service;
  deps: AppDeps;
  settings: Settings;
  /** Deliver a signed webhook to the app over HTTP, as GitHub would. */
  send(event: string, payload: object, deliveryId?: string): Promise<{ status: number; body: string }>;
  /** Stop the service (not GitHub or the backends) and start it again on the same database. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface EnvironmentOptions {
  /** Settings over the fast defaults below (deep-merged). */
  settings?: Record<string, unknown>;
  log?: Logger;
  /** Backend phase length in the fakes, ms (how fast builds and tests progress). */
  phaseMs?: number;
  githubLatencyMs?: number;
  /** Keep the database here instead of a temp dir (restart tests). */
  databasePath?: string;
  /**
   * A PostgreSQL server: the service runs on a fresh database of its own there,
   * dropped at stop, instead of SQLite (the demo and replay pass `DATABASE_URL`).
   */
  postgresUrl?: string;
  port?: number;
}

/**
 * A whole working world on loopback: the simulated GitHub, the five fake backends
 * and the real service (Probot server, workers, its database) configured to use them,
 * with timings shortened so a pipeline finishes in a second. Koji and OpenScanHub
 * take Kerberos only, as Fedora's do: a throwaway KDC (one per process) issues the
 * app's keytab. The demo, replay, benchmarks and end-to-end tests all use it.
 */
export async function startEnvironment(opts: EnvironmentOptions = {}): Promise<Environment> {
  const phaseMs = opts.phaseMs ?? 60;
  const [sim, fakes] = await Promise.all([startGitHubSim({ latencyMs: opts.githubLatencyMs ?? 0 }), startFakes({ phaseMs })]);
  const stopServers = () => Promise.all([sim.stop(), stopFakes(fakes)]);
  const dir = opts.databasePath ? undefined : mkdtempSync(join(tmpdir(), "packit-probot-env-"));
  const postgresUrl = opts.databasePath ? undefined : opts.postgresUrl;
  let scratch: ScratchDatabase | undefined;
  try {
    scratch = postgresUrl ? await createScratchDatabase(postgresUrl, "packit_env") : undefined;
  } catch (err) {
    await stopServers();
    throw err;
  }
  const dropScratch = async () => scratch?.drop();
  const base: Record<string, unknown> = {
    database: scratch ? { url: scratch.url } : { path: opts.databasePath ?? join(dir!, "packit-probot.sqlite") },
    worker: { pollIntervalMs: 50, leaseMs: 2000, retryBaseMs: 50, retryMaxMs: 500, maxAttempts: 4 },
    polling: { intervalMs: Math.min(250, Math.max(20, Math.round(phaseMs / 2))), maxIntervalMs: Math.min(1000, phaseMs * 2) },
    checks: { flushWindowMs: 10 },
    cron: { enabled: false },
    // GitHub's pacing of comments (3 s) and its retry waits would only make the scenario wait: the simulator needs neither.
    github: { baseUrl: sim.url, rateLimitRetries: 3, writeIntervalMs: 20, notificationIntervalMs: 20, retryBaseMs: 20 },
    backends: backendSettings(fakes, 5000),
    // "Sign in with GitHub" through the simulated GitHub's OAuth client.
    dashboard: { oauth: { clientId: sim.clientId, clientSecret: sim.clientSecret } },
    // The simulated installations are the operator's own: trusted unless a test or scenario turns the gate on.
    approval: { installations: "open" },
  };
  const settings = parseSettings(deepMerge(base, opts.settings ?? {}));
  const log = opts.log ?? (await createLogger({ level: "silent" }));
  const start = () =>
    startService({
      settings,
      log,
      appId: sim.appId,
      privateKey: sim.privateKey,
      webhookSecret: sim.webhookSecret,
      host: "127.0.0.1",
      port: opts.port ?? 0,
    });
  let service: Service;
  try {
    service = await start();
  } catch (err) {
    // Leave nothing running when the service cannot start.
    await stopServers();
    await dropScratch();
    if (dir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const env: Environment = {
    sim,
    fakes,
    service,
    get deps() {
      return this.service.deps!;
    },
    settings,
    send: (event, payload, deliveryId) =>
      sendWebhook(`${env.service.url}/api/github/webhooks`, { event, payload, secret: sim.webhookSecret, deliveryId }),
    async restart() {
      await env.service.stop();
      env.service = await start();
    },
    async stop() {
      await env.service.stop();
      await stopServers();
      await dropScratch();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}

/**
 * The URL of an SRPM the fake Copr serves, from a finished build made through the
 * app's own Copr client: what an OpenScanHub scan downloads when a test or
 * benchmark runs the scan without the build before it.
 */
export async function servedSrpmUrl(env: Environment): Promise<string> {
  const copr = env.deps.backends.copr;
  const { externalId } = await copr.submit({
    token: randomUUID(),
    target: "fedora-rawhide-x86_64",
    source: { owner: "acme", repo: "widget", cloneUrl: "https://github.com/acme/widget.git", sha: "0".repeat(40) },
    options: { project: "scan-sources" },
  });
  env.fakes.copr.finish(externalId, "succeeded");
  const url = (await copr.status(externalId)).artifacts?.srpmUrl;
  if (typeof url !== "string") throw new Error("the fake Copr served no SRPM URL");
  return url;
}

/**
 * An installation `acme` with one repository `acme/widget` without a config, on the
 * simulated GitHub and already known to the app (as its events would have stored
 * it): what benchmarks that store pipelines directly start from.
 */
export function seedWidgetRepo(env: Environment, installationId: number): Promise<RepoRow> {
  env.sim.addInstallation({ id: installationId, account: { login: "acme", type: "Organization" } });
  const r = env.sim.addRepo({ installationId, owner: "acme", name: "widget", files: {} });
  return env.deps.pipelines.ensureRepo({
    id: r.id,
    installationId,
    owner: "acme",
    name: "widget",
    nodeId: r.node_id,
    defaultBranch: r.default_branch,
    cloneUrl: r.clone_url,
  });
}
