/**
 * `npm run cli -- <command>`: operator commands on the service's database (and, for
 * actions that reach GitHub or backends, with the service's credentials).
 *
 *   tasks list [--status S] [--limit N]     tasks cancel <id> [--delete]     tasks abort <id>
 *   validate-config <file> [--event E] [--branch B] [--instance I] [--copr URL] [--json]
 *   cancel --repo owner/name --pr N | --job ID
 *   maintenance [--dry-run]                 maintenance report [--limit N]
 *   migrate-to-postgres <postgres://…>      copy the configured SQLite database into an empty PostgreSQL one
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { AuditLog } from "../audit/index.js";
import { copyDatabase } from "../db/copy.js";
import { openDatabase } from "../db/open.js";
import { redactedUrl } from "../db/postgres.js";
import { runValidateConfig } from "../packit-config/validate-command.js";
import { TaskStore, type TaskStatus } from "../queue/index.js";
import { loadSettings } from "../settings.js";
import type { AppTasks } from "../tasks.js";
import { withLiveDeps } from "./live.js";

const out = { log: (l: string) => console.log(l), error: (l: string) => console.error(l) };

async function main(argv: string[]): Promise<number> {
  if (existsSync(".env")) process.loadEnvFile(".env");
  const [command, ...rest] = argv;
  switch (command) {
    case "validate-config": {
      const settings = loadSettings();
      return runValidateConfig(rest, out, { ...(settings.releases ? { releases: settings.releases } : {}), instance: settings.packit.instance });
    }
    case "tasks":
      return tasks(rest);
    case "cancel":
      return cancel(rest);
    case "maintenance":
      return maintenance(rest);
    case "migrate-to-postgres":
      return migrateToPostgres(rest);
    default:
      out.error("usage: npm run cli -- <tasks list|tasks cancel <id> [--delete]|tasks abort <id>|validate-config <file>|cancel --repo o/r --pr N|--job ID|maintenance [--dry-run]|maintenance report|migrate-to-postgres <url>>");
      return 2;
  }
}

async function tasks(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { status: { type: "string" }, limit: { type: "string" }, delete: { type: "boolean" } } });
  const [sub, idText] = positionals;
  const db = await openDatabase(loadSettings().database);
  try {
    const store = new TaskStore<AppTasks>(db);
    if (sub === "list") {
      const rows = await store.list({ status: values.status as TaskStatus | undefined, limit: Number(values.limit ?? 50) });
      out.log(["id", "status", "queue", "name", "prio", "tries", "payload", "error"].join("\t"));
      for (const t of rows) out.log([t.id, t.status, t.queue, t.name, t.priority, `${t.attempts}/${t.maxAttempts}`, JSON.stringify(t.payload), t.lastError ?? ""].join("\t"));
      return 0;
    }
    const id = Number(idText);
    if ((sub === "cancel" || sub === "abort") && Number.isInteger(id)) {
      const res = await store.cancel(id, sub === "abort" ? { abort: true } : { delete: Boolean(values.delete) });
      if (res.ok) out.log(`task ${id}: ${res.status.replace("_", " ")}`);
      else out.error(`task ${id} not cancelled: ${res.reason.replace("_", " ")}${res.status ? ` (${res.status})` : ""}${res.reason === "running" ? "; use `tasks abort`" : ""}`);
      return res.ok ? 0 : 1;
    }
    out.error("usage: tasks list [--status S] | tasks cancel <id> [--delete] | tasks abort <id>");
    return 2;
  } finally {
    await db.close();
  }
}

async function cancel(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { repo: { type: "string" }, pr: { type: "string" }, job: { type: "string" } } });
  return withLiveDeps(async (deps) => {
    let jobIds: number[];
    if (values.job) jobIds = [Number(values.job)];
    else if (values.repo && values.pr) {
      const [owner, name] = values.repo.split("/");
      const repo = owner && name ? await deps.pipelines.repoByName(owner, name) : undefined;
      if (!repo) {
        out.error(`unknown repository ${values.repo}`);
        return 1;
      }
      jobIds = (await deps.pipelines.unfinishedJobsOfPr(repo.id, Number(values.pr))).map((j) => j.id);
    } else {
      out.error("usage: cancel --repo owner/name --pr N | --job ID");
      return 2;
    }
    const { cancelJobs } = await import("../cancel/service.js");
    const { renderReport } = await import("../cancel/report.js");
    const report = await cancelJobs(deps, jobIds, { reason: "Cancelled by operator", source: "cli" });
    await new AuditLog(deps.db, deps.now).add({ actor: "operator", action: "cancel.cli", detail: report });
    out.log(renderReport(report));
    return report.overall === "none" ? 1 : 0;
  });
}

async function maintenance(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { "dry-run": { type: "boolean" }, limit: { type: "string" } } });
  if (positionals[0] === "report") {
    const db = await openDatabase(loadSettings().database);
    try {
      for (const e of await new AuditLog(db).list({ actionPrefix: "maintenance.", limit: Number(values.limit ?? 100) })) {
        out.log(`${new Date(e.at).toISOString()}\t${e.action.replace("maintenance.", "")}\t${e.subject}\t${(e.detail as { reason?: string })?.reason ?? ""}`);
      }
      return 0;
    } finally {
      await db.close();
    }
  }
  return withLiveDeps(async (deps) => {
    const { runSweep } = await import("../maintenance/sweep.js");
    const res = await runSweep(deps, { dryRun: Boolean(values["dry-run"]) });
    if (!res) {
      out.error("another maintenance sweep is running; try later");
      return 1;
    }
    out.log(`maintenance (${deps.settings.maintenance.mode}${res.dryRun ? ", dry run" : ""}): ${res.decisions.length} installations`);
    for (const d of res.decisions) out.log(`${d.installationId}\t${d.login}\t${d.action}\t${d.reason}`);
    return 0;
  });
}

/**
 * Copy the configured SQLite installation (`database.path`) into an empty PostgreSQL
 * database: every table, identity sequences past the copied ids. Stop the service
 * first; afterwards set `DATABASE_URL` (or `database.url`) and start it again.
 */
async function migrateToPostgres(argv: string[]): Promise<number> {
  const [url] = argv;
  if (!url) {
    out.error("usage: migrate-to-postgres <postgres://user:password@host:5432/db>");
    return 2;
  }
  const settings = loadSettings();
  const source = await openDatabase({ path: settings.database.path });
  try {
    const target = await openDatabase({ url });
    try {
      const copied = await copyDatabase(source, target);
      for (const [table, n] of Object.entries(copied)) out.log(`${table}\t${n}`);
      out.log(`copied ${settings.database.path} into ${redactedUrl(url)}; set DATABASE_URL to use it`);
      return 0;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
