/** The REST routes an App calls with its JWT (and the manifest conversion, which needs no credential), and those a user token reaches. */
import { HttpError, notFound, paginate, type Call, type SimContext } from "./http.js";
import { appJson, installationJson } from "./shapes.js";
import { authenticatedUser, userInstallationRepos, userInstallations } from "./oauth.js";
import { now } from "./state.js";
import { type Route, ok, route } from "./routes.js";

function liveInstallation(call: Call, sim: SimContext) {
  const inst = sim.state.liveInstallation(Number(call.params.installation_id));
  if (!inst) throw notFound();
  return inst;
}

/** Routes in match order. */
export const APP_ROUTES: Route[] = [
  // --- the manifest flow (no credential: the one-time code is the secret) ---
  route("POST", "/app-manifests/{code}/conversions", "app", "none", "apps/apps#create-a-github-app-from-a-manifest", (call, sim) => {
    const app = sim.convertManifest(call.params.code!);
    if (!app) throw notFound();
    return { status: 201, body: app };
  }),

  // --- as the app (JWT) ---
  route("GET", "/app", "app", "jwt", "apps/apps#get-the-authenticated-app", (_call, sim) => {
    const count = [...sim.state.installations.values()].filter((i) => !i.deleted).length;
    return ok(appJson(sim.state.app, sim.api, count));
  }),
  route("GET", "/app/installations", "installations", "jwt", "apps/apps#list-installations-for-the-authenticated-app", (call, sim) => {
    const live = [...sim.state.installations.values()].filter((i) => !i.deleted).sort((a, b) => a.id - b.id);
    const { page, headers } = paginate(live, call, sim.api);
    return ok(
      page.map((i) => installationJson(i, sim.state.app, sim.api)),
      headers,
    );
  }),
  route(
    "GET",
    "/app/installations/{installation_id}",
    "installations",
    "jwt",
    "apps/apps#get-an-installation-for-the-authenticated-app",
    (call, sim) => ok(installationJson(liveInstallation(call, sim), sim.state.app, sim.api)),
  ),
  route(
    "DELETE",
    "/app/installations/{installation_id}",
    "installations",
    "jwt",
    "apps/apps#delete-an-installation-for-the-authenticated-app",
    (call, sim) => {
      const inst = liveInstallation(call, sim);
      inst.deleted = true;
      inst.deleted_at = inst.updated_at = now();
      sim.tokens.revoke(inst.id);
      return { status: 204 };
    },
  ),
  route(
    "PUT",
    "/app/installations/{installation_id}/suspended",
    "installations",
    "jwt",
    "apps/apps#suspend-an-app-installation",
    (call, sim) => {
      const inst = liveInstallation(call, sim);
      inst.suspended_at = inst.updated_at = now();
      inst.suspended_by = sim.state.bot;
      return { status: 204 };
    },
  ),
  route(
    "DELETE",
    "/app/installations/{installation_id}/suspended",
    "installations",
    "jwt",
    "apps/apps#unsuspend-an-app-installation",
    (call, sim) => {
      const inst = liveInstallation(call, sim);
      inst.suspended_at = null;
      inst.suspended_by = null;
      inst.updated_at = now();
      return { status: 204 };
    },
  ),
  route(
    "POST",
    "/app/installations/{installation_id}/access_tokens",
    "access-tokens",
    "jwt",
    "apps/apps#create-an-installation-access-token-for-an-app",
    (call, sim) => {
      const inst = liveInstallation(call, sim);
      if (inst.suspended_at) throw new HttpError(403, "This installation has been suspended");
      const { token, expiresAt } = sim.tokens.issue(inst.id);
      const body = installationJson(inst, sim.state.app, sim.api);
      return {
        status: 201,
        body: { token, expires_at: expiresAt, permissions: body.permissions, repository_selection: body.repository_selection },
      };
    },
  ),
  route(
    "GET",
    "/repos/{owner}/{repo}/installation",
    "installations",
    "jwt",
    "apps/apps#get-a-repository-installation-for-the-authenticated-app",
    (call, sim) => {
      const repo = sim.state.repo(call.params.owner!, call.params.repo!);
      const inst = repo && sim.state.liveInstallation(repo.installationId);
      if (!inst) throw notFound();
      return ok(installationJson(inst, sim.state.app, sim.api));
    },
  ),

  // --- as a user (a user access token from the App's OAuth flow) ---
  route("GET", "/user", "users", "user", "users/users#get-the-authenticated-user", authenticatedUser),
  route(
    "GET",
    "/user/installations",
    "users",
    "user",
    "apps/installations#list-app-installations-accessible-to-the-user-access-token",
    userInstallations,
  ),
  route(
    "GET",
    "/user/installations/{installation_id}/repositories",
    "users",
    "user",
    "apps/installations#list-repositories-accessible-to-the-user-access-token",
    userInstallationRepos,
  ),
];
