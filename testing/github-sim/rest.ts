/**
 * The REST endpoints the app uses, with GitHub's paths, status codes and bodies
 * (`app-routes.ts`: as the App or a user; `installation-routes.ts`: as an installation).
 * Authentication is checked by the server before a handler runs (`auth` says which
 * kind a route needs); handlers only check that the repository belongs to the
 * token's installation, which GitHub reports as 404.
 */
import { APP_ROUTES } from "./app-routes.js";
import { INSTALLATION_ROUTES } from "./installation-routes.js";
import type { Route } from "./routes.js";

/** Every REST route the simulator answers, in match order. */
const ROUTES: Route[] = [...APP_ROUTES, ...INSTALLATION_ROUTES];

/** The route for a request, with its path parameters (URL-decoded). */
export function matchRoute(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.groups ?? {})) params[k] = decodeURIComponent(v ?? "");
    return { route: r, params };
  }
  return undefined;
}
