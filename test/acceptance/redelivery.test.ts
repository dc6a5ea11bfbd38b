import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeCopr, type FakeCopr } from "../../testing/fakes/copr.js";
import { startFakeTestingFarm, type FakeTestingFarm } from "../../testing/fakes/testing-farm.js";
import { pullRequestEvent, randomSha, sendWebhook, startGitHubSim, type GitHubSim, type SimRepo } from "../../testing/github-sim/index.js";
import { waitFor } from "../support/db.js";
import { HANG_MARK } from "../support/hang-at-delivery-record.js";
import { killTestEnv, startServerProcess, type ServerProcess } from "../../testing/server-process.js";

const CONFIG = `jobs:
  - job: copr_build
    trigger: pull_request
    targets: [fedora-rawhide-x86_64]
  - job: tests
    trigger: pull_request
    targets: [fedora-rawhide-x86_64]
`;
const HANG = fileURLToPath(new URL("../support/hang-at-delivery-record.ts", import.meta.url));

/**
 * GitHub's redelivery after a kill -9 of the real server at the delivery record
 * (SQLite: the preload that stops the process dead patches better-sqlite3): a delivery
 * counts as received only once its record — with its task — is committed.
 */
describe.skipIf(process.env.TEST_ENGINE === "postgres")("redelivery after a kill at the delivery record", () => {
  let sim: GitHubSim;
  let copr: FakeCopr;
  let tf: FakeTestingFarm;
  let repo: SimRepo;
  let dir: string;
  let server: ServerProcess | undefined;

  beforeEach(async () => {
    sim = await startGitHubSim();
    copr = await startFakeCopr({ phaseMs: 100 });
    tf = await startFakeTestingFarm({ phaseMs: 100 });
    sim.addInstallation({ id: 100, account: { login: "acme", type: "Organization" } });
    repo = sim.addRepo({ installationId: 100, owner: "acme", name: "widget", files: { ".packit.yaml": CONFIG } });
    // The pull requests' author is a collaborator: their jobs run without approval.
    sim.setPermission("acme", "widget", "contributor", "write");
    dir = mkdtempSync(join(tmpdir(), "packit-redelivery-"));
  });
  afterEach(async () => {
    await server?.kill();
    server = undefined;
    await Promise.all([sim.stop(), copr.stop(), tf.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const dbPath = () => join(dir, "db.sqlite");
  const start = (hangAt?: "written" | "committed") =>
    startServerProcess(
      {
        ...killTestEnv({ sim, databasePath: dbPath(), coprUrl: copr.url, testingFarmUrl: tf.url }),
        ...(hangAt ? { HANG_AT_DELIVERY: hangAt } : {}),
      },
      { preload: hangAt ? [HANG] : [] },
    );

  const payload = (headSha: string) => pullRequestEvent("opened", { repo, number: 1, headSha, author: "contributor" });
  const deliver = (s: ServerProcess, headSha: string, deliveryId: string) =>
    sendWebhook(`${s.url}/api/github/webhooks`, {
      event: "pull_request",
      payload: payload(headSha),
      secret: sim.webhookSecret,
      deliveryId,
    });
  const concluded = (sha: string) => sim.checkRuns("acme", "widget", sha).filter((c) => c.status === "completed");
  const rows = (sql: string) => {
    const db = new Database(dbPath(), { readonly: true });
    try {
      return (db.prepare(sql).get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  /** Send a delivery to a server that stops dead at its record, and kill it there (kill -9). */
  async function killAtRecord(hangAt: "written" | "committed", headSha: string, deliveryId: string): Promise<void> {
    server = await start(hangAt);
    const s = server;
    // The request is never answered: the process stops before it can.
    const unanswered = deliver(s, headSha, deliveryId).then(
      (r) => `answered ${r.status}`,
      () => "no answer",
    );
    await waitFor(
      () => s.output().includes(HANG_MARK),
      20_000,
      `the server to stop at the delivery record (${hangAt}); output:\n${s.output()}`,
    );
    await s.kill();
    expect(await unanswered).toBe("no answer");
  }

  it("processes the redelivery of a delivery killed before its record committed", async () => {
    const sha = randomSha();
    const id = "a1b2c3d4-0000-4000-8000-000000000001";
    await killAtRecord("written", sha, id);
    // The kill rolled the record back: nothing says this delivery was ever received.
    expect(rows("SELECT COUNT(*) AS n FROM deliveries")).toBe(0);

    server = await start();
    const res = await deliver(server, sha, id); // GitHub's "Redeliver", same X-GitHub-Delivery
    expect(res.status, res.body).toBe(200);
    await waitFor(
      () => concluded(sha).length === 2,
      30_000,
      `the redelivered event's checks: ${JSON.stringify(sim.checkRuns("acme", "widget", sha).map((c) => [c.name, c.status]))}`,
    );
    expect(rows("SELECT COUNT(*) AS n FROM pipelines")).toBe(1);
    expect(copr.submissions).toBe(1);
  }, 90_000);

  it("answers the redelivery of a delivery whose record committed as a duplicate, and its task still runs once", async () => {
    const sha = randomSha();
    const id = "a1b2c3d4-0000-4000-8000-000000000002";
    await killAtRecord("committed", sha, id);
    expect(rows("SELECT COUNT(*) AS n FROM deliveries")).toBe(1);
    expect(rows("SELECT COUNT(*) AS n FROM tasks WHERE name = 'process-trigger'")).toBe(1);

    server = await start();
    const res = await deliver(server, sha, id);
    expect(res.status, res.body).toBe(200);
    await waitFor(
      () => concluded(sha).length === 2,
      30_000,
      `the recorded delivery's checks: ${JSON.stringify(sim.checkRuns("acme", "widget", sha).map((c) => [c.name, c.status]))}`,
    );
    expect(rows("SELECT COUNT(*) AS n FROM pipelines")).toBe(1);
    expect(rows("SELECT COUNT(*) AS n FROM tasks WHERE name = 'process-trigger'")).toBe(1); // the redelivery queued nothing
    expect(copr.submissions).toBe(1);
    expect(sim.checkRuns("acme", "widget", sha)).toHaveLength(2);
  }, 90_000);
});
