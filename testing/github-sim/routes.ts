/** A REST route of the simulator: its method and path, the credential and permissions it needs, its handler. */
import { DOCS, type Call, type Permission, type Reply, type RouteGroup, type SimContext } from "./http.js";

export interface Route {
  method: string;
  pattern: RegExp;
  group: RouteGroup;
  /** Installation routes: the App permissions of which one is needed (none: any installation may). */
  needs: Permission[];
  /** `jwt`: the app's JWT; `installation`: an installation access token; `user`: a user access token (OAuth); `none`: no credential (the manifest code is one). */
  auth: "jwt" | "installation" | "user" | "none";
  docs: string;
  handle: (call: Call, sim: SimContext) => Reply;
}

/** `{name}` matches one segment (digits only for `*_id` / `*_number`), `{name*}` the rest of the path. */
function compile(template: string): RegExp {
  const body = template.replace(/\{(\w+)(\*?)\}/g, (_, name: string, rest: string) => {
    if (rest) return `(?<${name}>.*)`;
    return /_(id|number)$/.test(name) ? `(?<${name}>\\d+)` : `(?<${name}>[^/]+)`;
  });
  return new RegExp(`^${body}$`);
}

/**
 * The App permission (one of) each installation route needs, as GitHub's
 * "fine-grained permissions" lists them; routes not listed need only `metadata: read`,
 * which every App has. Comments depend on the issue: see `onIssue()` in repo-replies.ts.
 */
const NEEDS: Record<string, Permission[]> = {
  "GET /repos/{owner}/{repo}/contents": [["contents", "read"]],
  "GET /repos/{owner}/{repo}/contents/{path*}": [["contents", "read"]],
  "GET /repos/{owner}/{repo}/pulls/{pull_number}": [["pull_requests", "read"]],
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/files": [["pull_requests", "read"]],
  "POST /repos/{owner}/{repo}/check-runs": [["checks", "write"]],
  "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}": [["checks", "write"]],
  "GET /repos/{owner}/{repo}/check-runs/{check_run_id}": [["checks", "read"]],
  "GET /repos/{owner}/{repo}/commits/{ref}/check-runs": [["checks", "read"]],
};

export function route(
  method: string,
  template: string,
  group: RouteGroup,
  auth: Route["auth"],
  docs: string,
  handle: Route["handle"],
): Route {
  return { method, pattern: compile(template), group, auth, needs: NEEDS[`${method} ${template}`] ?? [], docs: `${DOCS}/${docs}`, handle };
}

export const ok = (body: unknown, headers?: Record<string, string>): Reply => ({ status: 200, body, ...(headers ? { headers } : {}) });
