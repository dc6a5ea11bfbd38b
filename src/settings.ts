import { existsSync, readFileSync } from "node:fs";
import yaml from "js-yaml";
import { z } from "zod";
import { SettingsError } from "./errors.js";
import { backendsSchema } from "./settings-backends.js";

/** Releases the target aliases (fedora-all, epel-all, …) expand to; see packit-config/aliases.ts. */
const releaseList = z
  .object({
    fedora: z.object({ stable: z.array(z.string()), development: z.array(z.string()) }).strict(),
    epel: z.array(z.string()),
    opensuse: z.object({ leap: z.array(z.string()), leapMicro: z.array(z.string()), tumbleweed: z.array(z.string()) }).strict(),
    mageia: z.array(z.string()),
  })
  .strict();

/** What one process runs (see `role`). */
export const ROLES = ["all", "web", "worker"] as const;
export type Role = (typeof ROLES)[number];

/** Every service setting, with its default. `.env.example` documents each. */
const settingsSchema = z
  .object({
    /**
     * What this process runs: `web` (webhooks, health, the pages; never claims a task),
     * `worker` (the worker pools and the cron; serves only health and metrics) or `all`.
     * `--role` on the command line wins.
     */
    role: z.enum(ROLES).default("all"),
    database: z
      .object({
        /** The embedded SQLite file (the default engine). */
        path: z.string().default("./data/packit-probot.sqlite"),
        /** `postgres://user:password@host:5432/db`: PostgreSQL instead (several replicas). `DATABASE_URL` sets it too. */
        url: z.string().min(1).optional(),
        /** PostgreSQL connections per process. */
        poolSize: z.coerce.number().int().min(2).max(100).default(10),
      })
      .strict()
      .prefault({}),
    /** How long the daily maintenance task keeps finished work, days. */
    retention: z
      .object({
        /** Delivery ids (dedupe): longer than GitHub offers redelivery. */
        deliveriesDays: z.coerce.number().positive().default(14),
        /** Finished tasks (succeeded, failed, cancelled, aborted). */
        tasksDays: z.coerce.number().positive().default(14),
        /** Audit rows (cancellations, maintenance decisions). */
        auditDays: z.coerce.number().positive().default(365),
        /** Pipelines whose jobs have all finished, with their jobs and check-run rows. */
        pipelinesDays: z.coerce.number().positive().default(180),
      })
      .strict()
      .prefault({}),
    worker: z
      .object({
        /** Slots for long tasks (submissions, polls). */
        concurrency: z.coerce.number().int().min(1).max(256).default(4),
        /** Slots reserved for short tasks (check reporting, cancellation), so they never wait behind long ones. */
        shortConcurrency: z.coerce.number().int().min(1).max(64).default(2),
        /** Slots for what webhook deliveries imply (config lookup, planning, commands), apart from backend work. */
        deliveryConcurrency: z.coerce.number().int().min(1).max(64).default(4),
        pollIntervalMs: z.coerce.number().int().min(10).default(1000),
        leaseMs: z.coerce.number().int().min(100).default(60_000),
        /** Replaced by `role`; named here so an old settings file gets a message saying so. */
        enabled: z.undefined({ error: "replaced by role: web (no workers), worker (workers only) or all" }).optional(),
        retryBaseMs: z.coerce.number().int().min(1).default(2000),
        retryMaxMs: z.coerce.number().int().min(1).default(300_000),
        maxAttempts: z.coerce.number().int().min(1).default(6),
        /** A waiting task gains one priority point per this many ms. */
        agingMs: z.coerce.number().int().min(1).default(60_000),
        /**
         * Role `all`: how long a worker about to start a task waits for the webhook requests
         * being answered (a burst of deliveries is answered first); 0: not at all.
         */
        yieldToWebhooksMs: z.coerce.number().int().min(0).max(10_000).default(1000),
      })
      .strict()
      .prefault({}),
    polling: z
      .object({
        /** First status poll after submission, then backing off up to maxIntervalMs. */
        intervalMs: z.coerce.number().int().min(10).default(30_000),
        maxIntervalMs: z.coerce.number().int().min(10).default(300_000),
        /**
         * How long a backend may be unreadable before its job ends in `error`. The
         * build may go on meanwhile, so outages are ridden out at the poll interval.
         */
        giveUpAfterMs: z.coerce
          .number()
          .int()
          .min(0)
          .default(12 * 3_600_000),
      })
      .strict()
      .prefault({}),
    cron: z
      .object({ maintenance: z.string().default("17 3 * * *"), enabled: z.boolean().default(true) })
      .strict()
      .prefault({}),
    maintenance: z
      .object({
        mode: z.enum(["off", "report", "suspend", "uninstall"]).default("report"),
        graceDays: z.coerce.number().min(0).default(30),
        maxActionsPerRun: z.coerce.number().int().min(0).default(20),
        /** Installation ids or account logins never swept. */
        allowList: z.array(z.union([z.string(), z.number()])).default([]),
      })
      .strict()
      .prefault({}),
    configCache: z
      .object({ ttlHours: z.coerce.number().positive().default(24) })
      .strict()
      .prefault({}),
    cancel: z
      .object({
        /** Cancel superseded jobs of pushes to the default branch too. */
        supersedeDefaultBranch: z.boolean().default(false),
        /** Cancel superseded jobs of release events too. */
        supersedeReleases: z.boolean().default(false),
        /** Backend cancel calls in flight at once. */
        concurrency: z.coerce.number().int().min(1).default(16),
      })
      .strict()
      .prefault({}),
    checks: z
      .object({
        flushWindowMs: z.coerce.number().int().min(0).default(25),
        batchSize: z.coerce.number().int().min(1).max(100).default(50),
      })
      .strict()
      .prefault({}),
    dashboard: z
      .object({
        /** Where people reach the dashboard (check runs link their job page there). Default: the server's own URL. */
        publicUrl: z.string().url().optional(),
        /**
         * The App's OAuth client (its settings page on GitHub; Probot's setup page writes
         * them to .env as GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET): "Sign in with GitHub"
         * shows visitors the private repositories they can read. Unset: public ones only.
         */
        oauth: z
          .object({ clientId: z.string().min(1).optional(), clientSecret: z.string().min(1).optional() })
          .strict()
          .refine((o) => Boolean(o.clientId) === Boolean(o.clientSecret), { message: "clientId and clientSecret go together" })
          .prefault({}),
        /** How long a sign-in lasts, hours. */
        sessionHours: z.coerce
          .number()
          .positive()
          .max(24 * 30)
          .default(8),
        /** Rows per page (pages and the JSON API). */
        pageSize: z.coerce.number().int().min(1).max(500).default(50),
      })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        /** Serve /metrics on this port of `host` only (0: any free port), never on the public one. */
        port: z.coerce.number().int().min(0).max(65535).optional(),
        host: z.string().min(1).default("127.0.0.1"),
        /** Or serve /metrics on the public port to requests with `Authorization: Bearer <token>`. */
        token: z.string().min(16).optional(),
      })
      .strict()
      .prefault({}),
    priorities: z
      .object({
        pullRequest: z.coerce.number().int().default(10),
        push: z.coerce.number().int().default(5),
        release: z.coerce.number().int().default(0),
        /** Running jobs of one project above which its new tasks lose priority. */
        busyThreshold: z.coerce.number().int().min(1).default(20),
        busyPenalty: z.coerce.number().int().min(0).default(10),
        /** Bonus for projects that ran jobs in the last 30 days. */
        activeBonus: z.coerce.number().int().min(0).default(3),
        /** Per-project adjustments, "owner/repo" or "owner" → points. */
        overrides: z.record(z.string(), z.coerce.number().int()).default({}),
      })
      .strict()
      .prefault({}),
    backends: backendsSchema,
    releases: releaseList.optional(),
    packit: z
      .object({
        /** This service's Packit instance: jobs whose `packit_instances` lack it are not run here. */
        instance: z.enum(["prod", "stg", "dev"]).default("prod"),
      })
      .strict()
      .prefault({}),
    /** Who may spend this service's backends: installations, and pull request authors without write permission (docs/security.md). */
    approval: z
      .object({
        /**
         * `open`: every installation runs jobs (a private App). A list of account logins:
         * those are approved on arrival; any other installation waits until an operator
         * runs `npm run cli -- installations approve <login>`. Default: every one waits.
         */
        installations: z.union([z.literal("open"), z.array(z.string().min(1))]).default([]),
        /** Whom a waiting installation's check run tells people to ask (an e-mail address, a URL). */
        contact: z.string().min(1).optional(),
        /**
         * Job types that a pull request by an author without write permission runs only
         * after a maintainer's approval. Packit's floor — tests, upstream_koji_build,
         * vm_image_build — needs approval whatever this says.
         */
        pullRequestJobs: z
          .array(z.enum(["copr_build", "tests", "upstream_koji_build", "vm_image_build", "osh_scan"]))
          .default(["copr_build", "tests", "upstream_koji_build", "vm_image_build", "osh_scan"]),
        /** How long a user's permission read from GitHub is reused, ms. */
        permissionCacheMs: z.coerce.number().int().min(0).default(60_000),
        /** At most this many commands (comments, buttons) of one user on one pull request per window; the first one over gets a reply. */
        commandLimit: z.coerce.number().int().min(1).default(10),
        commandWindowMs: z.coerce.number().int().min(1).default(600_000),
      })
      .strict()
      .prefault({}),
    /** A Redis shared by the replicas: GitHub rate limits (the throttling plugin's and our write spacing) count for all of them. `REDIS_URL` sets it too. */
    redis: z
      .object({
        /** `redis://[:password@]host:6379[/db]` (or `rediss://`). Unset: each process keeps its own limits. */
        url: z
          .string()
          .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
          .optional(),
      })
      .strict()
      .prefault({}),
    github: z
      .object({
        /** GitHub API base URL (GitHub Enterprise, or the local simulator in the demo). */
        baseUrl: z.string().url().optional(),
        /** Retries of a rate-limited request before its update is left pending for the next flush. */
        rateLimitRetries: z.coerce.number().int().min(0).default(2),
        /**
         * Minimum gap between the starts of two writes (REST POST/PATCH/PUT/DELETE, GraphQL
         * mutations) of one installation, ms; check-run writes have a lane of their own,
         * reads are not spaced. GitHub asks for 1 s to stay clear of secondary limits;
         * batching keeps this cheap.
         */
        writeIntervalMs: z.coerce.number().int().min(0).default(1000),
        /**
         * Minimum gap between the starts of two writes that notify people (comments,
         * issues) of one installation, ms: GitHub asks for 3 s, Octokit's default.
         */
        notificationIntervalMs: z.coerce.number().int().min(0).default(3000),
        /**
         * A GitHub request (any: REST, GraphQL, token) that has not answered in this long,
         * ms, is abandoned and retried like a 5xx (Octokit's retry plugin: up to 3 times,
         * after 1, 4 and 9 × `retryBaseMs`). GitHub itself ends requests after 10 s.
         */
        requestTimeoutMs: z.coerce.number().int().min(100).default(30_000),
        /** A GitHub request that failed (5xx, timeout) is retried after 1, 4 and 9 times this, ms (Octokit's default: 1 s). */
        retryBaseMs: z.coerce.number().int().min(0).default(1000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Settings = z.infer<typeof settingsSchema>;
export type BackendSettings = Settings["backends"];

/**
 * Environment overrides: `PACKIT__SECTION__KEY_NAME=value` sets `section.keyName`
 * (double underscore between levels, single underscores become camelCase).
 * Lists and maps are given as JSON: `PACKIT__MAINTENANCE__ALLOW_LIST=["acme"]`.
 */
export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("PACKIT__") || value === undefined) continue;
    const path = name.slice("PACKIT__".length).split("__").map(camel);
    let node = out;
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]!] = parseEnvValue(value);
  }
  return out;
}

function camel(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function parseEnvValue(value: string): unknown {
  if (/^[[{]/.test(value.trim())) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  if (value === "true" || value === "false") return value === "true";
  return value;
}

/** `over` merged into `base`, objects key by key (arrays and values replace). */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Load settings from an optional YAML file and the environment, validated.
 * Throws `SettingsError` naming each bad key (never its value: it may be a token).
 */
export function loadSettings(opts: { file?: string; env?: NodeJS.ProcessEnv } = {}): Settings {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.PACKIT_SETTINGS ?? (existsSync("packit-probot.yaml") ? "packit-probot.yaml" : undefined);
  let fromFile: Record<string, unknown> = {};
  if (file) {
    let parsed: unknown;
    try {
      parsed = yaml.load(readFileSync(file, "utf8"));
    } catch (err) {
      throw new SettingsError(`settings file ${file}: ${(err as Error).message}`);
    }
    if (parsed !== undefined && parsed !== null && !isPlainObject(parsed)) {
      throw new SettingsError(`settings file ${file}: the top level must be a mapping`);
    }
    fromFile = (parsed as Record<string, unknown>) ?? {};
  }
  const overrides = envOverrides(env);
  // The usual variable of hosted PostgreSQL; it wins over the settings file like PACKIT__ variables do.
  if (env.DATABASE_URL) overrides.database = { ...(overrides.database as object | undefined), url: env.DATABASE_URL };
  // The App's OAuth client, as Probot's setup page writes it to .env.
  if (env.GITHUB_CLIENT_ID && env.GITHUB_CLIENT_SECRET) {
    const dashboard = (overrides.dashboard ?? {}) as Record<string, unknown>;
    overrides.dashboard = {
      ...dashboard,
      oauth: { clientId: env.GITHUB_CLIENT_ID, clientSecret: env.GITHUB_CLIENT_SECRET, ...(dashboard.oauth as object | undefined) },
    };
  }
  if (env.REDIS_URL) overrides.redis = { ...(overrides.redis as object | undefined), url: env.REDIS_URL };
  return parseSettings(deepMerge(fromFile, overrides));
}

/** Validate a settings object (defaults filled in). */
export function parseSettings(input: unknown): Settings {
  const result = settingsSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    const key = i.path.join(".") || "(top level)";
    const what = i.code === "unrecognized_keys" ? `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(", ")}` : i.message;
    return `${key}: ${what}`;
  });
  throw new SettingsError(`invalid settings:\n  ${problems.join("\n  ")}`);
}
