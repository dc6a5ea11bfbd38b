import { LRUCache } from "lru-cache";
import { AuditLog } from "../audit/index.js";
import { recordCheck } from "../checks/index.js";
import type { AppDeps } from "../deps.js";
import type { GitHub } from "../github/octokit.js";
import { PermissionCache } from "../github/permissions.js";
import type { TriggerEvent } from "../pipeline/events.js";
import type { RepoRow } from "../pipeline/store.js";
import { ignored, type HandlerOutcome } from "../webhooks/index.js";
import { installationWaitingCheck, INSTALLATION_CHECK_NAME } from "./checks.js";
import { canWrite, installationGate, throttleDecision, type InstallationApproval } from "./decide.js";
import { ApprovalStore } from "./store.js";

export { ApprovalStore } from "./store.js";

/** What the approval rules keep per service: the store, the permission cache, the flood counters. */
export class Approval {
  readonly store: ApprovalStore;
  readonly permissions: PermissionCache;
  readonly audit: AuditLog;
  /** Recent command times per user and pull request (this process's: each replica throttles on its own). */
  private readonly floods = new LRUCache<string, number[]>({ max: 10_000 });

  constructor(private readonly deps: Pick<AppDeps, "db" | "now" | "settings">) {
    this.store = new ApprovalStore(deps.db, deps.now);
    this.permissions = new PermissionCache(deps.settings.approval.permissionCacheMs);
    this.audit = new AuditLog(deps.db, deps.now);
  }

  /** The installation's state with the setting applied; an installation the app has not stored yet waits. */
  async installationState(id: number): Promise<{ state: InstallationApproval; login: string }> {
    const row = await this.store.installation(id);
    const login = row?.account_login ?? String(id);
    return { state: installationGate({ login, approval: row?.approval ?? "waiting" }, this.deps.settings.approval.installations), login };
  }

  /** Whether a pull request's author may have its jobs run unasked: write permission, or a maintainer approved this head. */
  async authorTrusted(github: GitHub, ev: { repo: { owner: string; name: string }; author: string }): Promise<boolean> {
    return canWrite(await this.permissions.of(github, { owner: ev.repo.owner, repo: ev.repo.name, user: ev.author }));
  }

  /** The flood throttle for one more command of `user` on a pull request. */
  throttle(user: string, repoId: number, prNumber: number): { allowed: boolean; reply: boolean } {
    const key = `${repoId}#${prNumber}\0${user.toLowerCase()}`;
    const { commandLimit, commandWindowMs } = this.deps.settings.approval;
    const d = throttleDecision(this.floods.get(key) ?? [], this.deps.now(), commandLimit, commandWindowMs);
    this.floods.set(key, d.recent);
    return d;
  }
}

/**
 * A trigger of an installation that is not approved runs nothing. A waiting one's
 * repository gets one neutral check run (its first event) saying why and whom to
 * ask, and the operator a warning in the log; a denied one is ignored silently.
 */
export async function holdUnapprovedInstallation(deps: AppDeps, ev: TriggerEvent, repo: RepoRow): Promise<HandlerOutcome | undefined> {
  const approval = deps.approval;
  const { state, login } = await approval.installationState(ev.installationId);
  if (state === "approved") return undefined;
  if (state === "denied") return ignored(`installation ${ev.installationId} (${login}) was denied by the operator`, "installation_denied");
  deps.log.warn(
    { installation: ev.installationId, account: login, repo: `${repo.owner}/${repo.name}` },
    `installation waiting for approval: npm run cli -- installations approve ${login}`,
  );
  // A release names a tag, not a commit: no check run can go there.
  if (ev.trigger === "release")
    return ignored(`installation ${ev.installationId} (${login}) is waiting for the operator's approval`, "installation_waiting");
  await deps.db.tx(async () => {
    if (!(await approval.store.firstNotice(repo.id))) return;
    const { pipeline } = await deps.pipelines.createPipeline(
      {
        repoId: repo.id,
        installationId: ev.installationId,
        trigger: ev.trigger,
        prNumber: ev.prNumber,
        branch: ev.branch,
        headSha: ev.headSha,
        deliveryId: ev.deliveryId,
        eventAt: ev.eventAt,
      },
      [],
    );
    await recordCheck(deps, { pipeline, repo }, INSTALLATION_CHECK_NAME, installationWaitingCheck(login, deps.settings.approval.contact));
  });
  return ignored(`installation ${ev.installationId} (${login}) is waiting for the operator's approval`, "installation_waiting");
}
