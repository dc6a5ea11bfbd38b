import { LRUCache } from "lru-cache";
import type { Db } from "../db/types.js";
import { ConfigError, PermanentCondition } from "../errors.js";
import { CONFIG_FILE_NAMES, lookupConfig, UnreadableConfigError } from "./lookup.js";
import { parsePackitConfig } from "./parse.js";
import type { PackitConfig, ParseResult } from "./parse.js";

export type CachedState = "present" | "absent" | "invalid" | "unknown";

export interface ConfigStateRow {
  repo_id: number;
  ref: string;
  state: CachedState;
  path: string | null;
  blob_sha: string | null;
  text: string | null;
  error: string | null;
  checked_at: number;
}

/** What the app knows about a repository's config at a ref. */
export type ResolvedConfig =
  | {
      kind: "present";
      config: PackitConfig;
      warnings: string[];
      path: string;
      blobSha: string;
      source: "cache" | "github";
      commitSha?: string;
    }
  | { kind: "invalid"; error: ConfigError; path: string; source: "cache" | "github" }
  | { kind: "absent"; source: "cache" | "github" }
  /** The lookup failed (5xx, rate limit, timeout): never read as "absent". */
  | { kind: "unknown"; error: string; source: "github" };

/**
 * Paths a push touched, or "unknown" when the payload cannot tell (GitHub lists at
 * most 20 commits; created or forced pushes may rewrite more than they list).
 */
export type TouchedPaths = readonly string[] | "unknown";

/** Whether a cached answer can stand for this event (pure). */
export function cachedAnswerStands(row: ConfigStateRow | undefined, touched: TouchedPaths, now: number, ttlMs: number): boolean {
  if (!row || row.state === "unknown") return false;
  if (now - row.checked_at >= ttlMs) return false;
  if (touched === "unknown") return false;
  return !touched.some((p) => (CONFIG_FILE_NAMES as readonly string[]).includes(p));
}

/** Paths added, modified or removed by a push's commits, or "unknown" when the list may be incomplete. */
export function pathsTouchedByPush(payload: {
  created?: boolean;
  forced?: boolean;
  commits?: { added?: string[]; modified?: string[]; removed?: string[] }[];
}): TouchedPaths {
  const commits = payload.commits;
  if (!commits || payload.forced || payload.created || commits.length >= 20) return "unknown";
  return commits.flatMap((c) => [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])]);
}

/** The config-absence cache: one row per repository and ref. */
export class ConfigCache {
  constructor(
    readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async get(repoId: number, ref: string): Promise<ConfigStateRow | undefined> {
    return this.db.get<ConfigStateRow>(
      "SELECT repo_id, ref, state, path, blob_sha, text, error, checked_at FROM config_state WHERE repo_id = ? AND ref = ?",
      [repoId, ref],
    );
  }

  async put(
    repoId: number,
    ref: string,
    v: { state: CachedState; path?: string; blobSha?: string; text?: string; error?: string },
  ): Promise<void> {
    await this.db.run(
      `INSERT INTO config_state (repo_id, ref, state, path, blob_sha, text, error, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(repo_id, ref) DO UPDATE SET state = excluded.state, path = excluded.path, blob_sha = excluded.blob_sha,
         text = excluded.text, error = excluded.error, checked_at = excluded.checked_at`,
      [repoId, ref, v.state, v.path ?? null, v.blobSha ?? null, v.text ?? null, v.error ?? null, this.now()],
    );
  }

  /** Default-branch config state of each repository of an installation (the maintenance sweep reads this). */
  async statesOfInstallation(
    installationId: number,
  ): Promise<
    { repo_id: number; owner: string; name: string; default_branch: string | null; state: CachedState | null; checked_at: number | null }[]
  > {
    return this.db.all(
      `SELECT r.id AS repo_id, r.owner, r.name, r.default_branch, c.state, c.checked_at
       FROM repositories r LEFT JOIN config_state c ON c.repo_id = r.id AND c.ref = r.default_branch
       WHERE r.installation_id = ? AND r.removed_at IS NULL ORDER BY r.id`,
      [installationId],
    );
  }

  /** How many cached answers are in `state` (benchmarks, tests). */
  async countInState(state: CachedState): Promise<number> {
    return (await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM config_state WHERE state = ?", [state]))!.n;
  }
}

/** Parsed configs kept per process; a config is a few KB, its parse (YAML + schema) about a millisecond. */
const PARSED_CONFIGS_KEPT = 1000;

const parsedConfigs = new LRUCache<string, ParseResult>({ max: PARSED_CONFIGS_KEPT });

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * A config file's parse, by its blob SHA (git's id of the content) and path: the same
 * file is parsed once, not on every event. The result is shared by every event that
 * reads it, so it is frozen: no event can change another's config.
 */
function parseConfigBlob(text: string, path: string, blobSha: string | null | undefined): ParseResult {
  if (!blobSha) return parsePackitConfig(text, { path });
  const key = `${blobSha}\0${path}`;
  let parsed = parsedConfigs.get(key);
  if (!parsed) {
    parsed = deepFreeze(parsePackitConfig(text, { path }));
    parsedConfigs.set(key, parsed);
  }
  return parsed;
}

type GraphqlClient = Parameters<typeof lookupConfig>[0];

/**
 * The config of a repository at a ref: from the cache when it still stands (no
 * GitHub request), else one GraphQL lookup at `sha`, cached under `ref`.
 */
export async function resolveConfig(
  cache: ConfigCache,
  github: () => Promise<GraphqlClient>,
  where: { repoId: number; owner: string; repo: string; ref: string; sha: string; touched: TouchedPaths },
  opts: { now: number; ttlMs: number },
): Promise<ResolvedConfig> {
  const row = await cache.get(where.repoId, where.ref);
  if (cachedAnswerStands(row, where.touched, opts.now, opts.ttlMs)) return fromRow(row!);
  let found;
  try {
    found = await lookupConfig(await github(), { owner: where.owner, repo: where.repo, ref: where.sha });
  } catch (err) {
    // A file that is there but unreadable (binary, too large) is an invalid config, not a failed lookup.
    if (err instanceof UnreadableConfigError) {
      await cache.put(where.repoId, where.ref, { state: "invalid", path: err.path, blobSha: err.blobSha, error: err.message });
      return { kind: "invalid", error: err, path: err.path, source: "github" };
    }
    // Not an unknown answer but a fact about the repository: the caller decides what it means.
    if (err instanceof PermanentCondition) throw err;
    const error = (err as Error).message ?? String(err);
    await cache.put(where.repoId, where.ref, { state: "unknown", error });
    return { kind: "unknown", error, source: "github" };
  }
  if (found.kind === "absent") {
    await cache.put(where.repoId, where.ref, { state: "absent" });
    return { kind: "absent", source: "github" };
  }
  const parsed = parseConfigBlob(found.text, found.path, found.blobSha);
  await cache.put(where.repoId, where.ref, {
    state: parsed.ok ? "present" : "invalid",
    path: found.path,
    blobSha: found.blobSha,
    text: found.text,
    error: parsed.ok ? undefined : parsed.error.message,
  });
  return parsed.ok
    ? {
        kind: "present",
        config: parsed.config,
        warnings: parsed.warnings,
        path: found.path,
        blobSha: found.blobSha,
        source: "github",
        commitSha: found.commitSha,
      }
    : { kind: "invalid", error: parsed.error, path: found.path, source: "github" };
}

function fromRow(row: ConfigStateRow): ResolvedConfig {
  if (row.state === "absent") return { kind: "absent", source: "cache" };
  const path = row.path ?? ".packit.yaml";
  if (row.text === null) return { kind: "invalid", error: new ConfigError(row.error ?? "unreadable config"), path, source: "cache" };
  const parsed = parseConfigBlob(row.text, path, row.blob_sha);
  if (!parsed.ok) return { kind: "invalid", error: parsed.error, path, source: "cache" };
  return { kind: "present", config: parsed.config, warnings: parsed.warnings, path, blobSha: row.blob_sha ?? "", source: "cache" };
}
