/**
 * What the planner needs to know from Copr: the active chroots
 * (`GET /api_3/mock-chroots/list`, `{chroot: comment}` of the active ones; no
 * login needed) and the chroots of a project a job names
 * (`GET /api_3/project`, the keys of `chroot_repos`), as Packit's `CoprHelper`
 * reads them (`get_available_chroots`, `get_chroots`). Answers are cached per
 * process and refreshed in the background, so a webhook waits for Copr only when
 * nothing is known yet.
 */
import { errorText, httpCall } from "../http.js";
import type { BackendEndpoint } from "../types.js";

const NAME = "copr";
/** Packit caches the active chroots for 12 hours (`ttl_cache`). */
export const ACTIVE_CHROOTS_TTL_MS = 12 * 3_600_000;
/** A project's chroots change when someone edits it; the Copr client trusts them as long. */
const PROJECT_CHROOTS_TTL_MS = 10 * 60_000;
/** After a failed read, Copr is asked again no sooner than this. */
export const RETRY_AFTER_MS = 60_000;
/** The planner runs in webhook handlers: never wait long for Copr there. */
const LOOKUP_TIMEOUT_MS = 5_000;

/** Copr's active chroots. Names starting with `_` are Copr's internal ones (Packit drops them too). */
export async function fetchActiveChroots(endpoint: BackendEndpoint): Promise<Set<string>> {
  const ans = await httpCall(NAME, `${base(endpoint)}/api_3/mock-chroots/list`, { timeoutMs: timeout(endpoint) });
  if (ans.status !== 200 || !isRecord(ans.body) || "error" in ans.body) {
    throw new Error(`GET /api_3/mock-chroots/list: HTTP ${ans.status} ${errorText(ans.body)}`.trim());
  }
  return new Set(Object.keys(ans.body).filter((name) => !name.startsWith("_")));
}

/** The chroots a Copr project has enabled. */
export async function fetchProjectChroots(endpoint: BackendEndpoint, owner: string, project: string): Promise<string[]> {
  const query = new URLSearchParams({ ownername: owner, projectname: project });
  const ans = await httpCall(NAME, `${base(endpoint)}/api_3/project?${query.toString()}`, { timeoutMs: timeout(endpoint) });
  if (ans.status !== 200 || !isRecord(ans.body) || "error" in ans.body || !isRecord(ans.body.chroot_repos)) {
    throw new Error(`GET /api_3/project ${owner}/${project}: HTTP ${ans.status} ${errorText(ans.body)}`.trim());
  }
  return Object.keys(ans.body.chroot_repos).sort();
}

export interface CoprChrootReader {
  /** The active chroots, or undefined (with why) when Copr has not answered yet. */
  active(): Promise<{ chroots?: ReadonlySet<string>; error?: string }>;
  /** The chroots of `owner/project`, or undefined when unknown. */
  project(ownerAndProject: string): Promise<readonly string[] | undefined>;
}

interface Entry<T> {
  value?: T;
  error?: string;
  /** When the value goes stale (or, after a failure, when to ask again). */
  until: number;
  refreshing?: Promise<void>;
}

/**
 * A cached reader of one Copr. A fresh answer is served as is; a stale one is
 * served while a refresh runs; with no answer yet the caller waits for Copr (at
 * most a few seconds). After a failure Copr is asked again a minute later, not sooner.
 */
export function createCoprChrootReader(endpoint: BackendEndpoint, opts: { now?: () => number } = {}): CoprChrootReader {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry<unknown>>();

  async function read<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<Entry<T>> {
    let entry = entries.get(key) as Entry<T> | undefined;
    if (!entry) {
      entry = { until: 0 };
      entries.set(key, entry);
    }
    const current = entry;
    if (current.until <= now() && !current.refreshing) {
      current.refreshing = load()
        .then(
          (value) => Object.assign(current, { value, error: undefined, until: now() + ttlMs }),
          (err: unknown) =>
            Object.assign(current, { error: err instanceof Error ? err.message : String(err), until: now() + RETRY_AFTER_MS }),
        )
        .then(() => {
          current.refreshing = undefined;
        });
    }
    if (current.value === undefined) await current.refreshing;
    return current;
  }

  return {
    async active() {
      const entry = await read("mock-chroots", ACTIVE_CHROOTS_TTL_MS, () => fetchActiveChroots(endpoint));
      return entry.value !== undefined ? { chroots: entry.value } : { error: entry.error ?? "no answer" };
    },
    async project(ownerAndProject) {
      const slash = ownerAndProject.indexOf("/");
      const [owner, project] = [ownerAndProject.slice(0, slash), ownerAndProject.slice(slash + 1)];
      return (await read(`project ${ownerAndProject}`, PROJECT_CHROOTS_TTL_MS, () => fetchProjectChroots(endpoint, owner, project))).value;
    },
  };
}

function base(endpoint: BackendEndpoint): string {
  return endpoint.url.replace(/\/+$/, "");
}

function timeout(endpoint: BackendEndpoint): number {
  return Math.min(endpoint.timeoutMs ?? LOOKUP_TIMEOUT_MS, LOOKUP_TIMEOUT_MS);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
