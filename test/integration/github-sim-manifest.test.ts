import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const readJson = (path: string) => JSON.parse(readFileSync(join(ROOT, "node_modules", path), "utf8")) as Record<string, any>;

const manifest = load(readFileSync(join(ROOT, "app.yml"), "utf8")) as {
  default_events: string[];
  default_permissions: Record<string, string>;
  hook_attributes?: unknown;
};

/** GitHub's published webhook descriptions, by event name: what an App may subscribe to and what that needs. */
function webhookRules() {
  const doc = readJson("@octokit/openapi-webhooks/generated/api.github.com.json");
  const events = new Map<string, { summary: string; types: string[] }>();
  for (const item of Object.values(doc.webhooks as Record<string, { post: any }>)) {
    const x = item.post["x-github"];
    const seen = events.get(x.subcategory);
    // Each action of an event is one entry; the summary is the event's.
    events.set(x.subcategory, { summary: seen?.summary ?? item.post.summary, types: x["supported-webhook-types"] ?? [] });
  }
  return events;
}

const LEVEL = { read: 1, write: 2 } as const;

describe("app.yml, against GitHub's published rules", () => {
  const events = webhookRules();
  const permissions = readJson("@octokit/openapi/generated/api.github.com.json").components.schemas["app-permissions"].properties as Record<string, { enum: string[] }>;

  it("subscribes only to events a GitHub App can subscribe to", () => {
    expect(manifest.default_events.length).toBeGreaterThan(0);
    for (const name of manifest.default_events) {
      const rule = events.get(name);
      expect(rule, `${name} is a published webhook event`).toBeDefined();
      expect(rule!.types, `${name} is sent to Apps`).toContain("app");
      // installation, installation_repositories, github_app_authorization: sent to every App, refused in a manifest.
      expect(rule!.summary, `${name} is subscribable`).not.toMatch(/cannot manually subscribe|cannot unsubscribe|receive this event by default/i);
    }
    expect(manifest.default_events).not.toContain("installation");
    expect(manifest.default_events).not.toContain("installation_repositories");
  });

  it("asks only for published permissions and levels", () => {
    for (const [name, level] of Object.entries(manifest.default_permissions)) {
      expect(permissions[name], `${name} is an App permission`).toBeDefined();
      expect(permissions[name]!.enum, `${name}: ${level}`).toContain(level);
    }
  });

  it("holds the permission each subscribed event needs, at the level its actions need", () => {
    for (const name of manifest.default_events) {
      const needs = [...events.get(name)!.summary.matchAll(/at least (read|write)-level access for the "([^"]+)"(?: repository| organization| app)? permission/g)];
      expect(needs.length, `${name} names the permission it needs`).toBeGreaterThan(0);
      for (const [, level, label] of needs) {
        const key = label!.toLowerCase().replaceAll(" ", "_");
        expect(permissions[key], `"${label}" is the App permission ${key}`).toBeDefined();
        const held = manifest.default_permissions[key] as keyof typeof LEVEL | undefined;
        expect(held && LEVEL[held] >= LEVEL[level as keyof typeof LEVEL], `${name} needs ${key}: ${level} (app.yml has ${held ?? "none"})`).toBe(true);
      }
    }
  });

  it("leaves hook_attributes to the setup page, which registers the URL the app answers", () => {
    // A fixed URL here would replace the one Probot derives from where the app runs; the flow test below proves that URL is served.
    expect(manifest.hook_attributes).toBeUndefined();
  });
});
