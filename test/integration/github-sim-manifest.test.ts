import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { manifestProblems, type AppManifest } from "../../testing/github-sim/manifest.js";

const ROOT = join(import.meta.dirname, "../..");
const manifest = load(readFileSync(join(ROOT, "app.yml"), "utf8")) as AppManifest & {
  default_events: string[];
  default_permissions: Record<string, string>;
};

describe("app.yml, against GitHub's published rules", () => {
  it("is a manifest GitHub registers: subscribable events, published permissions, each event's permission held", () => {
    expect(manifestProblems(manifest)).toEqual([]);
    expect(manifest.default_events).toEqual(expect.arrayContaining(["pull_request", "push", "issue_comment", "check_run", "release"]));
  });

  it("the rules bite: what GitHub refuses is refused, as the old app.yml was", () => {
    const withEvents = (default_events: string[], default_permissions = manifest.default_permissions) =>
      manifestProblems({ ...manifest, default_events, default_permissions });
    expect(withEvents([...manifest.default_events, "installation", "installation_repositories"])).toEqual([
      "default_events: installation is sent to every App and cannot be subscribed to",
      "default_events: installation_repositories is sent to every App and cannot be subscribed to",
    ]);
    expect(withEvents(["pull_requests"])).toEqual(["default_events: pull_requests is not an event GitHub Apps subscribe to"]);
    const { checks: _checks, ...withoutChecks } = manifest.default_permissions;
    expect(withEvents(["check_run"], withoutChecks)).toEqual([
      "default_events: check_run needs checks: read (the manifest has none)",
      "default_events: check_run needs checks: write (the manifest has none)",
    ]);
    expect(withEvents(["check_run"], { ...manifest.default_permissions, checks: "read" })).toEqual([
      "default_events: check_run needs checks: write (the manifest has read)",
    ]);
    expect(
      manifestProblems({ ...manifest, default_permissions: { ...manifest.default_permissions, pull_request: "write", issues: "admin" } }),
    ).toEqual([
      "default_permissions: issues cannot be admin (read, write)",
      "default_permissions: pull_request is not an App permission",
      "default_events: issue_comment needs issues: read (the manifest has admin)",
    ]);
  });

  it("asks for nothing the app does not use", () => {
    // Each one is justified in app.yml; a new one needs its reason there too.
    expect(Object.keys(manifest.default_permissions).sort()).toEqual(["checks", "contents", "issues", "metadata", "pull_requests"]);
    expect(manifest.default_permissions).toMatchObject({ contents: "read", issues: "read", metadata: "read" });
  });

  it("leaves hook_attributes to the setup page, which registers the URL the app answers (see the flow below)", () => {
    // A fixed URL here would replace the one Probot derives from where the app runs.
    expect(manifest.hook_attributes).toBeUndefined();
  });
});
