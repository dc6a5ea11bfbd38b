import type { PendingApprovals } from "../dashboard/data.js";
import type { AppDeps } from "../deps.js";
import { ApprovalStore } from "./store.js";

/**
 * The dashboard's "Waiting for approval" section: installations the gate holds (an
 * account name only) and pull request heads waiting for a maintainer, those of a
 * private repository (or one not known to be public) only to who can read it.
 */
export function pendingApprovals(deps: Pick<AppDeps, "db" | "now" | "settings">): PendingApprovals {
  const store = new ApprovalStore(deps.db, deps.now);
  return {
    async list(viewer) {
      const [installations, prs] = await Promise.all([
        store.waitingInstallations(deps.settings.approval.installations),
        store.waitingPrs(),
      ]);
      return [
        ...installations.map((i) => ({
          owner: i.account_login,
          name: "(installation)",
          prNumber: null,
          author: i.account_login,
          since: i.created_at,
          reason: `installation waiting for the operator: npm run cli -- installations approve ${i.account_login}`,
        })),
        ...prs
          .filter((r) => r.private === 0 || viewer.repoIds.includes(r.repo_id))
          .map((r) => ({
            owner: r.owner,
            name: r.name,
            prNumber: r.pr_number,
            author: r.author,
            since: r.requested_at,
            reason: `head ${r.head_sha.slice(0, 7)} waits for a maintainer's approval`,
          })),
      ];
    },
  };
}
