import { AuditLog } from "../audit/index.js";
import type { AppDeps } from "../deps.js";
import { withLease } from "../db/locks.js";
import { ConfigCache } from "../packit-config/cache.js";
import { lookupConfig } from "../packit-config/lookup.js";
import { InstallationStore } from "../installations/index.js";
import { sweepDecision, type SweepAction } from "./decide.js";

export interface SweepResult {
  dryRun: boolean;
  decisions: { installationId: number; login: string; action: SweepAction; reason: string }[];
  /** Suspend/uninstall actions held back by the per-run cap. */
  capped: number;
}

const DAY_MS = 86_400_000;

/**
 * The maintenance sweep: for each live installation, refresh stale config answers
 * of its repositories (older than a day), decide, and act as the mode says, within
 * the per-run cap. Every decision goes to the audit table (not in a dry run). Never
 * runs twice at once (a lease in the database); returns undefined when another
 * sweep is running.
 */
export async function runSweep(deps: AppDeps, opts: { dryRun?: boolean } = {}): Promise<SweepResult | undefined> {
  if (deps.settings.maintenance.mode === "off") return { dryRun: Boolean(opts.dryRun), decisions: [], capped: 0 };
  return withLease(deps.db, "maintenance-sweep", 3_600_000, () => sweep(deps, Boolean(opts.dryRun)), deps.now);
}

async function sweep(deps: AppDeps, dryRun: boolean): Promise<SweepResult> {
  const m = deps.settings.maintenance;
  const cache = new ConfigCache(deps.db, deps.now);
  const audit = new AuditLog(deps.db, deps.now);
  const installations = new InstallationStore(deps);
  const rows = await installations.live();
  const result: SweepResult = { dryRun, decisions: [], capped: 0 };
  let actions = 0;
  for (const inst of rows) {
    const repoStates = await refreshedStates(deps, cache, installations, inst.id);
    let { action, reason } = sweepDecision(
      { id: inst.id, login: inst.account_login, createdAt: inst.created_at, suspendedAt: inst.suspended_at, repoStates },
      deps.now(),
      m,
    );
    if ((action === "suspended" || action === "uninstalled") && actions >= m.maxActionsPerRun) {
      result.capped++;
      ({ action, reason } = { action: "skipped", reason: `per-run cap of ${m.maxActionsPerRun} actions reached` });
    }
    if (!dryRun && (action === "suspended" || action === "uninstalled")) {
      try {
        const app = await deps.githubApp();
        if (action === "suspended") {
          await app.rest.apps.suspendInstallation({ installation_id: inst.id });
          await installations.setSuspended(inst.id, deps.now());
        } else {
          await app.rest.apps.deleteInstallation({ installation_id: inst.id });
          await installations.purge(inst.id);
        }
        actions++;
      } catch (err) {
        ({ action, reason } = { action: "skipped", reason: `GitHub refused: ${(err as Error).message}` });
      }
    }
    result.decisions.push({ installationId: inst.id, login: inst.account_login, action, reason });
    deps.metrics.maintenanceDecisions.inc({ action });
    if (!dryRun)
      await audit.add({
        actor: "maintenance",
        action: `maintenance.${action}`,
        subject: `installation ${inst.id} (${inst.account_login})`,
        detail: { reason, mode: m.mode },
      });
    if (action !== "kept")
      deps.log.info({ installation: inst.id, login: inst.account_login, action, reason, dryRun }, `maintenance: ${action}`);
  }
  return result;
}

/**
 * Each repository's default-branch config state, re-read from GitHub when the cached
 * answer is missing or older than a day. The repository list itself comes from
 * GitHub, so repositories never seen in an event count too. Any failure → "unknown".
 */
async function refreshedStates(
  deps: AppDeps,
  cache: ConfigCache,
  installations: InstallationStore,
  installationId: number,
): Promise<("present" | "absent" | "invalid" | "unknown")[]> {
  let github;
  try {
    github = await deps.github(installationId);
    const repos = await github.paginate(github.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
    for (const r of repos) {
      await installations.addRepo(installationId, r);
      await deps.pipelines.upsertRepo({
        id: r.id,
        installationId,
        owner: r.owner.login,
        name: r.name,
        defaultBranch: r.default_branch,
        cloneUrl: r.clone_url,
        private: r.private,
      });
    }
  } catch {
    return ["unknown"];
  }
  const states: ("present" | "absent" | "invalid" | "unknown")[] = [];
  for (const repo of await cache.statesOfInstallation(installationId)) {
    const ref = repo.default_branch ?? "HEAD";
    if (repo.state && repo.state !== "unknown" && repo.checked_at !== null && deps.now() - repo.checked_at < DAY_MS) {
      states.push(repo.state);
      continue;
    }
    try {
      const found = await lookupConfig(github, { owner: repo.owner, repo: repo.name, ref });
      // A present file counts as configured here whether or not it parses (the namespace rule).
      await cache.put(
        repo.repo_id,
        ref,
        found.kind === "absent" ? { state: "absent" } : { state: "present", path: found.path, blobSha: found.blobSha, text: found.text },
      );
      states.push(found.kind === "absent" ? "absent" : "present");
    } catch (err) {
      await cache.put(repo.repo_id, ref, { state: "unknown", error: (err as Error).message });
      states.push("unknown");
    }
  }
  return states;
}
