import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/open.js";
import { FAKE_COPR_ACCOUNT, startFakeCopr, type FakeCopr } from "../../testing/fakes/copr.js";
import { pullRequestEvent, randomSha, sendWebhook, startGitHubSim, type GitHubSim, type SimRepo } from "../../testing/github-sim/index.js";
import { startServerProcess, type ServerProcess } from "../../testing/server-process.js";
import { waitFor } from "../support/db.js";

const CONFIG = `jobs:
  - job: copr_build
    trigger: pull_request
    targets: [fedora-rawhide-x86_64, fedora-44-x86_64]
`;

/**
 * `--role web` and `--role worker` as two real processes on one database: the web
 * process records the delivery and queues its tasks but claims none; the worker
 * process runs them, and serves nothing but health, readiness and metrics.
 */
describe("roles: a web process and a worker process", () => {
  let sim: GitHubSim;
  let copr: FakeCopr;
  let repo: SimRepo;
  let dir: string;
  let web: ServerProcess;
  let worker: ServerProcess;

  beforeAll(async () => {
    [sim, copr] = await Promise.all([startGitHubSim(), startFakeCopr({ phaseMs: 100 })]);
    sim.addInstallation({ id: 100, account: { login: "acme", type: "Organization" } });
    repo = sim.addRepo({ installationId: 100, owner: "acme", name: "widget", files: { ".packit.yaml": CONFIG } });
    // The pull requests' author is a collaborator: their jobs run without approval.
    sim.setPermission("acme", "widget", "contributor", "write");
    dir = mkdtempSync(join(tmpdir(), "packit-roles-"));
    const env = {
      APP_ID: String(sim.appId),
      PRIVATE_KEY: sim.privateKey,
      WEBHOOK_SECRET: sim.webhookSecret,
      PACKIT__DATABASE__PATH: join(dir, "db.sqlite"),
      PACKIT__APPROVAL__INSTALLATIONS: "open",
      PACKIT__WORKER__POLL_INTERVAL_MS: "50",
      PACKIT__POLLING__INTERVAL_MS: "60",
      PACKIT__POLLING__MAX_INTERVAL_MS: "200",
      PACKIT__CHECKS__FLUSH_WINDOW_MS: "10",
      PACKIT__GITHUB__BASE_URL: sim.url,
      PACKIT__GITHUB__WRITE_INTERVAL_MS: "20",
      PACKIT__BACKENDS__COPR__URL: copr.url,
      PACKIT__BACKENDS__COPR__LOGIN: FAKE_COPR_ACCOUNT.login,
      PACKIT__BACKENDS__COPR__USERNAME: FAKE_COPR_ACCOUNT.username,
      PACKIT__BACKENDS__COPR__TOKEN: FAKE_COPR_ACCOUNT.token,
    };
    // The web role from the setting, the worker role from the command line.
    web = await startServerProcess({ ...env, PACKIT__ROLE: "web" });
    worker = await startServerProcess(env, { args: ["--role", "worker"] });
  }, 90_000);
  afterAll(async () => {
    await Promise.all([web?.kill(), worker?.kill()]);
    await Promise.all([sim?.stop(), copr?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("each answers /healthz and /readyz with its role", async () => {
    for (const [p, role] of [
      [web, "web"],
      [worker, "worker"],
    ] as const) {
      for (const path of ["/healthz", "/readyz"]) {
        const res = await fetch(`${p.url}${path}`);
        expect(res.status).toBe(200);
        expect(((await res.json()) as { role: string }).role).toBe(role);
      }
    }
    // Without metrics.token, /metrics is on a loopback port of its own, for either role.
    expect((await fetch(`${worker.url}/metrics`)).status).toBe(404);
  });

  it("a worker process takes no webhooks: they go to the web processes", async () => {
    const payload = pullRequestEvent("opened", { repo, number: 2, headSha: randomSha(), author: "contributor" });
    for (const path of ["/", "/api/github/webhooks"]) {
      const res = await sendWebhook(`${worker.url}${path}`, { event: "pull_request", payload, secret: sim.webhookSecret });
      expect(res.status).toBe(404);
    }
  });

  it("a delivery to the web process is run by the worker process: every task claimed by the worker", async () => {
    const sha = randomSha();
    const res = await sendWebhook(`${web.url}/api/github/webhooks`, {
      event: "pull_request",
      payload: pullRequestEvent("opened", { repo, number: 1, headSha: sha, author: "contributor" }),
      secret: sim.webhookSecret,
    });
    expect(res.status).toBeLessThan(300);
    await waitFor(
      () => sim.checkRuns("acme", "widget", sha).filter((c) => c.status === "completed").length === 2,
      30_000,
      "both checks to conclude",
    );
    expect(copr.submissions).toBe(2);
    const db = await openDatabase({ path: join(dir, "db.sqlite") });
    try {
      const rows = await db.all<{ worker_id: string | null; status: string }>("SELECT worker_id, status FROM tasks");
      expect(rows.length).toBeGreaterThan(0);
      const claimed = rows.filter((r) => r.worker_id !== null);
      expect(claimed.length).toBeGreaterThan(0);
      for (const r of claimed) expect(r.worker_id).toMatch(new RegExp(`^(long|short|deliveries)-${worker.child.pid}$`));
    } finally {
      await db.close();
    }
  }, 60_000);
});
