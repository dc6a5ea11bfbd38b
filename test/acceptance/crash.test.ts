import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeCopr, type FakeCopr } from "../../testing/fakes/copr.js";
import { startFakeTestingFarm, type FakeTestingFarm } from "../../testing/fakes/testing-farm.js";
import { pullRequestEvent, randomSha, sendWebhook, startGitHubSim, type GitHubSim, type SimRepo } from "../../testing/github-sim/index.js";
import { killTestEnv, startServerProcess, type ServerProcess } from "../../testing/server-process.js";
import { waitFor } from "../support/db.js";

const CONFIG = `jobs:
  - job: copr_build
    trigger: pull_request
    targets: [fedora-rawhide-x86_64, fedora-44-x86_64, fedora-45-x86_64]
  - job: tests
    trigger: pull_request
    targets: [fedora-rawhide-x86_64, fedora-44-x86_64, fedora-45-x86_64]
`;

/**
 * kill -9 of the real server at several points of a pipeline, then a restart on the
 * same database: every job still reaches a final state, no backend submission is
 * made twice and no check run is created twice.
 */
describe("crash safety (kill -9 of the real server)", () => {
  let sim: GitHubSim;
  let copr: FakeCopr;
  let tf: FakeTestingFarm;
  let repo: SimRepo;
  let dir: string;
  let server: ServerProcess | undefined;

  beforeEach(async () => {
    sim = await startGitHubSim();
    copr = await startFakeCopr({ phaseMs: 150 });
    tf = await startFakeTestingFarm({ phaseMs: 150 });
    sim.addInstallation({ id: 100, account: { login: "acme", type: "Organization" } });
    repo = sim.addRepo({ installationId: 100, owner: "acme", name: "widget", files: { ".packit.yaml": CONFIG } });
    // The pull requests' author is a collaborator: their jobs run without approval.
    sim.setPermission("acme", "widget", "contributor", "write");
    dir = mkdtempSync(join(tmpdir(), "packit-crash-"));
  });
  afterEach(async () => {
    await server?.kill();
    await Promise.all([sim.stop(), copr.stop(), tf.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const start = () =>
    startServerProcess({
      ...killTestEnv({ sim, databasePath: join(dir, "db.sqlite"), coprUrl: copr.url, testingFarmUrl: tf.url }),
      // A submission cut short is looked for again until this has passed, then resent.
      PACKIT__BACKENDS__COPR__TIMEOUT_MS: "5000",
    });

  const openPr = async (s: ServerProcess, headSha: string) => {
    const res = await sendWebhook(`${s.url}/api/github/webhooks`, {
      event: "pull_request",
      payload: pullRequestEvent("opened", { repo, number: 1, headSha, author: "contributor" }),
      secret: sim.webhookSecret,
    });
    expect(res.status).toBe(200);
  };
  const concluded = (sha: string) => sim.checkRuns("acme", "widget", sha).filter((c) => c.status === "completed");

  async function expectEverythingDoneOnce(sha: string) {
    await waitFor(
      () => concluded(sha).length === 6,
      30_000,
      `all six checks to conclude: ${JSON.stringify(sim.checkRuns("acme", "widget", sha).map((c) => [c.name, c.status]))}`,
    );
    const runs = sim.checkRuns("acme", "widget", sha);
    expect(runs).toHaveLength(6); // no check run created twice
    expect(runs.every((c) => c.conclusion === "success")).toBe(true);
    expect(copr.submissions).toBe(3); // no build submitted twice
    expect(tf.requests()).toHaveLength(3); // no test submitted twice
  }

  it("killed in the middle of a Copr submission: the build reached Copr, the restart finds it instead of submitting again", async () => {
    // Copr takes 600 ms to answer a build submission; the server dies while waiting.
    const isBuild = (c: { method: string; path: string }) => c.method === "POST" && c.path === "/api_3/build/create/scm";
    copr.faults.delayMs = (req) => (isBuild(req) ? 600 : 0);
    server = await start();
    const sha = randomSha();
    await openPr(server, sha);
    await waitFor(() => copr.calls.some(isBuild), 10_000, "a submission in flight");
    await server.kill();
    await waitFor(() => copr.submissions >= 1, 5000, "Copr to have accepted the orphaned submission");
    copr.faults.delayMs = 0;
    server = await start();
    await expectEverythingDoneOnce(sha);
  }, 60_000);

  it("killed in the middle of a check-run flush: the restart does not create the check runs twice", async () => {
    sim.latencyMs = 400;
    server = await start();
    const sha = randomSha();
    await openPr(server, sha);
    await waitFor(
      () => sim.requests.some((r) => r.group === "graphql" && r.method === "POST") || sim.checkRuns("acme", "widget", sha).length > 0,
      10_000,
      "a flush in flight",
    );
    await new Promise((r) => setTimeout(r, 500)); // the create mutation is on the wire
    await server.kill();
    sim.latencyMs = 0;
    server = await start();
    await expectEverythingDoneOnce(sha);
  }, 60_000);

  it("SIGTERM stops gracefully: the process exits 0, and a task cut short runs again after the restart", async () => {
    copr.faults.delayMs = (req) => (req.method === "POST" ? 3000 : 0); // a submission outlives the grace period
    server = await start();
    const sha = randomSha();
    await openPr(server, sha);
    await waitFor(() => copr.calls.some((c) => c.method === "POST"), 10_000, "a submission in flight");
    const exited = new Promise<number | null>((r) => server!.child.once("exit", (code) => r(code)));
    server.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    copr.faults.delayMs = 0;
    server = await start();
    await expectEverythingDoneOnce(sha);
  }, 60_000);

  it("killed repeatedly at random points of a pipeline: every job still ends, each submitted once", async () => {
    server = await start();
    const sha = randomSha();
    await openPr(server, sha);
    for (const delay of [120, 260, 410]) {
      await new Promise((r) => setTimeout(r, delay));
      await server.kill();
      server = await start();
    }
    await expectEverythingDoneOnce(sha);
  }, 90_000);
});
