/**
 * The dashboard: server-rendered pages on Probot's HTTP server (`addHandler`), and
 * the same data as JSON under `/api` (see docs/dashboard.md). Read-only; GET only.
 */
import { createHmac } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { Child } from "hono/jsx";
import type { AppDeps } from "../deps.js";
import { toError } from "../errors.js";
import { homeData, projectData, type DashboardContext, type PendingApprovals } from "./data.js";
import { cancellationsData, maintenanceData, queueData } from "./operations-data.js";
import { jobData, pipelineData } from "./pipeline-data.js";
import { CookieSigner, signInRoutes, viewerOf } from "./session.js";
import { DashboardStore, type Viewer } from "./store.js";
import { Layout } from "./views/common.js";
import { CancellationsPage } from "./views/cancellations.js";
import { HomePage } from "./views/home.js";
import { JobPage } from "./views/job.js";
import { MaintenancePage, QueuePage } from "./views/operations.js";
import { PipelinePage } from "./views/pipeline.js";
import { ProjectPage } from "./views/project.js";
import type { Route as Handler } from "../util/route-server.js";

/** A request the pages cannot answer as asked (400), e.g. `?limit=abc`. */
class BadQuery extends Error {}

/** `?limit=&before=`: a page of at most `max` rows older than `before` (an id). */
function pageOf(query: URLSearchParams, pageSize: number, max = 500): { limit: number; before?: number } {
  const limit = query.get("limit");
  const before = query.get("before");
  const int = (name: string, v: string, lo: number, hi: number) => {
    if (!/^\d+$/.test(v) || Number(v) < lo || Number(v) > hi)
      throw new BadQuery(`${name} must be a whole number from ${lo} to ${hi}, not ${JSON.stringify(v)}`);
    return Number(v);
  };
  return {
    limit: limit === null ? pageSize : int("limit", limit, 1, max),
    ...(before === null ? {} : { before: int("before", before, 1, Number.MAX_SAFE_INTEGER) }),
  };
}

interface Rendered {
  title: string;
  data: unknown;
  page: () => Child;
}

type Route = {
  pattern: RegExp;
  answer: (c: DashboardContext, v: Viewer, m: string[], q: URLSearchParams, path: string) => Promise<Rendered | undefined>;
};

const ID = "([1-9][0-9]{0,15})";
const NAME = "([A-Za-z0-9_.-]+)";

/** Every page: its path (the JSON is at `/api` + the same path; `/api` for `/`) and what it shows. */
const ROUTES: Route[] = [
  {
    pattern: /^\/$/,
    answer: async (c, v, _m, q) =>
      homeData(c, v, pageOf(q, c.settings.dashboard.pageSize)).then((d) => ({
        title: "Recent pipelines",
        data: d,
        page: () => <HomePage d={d} />,
      })),
  },
  {
    pattern: new RegExp(`^/projects/${NAME}/${NAME}$`),
    answer: async (c, v, m, q, path) => {
      const d = await projectData(c, v, m[1]!, m[2]!, pageOf(q, c.settings.dashboard.pageSize));
      return d && { title: `${d.repo.owner}/${d.repo.name}`, data: d, page: () => <ProjectPage d={d} path={path} /> };
    },
  },
  {
    pattern: new RegExp(`^/pipelines/${ID}$`),
    answer: async (c, v, m) =>
      pipelineData(c, v, Number(m[1])).then(
        (d) =>
          d && { title: `Pipeline #${d.id}: ${d.repo.owner}/${d.repo.name} ${d.subject}`, data: d, page: () => <PipelinePage d={d} /> },
      ),
  },
  {
    pattern: new RegExp(`^/jobs/${ID}$`),
    answer: async (c, v, m) =>
      jobData(c, v, Number(m[1])).then((d) => d && { title: `${d.job.check} (job ${d.job.id})`, data: d, page: () => <JobPage d={d} /> }),
  },
  {
    pattern: /^\/cancellations$/,
    answer: async (c, v, _m, q) =>
      cancellationsData(c, v, pageOf(q, c.settings.dashboard.pageSize)).then((d) => ({
        title: "Cancellations",
        data: d,
        page: () => <CancellationsPage d={d} />,
      })),
  },
  {
    pattern: /^\/maintenance$/,
    answer: async (c, _v, _m, q) =>
      maintenanceData(c, pageOf(q, c.settings.dashboard.pageSize)).then((d) => ({
        title: "Maintenance",
        data: d,
        page: () => <MaintenancePage d={d} />,
      })),
  },
  { pattern: /^\/queue$/, answer: async (c) => queueData(c).then((d) => ({ title: "Queue", data: d, page: () => <QueuePage d={d} /> })) },
];

const HTML = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'",
};
const JSON_TYPE = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" };

export interface DashboardOptions {
  /** A secret only this server knows (the App's private key): session cookies are signed with a key derived from it. */
  signingSecret: string;
  approvals?: PendingApprovals;
}

/**
 * The dashboard's request handler for Probot's `addHandler`: answers its GET paths
 * and returns false for everything else (webhooks, health).
 */
export function dashboardHandler(deps: AppDeps, opts: DashboardOptions): Handler {
  const store = new DashboardStore(deps.db, deps.now);
  const ctx: DashboardContext = { store, settings: deps.settings, now: deps.now, ...(opts.approvals ? { approvals: opts.approvals } : {}) };
  const signer = new CookieSigner(createHmac("sha256", opts.signingSecret).update("packit-dashboard-session").digest());
  const oauth = deps.settings.dashboard.oauth;
  const signIn =
    oauth.clientId && oauth.clientSecret
      ? signInRoutes(
          {
            clientId: oauth.clientId,
            clientSecret: oauth.clientSecret,
            baseUrl: deps.settings.github.baseUrl ?? "https://api.github.com",
            publicUrl: deps.publicUrl,
            sessionHours: deps.settings.dashboard.sessionHours,
          },
          store,
          signer,
          deps.now,
        )
      : undefined;

  return async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const url = new URL(req.url ?? "/", "http://dashboard.invalid");
    const api = url.pathname === "/api" || url.pathname.startsWith("/api/");
    const path = api ? url.pathname.slice(4) || "/" : url.pathname;
    try {
      if (!api && signIn && (await signIn(req, res, path, url.searchParams))) return true;
      for (const route of ROUTES) {
        const m = route.pattern.exec(path);
        if (!m) continue;
        const viewer = await viewerOf(req, store, signer);
        const found = await route.answer(
          ctx,
          viewer,
          m,
          url.searchParams,
          url.pathname + url.search.replace(/([?&])before=\d+&?/, "$1").replace(/[?&]$/, ""),
        );
        if (!found) return notFound(res, api, viewer, Boolean(signIn));
        if (api) res.writeHead(200, JSON_TYPE).end(JSON.stringify(found.data));
        else
          res.writeHead(200, HTML).end(
            htmlPage(
              <Layout title={found.title} login={viewer.login} signIn={Boolean(signIn)}>
                {found.page()}
              </Layout>,
            ),
          );
        return true;
      }
      if (api) return notFound(res, true, { login: null, repoIds: [] }, false);
      return false;
    } catch (err) {
      if (err instanceof BadQuery) {
        res
          .writeHead(400, api ? JSON_TYPE : { ...HTML, "content-type": "text/plain; charset=utf-8" })
          .end(api ? JSON.stringify({ error: err.message }) : `${err.message}\n`);
        return true;
      }
      deps.log.error({ err: toError(err).message, path }, "dashboard page failed");
      res
        .writeHead(500, api ? JSON_TYPE : { "content-type": "text/plain; charset=utf-8" })
        .end(api ? JSON.stringify({ error: "internal error" }) : "The page could not be made; the error is in the service's log.\n");
      return true;
    }
  };
}

/** Unknown, or not visible to this visitor: the same answer, so a private name is not confirmed. */
function notFound(res: ServerResponse, api: boolean, viewer: Viewer, signIn: boolean): true {
  if (api) res.writeHead(404, JSON_TYPE).end(JSON.stringify({ error: "not found" }));
  else
    res.writeHead(404, HTML).end(
      htmlPage(
        <Layout title="Not found" login={viewer.login} signIn={signIn}>
          <p>There is no such page{viewer.login ? "" : ", or it belongs to a private repository (sign in to see those you can read)"}.</p>
        </Layout>,
      ),
    );
  return true;
}

/** A whole HTML document. A hono element renders with toString(): a string, or a Promise where a component is async (none here). */
function htmlPage(el: { toString(): string | Promise<string> }): string {
  const html = el.toString();
  if (typeof html !== "string") throw new Error("dashboard views must render synchronously");
  return `<!doctype html>${html}`;
}
