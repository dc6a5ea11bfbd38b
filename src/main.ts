/**
 * Process entry (`npm start [-- --role web|worker|all]`): settings from
 * packit-probot.yaml and the environment, GitHub App credentials from Probot's usual
 * variables (APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET), then what the
 * role runs: the server, the workers and the cron (`all`, the default), the server
 * only (`web`) or the workers and the cron (`worker`).
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { getPrivateKey } from "@probot/get-private-key";
import { createLogger } from "./log.js";
import { SettingsError } from "./errors.js";
import { loadSettings, ROLES, type Role } from "./settings.js";
import { startService } from "./service.js";

async function main(): Promise<void> {
  // Probot's setup page writes the new App's credentials to .env; read it like Probot's own runner does.
  if (existsSync(".env")) process.loadEnvFile(".env");
  const env = process.env;
  const log = await createLogger({
    level: env.LOG_LEVEL,
    format: env.LOG_FORMAT === "json" ? "json" : env.LOG_FORMAT === "pretty" ? "pretty" : undefined,
  });
  let settings;
  try {
    const role = roleArgument(process.argv.slice(2));
    settings = loadSettings();
    if (role) settings = { ...settings, role };
  } catch (err) {
    if (err instanceof SettingsError) {
      log.fatal(err.message);
      process.exit(2);
    }
    throw err;
  }
  const service = await startService({
    settings,
    log,
    appId: env.APP_ID ? Number(env.APP_ID) : undefined,
    privateKey: getPrivateKey({ env }) ?? undefined,
    webhookSecret: env.WEBHOOK_SECRET,
    host: env.HOST ?? "localhost",
    port: env.PORT ? Number(env.PORT) : 3000,
    webhookPath: env.WEBHOOK_PATH,
    webhookProxy: env.WEBHOOK_PROXY_URL,
  });
  if (service.mode === "setup") log.info(`No GitHub App credentials: open ${service.url} to register the App`);
  else log.info(`packit-probot ready on ${service.url} (role ${service.role}, ${service.deps!.db.description})`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: no new tasks; running tasks finish or are released");
    try {
      await service.stop();
      process.exit(0);
    } catch (err) {
      log.error({ err }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

/** `--role web|worker|all` (or `--role=…`); it wins over the `role` setting (`PACKIT__ROLE`). */
function roleArgument(args: string[]): Role | undefined {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { role: { type: "string" } }, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new SettingsError(`${(err as Error).message} (usage: npm start -- [--role ${ROLES.join("|")}])`);
  }
  if (values.role === undefined) return undefined;
  if (!(ROLES as readonly string[]).includes(values.role))
    throw new SettingsError(`--role: must be one of ${ROLES.join(", ")}, not ${JSON.stringify(values.role)}`);
  return values.role as Role;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  // A setting that cannot work (e.g. an unreachable database.url) exits as a bad setting does.
  process.exit(err instanceof SettingsError ? 2 : 1);
});
