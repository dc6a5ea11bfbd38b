import { LRUCache } from "lru-cache";
import type { RepoPermission } from "../approval/decide.js";
import type { GitHub } from "./octokit.js";
import { httpStatus } from "../errors.js";

const ROLES: ReadonlySet<string> = new Set(["admin", "maintain", "write", "triage", "read", "none"]);

/**
 * A user's permission on a repository, from GitHub's collaborator endpoint (`role_name`,
 * else the legacy `permission`). GitHub answers 404 for a user it does not know: `none`.
 * Any other failure is `unknown`, which no rule reads as write (fail closed).
 */
export async function readPermission(github: GitHub, where: { owner: string; repo: string; user: string }): Promise<RepoPermission> {
  try {
    const res = await github.rest.repos.getCollaboratorPermissionLevel({ owner: where.owner, repo: where.repo, username: where.user });
    const role = (res.data as { role_name?: string }).role_name ?? res.data.permission;
    return ROLES.has(role) ? (role as RepoPermission) : "unknown";
  } catch (err) {
    return httpStatus(err) === 404 ? "none" : "unknown";
  }
}

/**
 * Permissions read from GitHub, reused for `ttlMs` (a burst of comments and buttons
 * costs one request per user and repository). Failed lookups are not kept.
 */
export class PermissionCache {
  private readonly cache: LRUCache<string, RepoPermission> | undefined;

  constructor(ttlMs: number) {
    this.cache = ttlMs > 0 ? new LRUCache({ max: 10_000, ttl: ttlMs }) : undefined;
  }

  async of(github: GitHub, where: { owner: string; repo: string; user: string }): Promise<RepoPermission> {
    const key = `${where.owner}/${where.repo}\0${where.user}`.toLowerCase();
    const hit = this.cache?.get(key);
    if (hit) return hit;
    const p = await readPermission(github, where);
    if (p !== "unknown") this.cache?.set(key, p);
    return p;
  }
}
