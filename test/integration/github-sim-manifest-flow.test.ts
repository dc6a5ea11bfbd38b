import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../src/util/net.js";
import { installationEvent, sendWebhook, startGitHubSim, type GitHubSim } from "../../testing/github-sim/index.js";
import { waitFor } from "../support/db.js";

const ROOT = join(import.meta.dirname, "../..");
const MAIN = join(ROOT, "src/main.ts");
const TSX = import.meta.resolve("tsx");

/** `npm start` in `cwd`, as a user runs it there: its app.yml, its .env, its database. */
async function startApp(cwd: string, port: number, env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...env,
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    LOG_FORMAT: "json",
    NODE_ENV: "test",
  };
  // Credentials come from .env only: the test runner's own must not leak in (an empty one would block .env).
  for (const key of [
    "APP_ID",
    "PRIVATE_KEY",
    "PRIVATE_KEY_PATH",
    "WEBHOOK_SECRET",
    "WEBHOOK_PROXY_URL",
    "GHE_HOST",
    "GHE_PROTOCOL",
    "GH_ORG",
  ])
    if (!(key in env)) delete childEnv[key];
  const child = spawn(process.execPath, ["--import", TSX, MAIN], { cwd, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  let ready = false;
  const poll = setInterval(
    () =>
      void fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => (ready = r.ok),
        () => undefined,
      ),
    50,
  );
  try {
    await waitFor(() => ready || child.exitCode !== null, 30_000, "the app to answer /readyz");
  } finally {
    clearInterval(poll);
  }
  if (!ready) throw new Error(`the app exited early:\n${out}`);
  return { child, output: () => out };
}

async function stopApp(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await gone;
}

/** The parsed `.env` the setup page wrote (`KEY=value`, newlines escaped). */
function readDotEnv(dir: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(join(dir, ".env"), "utf8")
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

describe("Probot's manifest flow, end to end against the simulated GitHub", () => {
  let sim: GitHubSim | undefined;
  let app: ChildProcess | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    if (app) await stopApp(app);
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    app = sim = dir = undefined;
  });

  it("setup page → GitHub registers app.yml → .env written → restart → a signed delivery at the registered URL is answered 2xx", async () => {
    sim = await startGitHubSim();
    dir = mkdtempSync(join(tmpdir(), "manifest-flow-"));
    copyFileSync(join(ROOT, "app.yml"), join(dir, "app.yml"));
    copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // Probot's setup flow talks to GitHub Enterprise Server's layout when GHE_HOST is set: the simulator serves it.
    const ghe = { GHE_HOST: new URL(sim.url).host, GHE_PROTOCOL: "http", PACKIT__DATABASE__PATH: join(dir, "data.sqlite") };

    // 1. No credentials: the setup page, whose form POSTs the manifest to GitHub.
    const setup = await startApp(dir, port, ghe);
    app = setup.child;
    const page = await (await fetch(`${base}/probot`)).text();
    const action = /<form action="([^"]+)"/.exec(page)?.[1];
    const manifest = /value='([^']+)'/.exec(page)?.[1];
    expect(action).toBe(`${sim.url}/settings/apps/new`);
    const sent = JSON.parse(manifest!) as { hook_attributes: { url: string }; redirect_url: string; default_events: string[] };
    expect(sent.hook_attributes.url).toBe(`${base}/`);
    expect(sent.default_events).not.toContain("installation");

    // 2. The user confirms on GitHub, which sends the browser back with a one-time code.
    const created = await fetch(action!, { method: "POST", body: new URLSearchParams({ manifest: manifest! }), redirect: "manual" });
    expect(created.status).toBe(302);
    const back = new URL(created.headers.get("location")!);
    expect(`${back.origin}${back.pathname}`).toBe(`${base}/probot/setup`);

    // 3. The setup page trades the code for the App's credentials and writes .env.
    const done = await fetch(back, { redirect: "manual" });
    expect(done.status).toBe(302);
    expect(done.headers.get("location")).toMatch(/^https:\/\/github\.com\/apps\/packit-probot\/installations\/new$/);
    expect(sim.requests.some((r) => r.method === "POST" && r.path.startsWith("/app-manifests/") && r.status === 201)).toBe(true);
    const env = readDotEnv(dir);
    expect(env.APP_ID).toBe(String(sim.appId));
    expect(env.WEBHOOK_SECRET).toBe(sim.webhookSecret);
    expect(env.PRIVATE_KEY).toContain("BEGIN RSA PRIVATE KEY");
    expect(sim.webhookUrl).toBe(`${base}/`);
    await stopApp(app);

    // 4. Restarted in the same folder, the app runs as the registered App.
    const running = await startApp(dir, port, { PACKIT__DATABASE__PATH: ghe.PACKIT__DATABASE__PATH, PACKIT__GITHUB__BASE_URL: sim.url });
    app = running.child;
    const installation = sim.addInstallation({ id: 77, account: { login: "acme", type: "Organization" } });
    const delivery = await sim.deliver("installation", installationEvent("created", { installation, repositories: [], sender: "acme" }));
    expect(delivery.status).toBeGreaterThanOrEqual(200);
    expect(delivery.status).toBeLessThan(300);
    // Signed with anything but the App's secret, the same delivery is refused.
    const forged = await sendWebhook(sim.webhookUrl!, {
      event: "installation",
      payload: installationEvent("created", { installation, sender: "acme" }),
      secret: "not-the-secret",
    });
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect(running.output()).not.toContain(env.WEBHOOK_SECRET!);
  }, 90_000);

  it("GitHub refuses a manifest that subscribes to installation events, and a code works once", async () => {
    sim = await startGitHubSim();
    const manifest = {
      name: "x",
      url: "https://example.com",
      redirect_url: "http://127.0.0.1:1/probot/setup",
      default_events: ["installation"],
      default_permissions: { metadata: "read" },
    };
    const refused = await fetch(`${sim.url}/settings/apps/new`, {
      method: "POST",
      body: new URLSearchParams({ manifest: JSON.stringify(manifest) }),
      redirect: "manual",
    });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain("installation is sent to every App and cannot be subscribed to");

    const ok = await fetch(`${sim.url}/settings/apps/new`, {
      method: "POST",
      body: new URLSearchParams({
        manifest: JSON.stringify({ ...manifest, default_events: ["push"], default_permissions: { contents: "read" } }),
      }),
      redirect: "manual",
    });
    const code = new URL(ok.headers.get("location")!).searchParams.get("code");
    const convert = () =>
      fetch(`${sim!.url}/app-manifests/${code}/conversions`, { method: "POST", headers: { accept: "application/vnd.github+json" } });
    const first = await convert();
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({
      id: sim.appId,
      slug: "x",
      events: ["push"],
      permissions: { contents: "read", metadata: "read" },
    });
    const again = await convert();
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({
      message: "Not Found",
      documentation_url: "https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest",
      status: "404",
    });
  });
});
