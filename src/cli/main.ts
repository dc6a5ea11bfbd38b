/**
 * `npm run cli -- <command>`: operator commands on the service's database (and, for
 * actions that reach GitHub or backends, with the service's credentials). Parsed by
 * commander: `--help` on every command; an unknown command or option, or a bad
 * value, is an error with exit code 2 (unknown commands name the nearest one); a
 * failed backend or GitHub call exits 1.
 *
 *   tasks list [--status S] [--limit N]     tasks cancel <id> [--delete]     tasks abort <id>
 *   validate-config <file> [--event E] [--branch B] [--instance I] [--copr URL] [--json]
 *   cancel --repo owner/name --pr N | --job ID
 *   maintenance [--dry-run]                 maintenance report [--limit N]
 *   migrate-to-postgres <postgres://…>      copy the configured SQLite database into an empty PostgreSQL one
 *   installations list | approve <login> | deny <login>   the installation gate (approval.installations)
 */
import { existsSync } from "node:fs";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { ApprovalStore } from "../approval/store.js";
import { installationGate } from "../approval/decide.js";
import { AuditLog } from "../audit/index.js";
import { copyDatabase } from "../db/copy.js";
import { openDatabase } from "../db/open.js";
import { redactedUrl } from "../db/postgres.js";
import { TaskStore, type TaskStatus } from "../queue/index.js";
import { loadSettings } from "../settings.js";
import type { AppTasks } from "../tasks.js";

const out = { log: (l: string) => console.log(l), error: (l: string) => console.error(l) };
const TASK_STATUSES: readonly TaskStatus[] = ["todo", "doing", "succeeded", "failed", "cancelled", "aborted"];
/** Usage errors (commander's and ours) exit 2; a failed action 1. */
const USAGE_ERROR = 2;

/** A whole number ≥ 1, or a clear error naming the option. */
function positiveInt(value: string): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value)))
    throw new InvalidArgumentError("must be a whole number of at least 1.");
  return Number(value);
}

function repoName(value: string): { owner: string; name: string } {
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(value);
  if (!m) throw new InvalidArgumentError("must be owner/name.");
  return { owner: m[1]!, name: m[2]! };
}

// Loaded by the commands that use them: Probot, the backends' clients and the config parser
// cost a second of start-up that `--help` and a usage error need not pay.
const withLiveDeps: typeof import("./live.js").withLiveDeps = async (fn) => (await import("./live.js")).withLiveDeps(fn);

/** The exit code of the action that ran, set by each action. */
let exitCode = 0;

function program(): Command {
  const cli = new Command("npm run cli --")
    .description("Operator commands of packit-probot, on the service's database and credentials (settings as `npm start` reads them).")
    .exitOverride()
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });

  const tasks = cli.command("tasks").description("the task queue");
  tasks
    .command("list")
    .description("list tasks, newest first")
    .addOption(new Option("--status <status>", "only tasks in this state").choices(TASK_STATUSES))
    .option("--limit <n>", "at most this many", positiveInt, 50)
    .action(async (o: { status?: TaskStatus; limit: number }) => {
      exitCode = await withDb(async (db) => {
        const rows = await new TaskStore<AppTasks>(db).list({ status: o.status, limit: o.limit });
        if (rows.length === 0) {
          out.log(`no tasks${o.status ? ` with status ${o.status}` : ""}`);
          return 0;
        }
        out.log(["id", "status", "queue", "name", "prio", "tries", "payload", "error"].join("\t"));
        for (const t of rows)
          out.log(
            [
              t.id,
              t.status,
              t.queue,
              t.name,
              t.priority,
              `${t.attempts}/${t.maxAttempts}`,
              JSON.stringify(t.payload),
              t.lastError ?? "",
            ].join("\t"),
          );
        return 0;
      });
    });
  for (const [name, what] of [
    ["cancel", "cancel a queued task"],
    ["abort", "ask a running task to stop"],
  ] as const) {
    const c = tasks.command(name).description(what).argument("<id>", "the task's id", positiveInt);
    if (name === "cancel") c.option("--delete", "delete it instead of marking it cancelled");
    c.action(async (id: number, o: { delete?: boolean }) => {
      exitCode = await withDb(async (db) => {
        const res = await new TaskStore<AppTasks>(db).cancel(id, name === "abort" ? { abort: true } : { delete: Boolean(o.delete) });
        if (res.ok) out.log(`task ${id}: ${res.status.replace("_", " ")}`);
        else
          out.error(
            `task ${id} not cancelled: ${res.reason.replace("_", " ")}${res.status ? ` (${res.status})` : ""}${res.reason === "running" ? "; use `tasks abort`" : ""}`,
          );
        return res.ok ? 0 : 1;
      });
    });
  }

  cli
    .command("validate-config")
    .description("Packit's verdict on a .packit.yaml, the jobs it plans for an event (and why others would not run)")
    .usage(
      "<file> [--event pull_request|push|release] [--branch B] [--default-branch B] [--tag T] [--label L]... [--instance prod|stg|dev] [--copr URL] [--json]",
    )
    .argument("<file...>")
    // Its own options are parsed (strictly) by the command itself.
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (_files: string[], _o: unknown, cmd: Command) => {
      const settings = loadSettings();
      const { runValidateConfig } = await import("../packit-config/validate-command.js");
      exitCode = await runValidateConfig(cmd.args, out, {
        ...(settings.releases ? { releases: settings.releases } : {}),
        instance: settings.packit.instance,
      });
    });

  cli
    .command("cancel")
    .description(
      'cancel a pull request\'s unfinished jobs, or one job, with the same service as `/packit cancel` (reason "Cancelled by operator")',
    )
    .option("--repo <owner/name>", "the repository (with --pr)", repoName)
    .option("--pr <n>", "the pull request's number (with --repo)", positiveInt)
    .option("--job <id>", "one job, by its id (as on the dashboard)", positiveInt)
    .action(async (o: { repo?: { owner: string; name: string }; pr?: number; job?: number }, cmd: Command) => {
      if (o.job === undefined && (o.repo === undefined || o.pr === undefined))
        cmd.error("error: give --repo owner/name --pr N, or --job ID", { exitCode: USAGE_ERROR });
      if (o.job !== undefined && (o.repo !== undefined || o.pr !== undefined))
        cmd.error("error: --job goes alone, not with --repo/--pr", { exitCode: USAGE_ERROR });
      exitCode = await withLiveDeps(async (deps) => {
        let target: { jobIds: number[]; repoId: number; what: string };
        if (o.job !== undefined) {
          const job = await deps.pipelines.job(o.job);
          if (!job) {
            out.error(`no job ${o.job}`);
            return 1;
          }
          const repoId = job.repo_id ?? (await deps.pipelines.pipeline(job.pipeline_id))?.repo_id ?? 0;
          target = { jobIds: [o.job], repoId, what: `job ${o.job}` };
        } else {
          const repo = await deps.pipelines.repoByName(o.repo!.owner, o.repo!.name);
          if (!repo) {
            out.error(`unknown repository ${o.repo!.owner}/${o.repo!.name}`);
            return 1;
          }
          const jobIds = (await deps.pipelines.unfinishedJobsOfPr(repo.id, o.pr!)).map((j) => j.id);
          target = { jobIds, repoId: repo.id, what: `pull request #${o.pr} of ${repo.owner}/${repo.name}` };
        }
        const { cancelForOperator } = await import("./cancel.js");
        return cancelForOperator(deps, target, out);
      });
    });

  cli
    .command("maintenance")
    .description("run the maintenance sweep now (`maintenance`), or list its past decisions (`maintenance report`)")
    .argument("[report]", "`report`: list past decisions instead of sweeping")
    .option("--dry-run", "decide and show, change nothing")
    .option("--limit <n>", "with report: at most this many decisions", positiveInt, 100)
    .action(async (what: string | undefined, o: { dryRun?: boolean; limit: number }, cmd: Command) => {
      // Never sweep on a typo.
      if (what !== undefined && what !== "report")
        cmd.error(`error: unknown maintenance action '${what}'\n(Did you mean report?) \`maintenance\` alone runs the sweep.`, {
          exitCode: USAGE_ERROR,
        });
      if (what === "report") {
        exitCode = await withDb(async (db) => {
          const entries = await new AuditLog(db).list({ actionPrefix: "maintenance.", limit: o.limit });
          if (entries.length === 0) out.log("no sweep decisions recorded yet");
          for (const e of entries)
            out.log(
              `${new Date(e.at).toISOString()}\t${e.action.replace("maintenance.", "")}\t${e.subject}\t${(e.detail as { reason?: string })?.reason ?? ""}`,
            );
          return 0;
        });
        return;
      }
      exitCode = await withLiveDeps(async (deps) => {
        const { runSweep } = await import("../maintenance/sweep.js");
        const res = await runSweep(deps, { dryRun: Boolean(o.dryRun) });
        if (!res) {
          out.error("another maintenance sweep is running; try later");
          return 1;
        }
        out.log(`maintenance (${deps.settings.maintenance.mode}${res.dryRun ? ", dry run" : ""}): ${res.decisions.length} installations`);
        if (res.decisions.length === 0) out.log("no installations to judge");
        for (const d of res.decisions) out.log(`${d.installationId}\t${d.login}\t${d.action}\t${d.reason}`);
        // A lookup that failed (GitHub unreachable) left installations unjudged: say so in the exit code.
        const failed = res.decisions.filter((d) => d.action === "skipped" && d.reason.startsWith("a config lookup failed"));
        if (failed.length > 0) out.error(`${failed.length} installation(s) not judged: a config lookup failed`);
        return failed.length > 0 ? 1 : 0;
      });
    });

  const installations = cli.command("installations").description("installations and their approval (who may run jobs here)");
  installations
    .command("list")
    .description("every installation, its approval as the gate applies it now, and who decided")
    .action(async () => {
      exitCode = await withDb(async (db) => {
        const setting = loadSettings().approval.installations;
        const rows = await new ApprovalStore(db, Date.now).installations();
        if (rows.length === 0) out.log("no installations");
        else out.log(["id", "account", "approval", "decided by", "at"].join("\t"));
        for (const i of rows) {
          const state = installationGate({ login: i.account_login, approval: i.approval }, setting);
          const by = i.approval_by ?? (state === "approved" && i.approval !== "approved" ? "settings" : "");
          out.log([i.id, i.account_login, state, by, i.approval_at ? new Date(i.approval_at).toISOString() : ""].join("\t"));
        }
        return 0;
      });
    });
  for (const [verb, state] of [
    ["approve", "approved"],
    ["deny", "denied"],
  ] as const) {
    installations
      .command(verb)
      .description(verb === "approve" ? "let an installation run jobs" : "refuse an installation: its events run nothing")
      .argument("<login>", "the account the App is installed on (as `installations list` shows it)")
      .action(async (login: string) => {
        exitCode = await withDb(async (db) => {
          const store = new ApprovalStore(db, Date.now);
          const rows = await store.installationsOf(login);
          if (rows.length === 0) {
            out.error(`no installation of an account "${login}"; see \`installations list\``);
            return 1;
          }
          await db.tx(async () => {
            for (const i of rows) {
              await store.setInstallation(i.id, state, "operator");
              await new AuditLog(db).add({
                actor: "operator",
                action: `approval.installation.${state}`,
                subject: i.account_login,
                detail: { installation: i.id, was: i.approval, via: "cli" },
              });
            }
          });
          out.log(`${rows.map((i) => `${i.account_login} (installation ${i.id})`).join(", ")}: ${state}`);
          return 0;
        });
      });
  }

  cli
    .command("migrate-to-postgres")
    .description("copy the configured SQLite database (database.path) into an empty PostgreSQL database; stop the service first")
    .argument("<url>", "postgres://user:password@host:5432/db")
    .action(async (url: string, _o: unknown, cmd: Command) => {
      if (!/^postgres(ql)?:\/\//.test(url)) cmd.error("error: the target must be a postgres:// URL", { exitCode: USAGE_ERROR });
      const settings = loadSettings();
      const source = await openDatabase({ path: settings.database.path });
      try {
        const target = await openDatabase({ url });
        try {
          const copied = await copyDatabase(source, target);
          for (const [table, n] of Object.entries(copied)) out.log(`${table}\t${n}`);
          out.log(`copied ${settings.database.path} into ${redactedUrl(url)}; set DATABASE_URL to use it`);
          exitCode = 0;
        } finally {
          await target.close();
        }
      } finally {
        await source.close();
      }
    });
  return cli;
}

async function withDb(fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<number>): Promise<number> {
  const db = await openDatabase(loadSettings().database);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function main(argv: string[]): Promise<number> {
  if (existsSync(".env")) process.loadEnvFile(".env");
  try {
    await program().parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // --help is not an error; a missing command (help printed) is.
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return 0;
    return err.exitCode === 0 ? 0 : USAGE_ERROR;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
