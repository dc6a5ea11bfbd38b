import { getPrivateKey } from "@probot/get-private-key";
import { Probot } from "probot";
import { openDatabase } from "../db/open.js";
import { createDeps, type AppDeps } from "../deps.js";
import { createOctokitClass } from "../github/octokit.js";
import { createLogger } from "../log.js";
import { createMetrics } from "../metrics/index.js";
import { loadSettings } from "../settings.js";

/**
 * Run a CLI action with the same dependencies the service has (database, backends,
 * GitHub App credentials from the environment), without starting a server or
 * workers. Check-run updates it records are sent by the running service's worker.
 */
export async function withLiveDeps(fn: (deps: AppDeps) => Promise<number>): Promise<number> {
  const settings = loadSettings();
  const log = await createLogger({ level: process.env.LOG_LEVEL ?? "warn" });
  const metrics = createMetrics({ defaultMetrics: false });
  const db = await openDatabase(settings.database);
  const privateKey = getPrivateKey({ env: process.env }) ?? undefined;
  const probot =
    process.env.APP_ID && privateKey
      ? new Probot({
          appId: Number(process.env.APP_ID),
          privateKey,
          baseUrl: settings.github.baseUrl,
          log,
          Octokit: createOctokitClass({
            log,
            metrics,
            retries: settings.github.rateLimitRetries,
            writeIntervalMs: settings.github.writeIntervalMs,
            notificationIntervalMs: settings.github.notificationIntervalMs,
            requestTimeoutMs: settings.github.requestTimeoutMs,
            retryBaseMs: settings.github.retryBaseMs,
          }),
        })
      : undefined;
  const noGitHub = () => Promise.reject(new Error("GitHub App credentials (APP_ID, PRIVATE_KEY) are not set"));
  const deps = createDeps({
    settings,
    db,
    log,
    metrics,
    // The service's own URL as `npm start` serves it, unless the dashboard's public URL is set.
    publicUrl: settings.dashboard.publicUrl ?? `http://${process.env.HOST ?? "localhost"}:${process.env.PORT ?? 3000}`,
    github: probot ? (id) => probot.auth(id) : noGitHub,
    githubApp: probot ? () => probot.auth() : noGitHub,
  });
  try {
    return await fn(deps);
  } finally {
    await db.close();
  }
}
