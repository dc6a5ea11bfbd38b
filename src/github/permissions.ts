import type { GitHub } from "./octokit.js";

/** Permissions that may cancel or re-run jobs. */
const ALLOWED = new Set(["admin", "maintain", "write"]);

/**
 * Whether `user` may run commands on a repository's jobs: the PR author always may;
 * others need write, maintain or admin. A failed lookup counts as "no" (fail closed).
 */
export async function mayControlJobs(
  github: GitHub,
  where: { owner: string; repo: string; user: string; prAuthor?: string },
): Promise<boolean> {
  if (where.prAuthor && where.prAuthor === where.user) return true;
  try {
    const res = await github.rest.repos.getCollaboratorPermissionLevel({ owner: where.owner, repo: where.repo, username: where.user });
    return ALLOWED.has(res.data.permission) || ALLOWED.has((res.data as { role_name?: string }).role_name ?? "");
  } catch {
    return false;
  }
}
