/**
 * GitHub's rules for an App manifest (the manifest flow), from GitHub's published
 * descriptions: event names and what each needs from `@octokit/openapi-webhooks`,
 * permission names and levels from the `app-permissions` schema of `@octokit/openapi`.
 * https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { load } from "js-yaml";
import { z } from "zod";

export interface AppManifest {
  name?: unknown;
  url?: unknown;
  description?: unknown;
  hook_attributes?: { url?: unknown; active?: unknown };
  redirect_url?: unknown;
  public?: unknown;
  default_events?: unknown;
  default_permissions?: unknown;
}

interface EventRule {
  /** Sent to GitHub Apps at all. */
  forApps: boolean;
  /** Sent to every App without subscribing (installation, …): a manifest may not list it. */
  implicit: boolean;
  /** Permissions the event needs, e.g. `pull_requests: read` (levels its actions need included). */
  needs: Array<{ permission: string; level: "read" | "write" }>;
}

const LEVELS = { read: 1, write: 2 } as const;
let rules: { events: Map<string, EventRule>; permissions: Record<string, string[]> } | undefined;

/** The parts of the published descriptions read here. */
const WebhooksSpec = z.object({
  webhooks: z.record(
    z.string(),
    z.object({
      post: z.object({
        summary: z.string().optional(),
        "x-github": z.object({ subcategory: z.string(), "supported-webhook-types": z.array(z.string()).optional() }),
      }),
    }),
  ),
});
const RestSpec = z.object({
  components: z.object({
    schemas: z.object({ "app-permissions": z.object({ properties: z.record(z.string(), z.object({ enum: z.array(z.string()) })) }) }),
  }),
});

const readJson = <T>(specifier: string, schema: z.ZodType<T>): T =>
  schema.parse(JSON.parse(readFileSync(createRequire(import.meta.url).resolve(specifier), "utf8")));

function published() {
  if (rules) return rules;
  const events = new Map<string, EventRule>();
  for (const item of Object.values(readJson("@octokit/openapi-webhooks/generated/api.github.com.json", WebhooksSpec).webhooks)) {
    const x = item.post["x-github"];
    // One entry per action; the summary describes the whole event.
    if (events.has(x.subcategory)) continue;
    const summary = item.post.summary ?? "";
    events.set(x.subcategory, {
      forApps: (x["supported-webhook-types"] ?? []).includes("app"),
      implicit: /cannot manually subscribe|cannot unsubscribe|receive this event by default|receives this webhook by default/i.test(
        summary,
      ),
      needs: [
        ...summary.matchAll(/at least (read|write)-level access for the "([^"]+)"(?: repository| organization| app)? permission/g),
      ].map((m) => ({
        level: m[1] as "read" | "write",
        permission: m[2]!.toLowerCase().replaceAll(" ", "_"),
      })),
    });
  }
  const schema = readJson("@octokit/openapi/generated/api.github.com.json", RestSpec).components.schemas["app-permissions"].properties;
  const permissions = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, v.enum]));
  return (rules = { events, permissions });
}

/** What GitHub refuses in a manifest, one message per problem (empty: GitHub registers it). */
export function manifestProblems(m: AppManifest): string[] {
  const { events, permissions } = published();
  const problems: string[] = [];
  if (typeof m.url !== "string" || !URL.canParse(m.url)) problems.push("url must be the App's homepage URL");
  if (m.hook_attributes !== undefined) {
    const hook = m.hook_attributes?.url;
    if (typeof hook !== "string" || !/^https?:$/.test(URL.canParse(hook) ? new URL(hook).protocol : ""))
      problems.push("hook_attributes.url must be an http(s) URL");
  }
  const granted = (m.default_permissions ?? {}) as Record<string, unknown>;
  if (typeof granted !== "object" || Array.isArray(granted)) problems.push("default_permissions must be an object");
  for (const [name, level] of Object.entries(granted)) {
    if (!permissions[name]) problems.push(`default_permissions: ${name} is not an App permission`);
    else if (!permissions[name].includes(String(level)))
      problems.push(`default_permissions: ${name} cannot be ${String(level)} (${permissions[name].join(", ")})`);
  }
  const listed = m.default_events ?? [];
  if (!Array.isArray(listed)) return [...problems, "default_events must be a list"];
  for (const name of listed.map(String)) {
    const rule = events.get(name);
    if (!rule || !rule.forApps) {
      problems.push(`default_events: ${name} is not an event GitHub Apps subscribe to`);
      continue;
    }
    if (rule.implicit) problems.push(`default_events: ${name} is sent to every App and cannot be subscribed to`);
    for (const need of rule.needs) {
      const held = granted[need.permission] as keyof typeof LEVELS | undefined;
      if (!held || !(LEVELS[held] >= LEVELS[need.level]))
        problems.push(`default_events: ${name} needs ${need.permission}: ${need.level} (the manifest has ${held ?? "none"})`);
    }
  }
  return problems;
}

/** This project's `app.yml`: the simulated App is registered with its permissions and events. */
export function projectManifest(): AppManifest {
  return load(readFileSync(new URL("../../app.yml", import.meta.url), "utf8")) as AppManifest;
}
