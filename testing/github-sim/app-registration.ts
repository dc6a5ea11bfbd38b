/**
 * The App a simulated GitHub hosts, and GitHub's manifest flow that registers one:
 * the "Create GitHub App" page a browser POSTs a manifest to, and the one-time code
 * `POST /app-manifests/{code}/conversions` trades for the new App's credentials.
 */
import { randomBytes } from "node:crypto";
import { generateAppKeys, type AppKeys } from "./auth.js";
import type { Reply } from "./http.js";
import { manifestProblems, type AppManifest } from "./manifest.js";

/** The App: its id, key pair, webhook secret and URL, and what it is installed with. */
export interface SimApp {
  id: number;
  slug: string;
  name: string;
  keys: AppKeys;
  webhookSecret: string;
  webhookUrl: string | null;
  permissions: Record<string, string>;
  events: string[];
}

/** Where a browser POSTs a manifest to register an App (for a user, or an organisation). */
export const MANIFEST_FORM = /^(?:\/organizations\/[^/]+)?\/settings\/apps\/new$/;

/** Manifests GitHub accepted, by the one-time code it sent the browser back with. */
export class ManifestCodes {
  private readonly codes = new Map<string, AppManifest>();

  /**
   * The form POST (`manifest=<JSON>`), confirmed by the user: a manifest GitHub
   * registers sends the browser to its `redirect_url` with a code; one it refuses is
   * answered 422 with the reasons.
   */
  accept(form: string): Reply {
    const text = { "content-type": "text/plain" };
    let manifest: AppManifest;
    try {
      manifest = JSON.parse(new URLSearchParams(form).get("manifest") ?? "") as AppManifest;
    } catch {
      return { status: 400, headers: text, body: "manifest is not JSON" };
    }
    const problems = manifestProblems(manifest);
    if (typeof manifest.redirect_url !== "string" || !URL.canParse(manifest.redirect_url)) problems.push("redirect_url must be a URL");
    if (problems.length > 0) return { status: 422, headers: text, body: `Invalid GitHub App configuration:\n${problems.join("\n")}` };
    const code = randomBytes(20).toString("hex");
    this.codes.set(code, manifest);
    const next = new URL(manifest.redirect_url as string);
    next.searchParams.set("code", code);
    return { status: 302, headers: { ...text, location: next.toString() }, body: `Found. Redirecting to ${next.toString()}` };
  }

  /** The manifest of a code, once: a second use finds nothing. */
  take(code: string): AppManifest | undefined {
    const manifest = this.codes.get(code);
    this.codes.delete(code);
    return manifest;
  }
}

/** The App a manifest registers: a new id, key pair and webhook secret. */
export function appFromManifest(manifest: AppManifest, previousId: number): SimApp {
  const name = typeof manifest.name === "string" ? manifest.name : "github-app";
  return {
    id: previousId + 1,
    slug: name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, ""),
    name,
    keys: generateAppKeys(),
    webhookSecret: randomBytes(20).toString("hex"),
    webhookUrl: typeof manifest.hook_attributes?.url === "string" ? manifest.hook_attributes.url : null,
    permissions: { metadata: "read", ...(manifest.default_permissions as Record<string, string> | undefined) },
    events: (manifest.default_events as string[] | undefined) ?? [],
  };
}

/** The conversion's answer: the App as `GET /app` shows it, plus its new secrets (GitHub shows them this once). */
export function conversionAnswer(app: SimApp, manifest: AppManifest, appJson: Record<string, unknown>): Record<string, unknown> {
  return {
    ...appJson,
    description: typeof manifest.description === "string" ? manifest.description : null,
    external_url: String(manifest.url),
    client_id: `Iv1.${randomBytes(8).toString("hex")}`,
    client_secret: randomBytes(20).toString("hex"),
    webhook_secret: app.webhookSecret,
    pem: app.keys.privateKey,
  };
}
