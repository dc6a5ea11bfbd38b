import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeCopr, type FakeCopr } from "../../testing/fakes/copr.js";
import {
  issueCommentEvent,
  pullRequestEvent,
  randomSha,
  sendWebhook,
  startGitHubSim,
  type GitHubSim,
  type SimRepo,
} from "../../testing/github-sim/index.js";
import { killTestEnv, startServerProcess, type ServerProcess } from "../../testing/server-process.js";
import { waitFor } from "../support/db.js";

const CONFIG = `jobs:
  - job: copr_build
    trigger: pull_request
    targets: [fedora-rawhide-x86_64]
`;

/** kill -9 of the real server while it runs a `/packit` command, then a restart on the same database (issue 23 item 4). */
describe("commands exactly once across a crash", () => {
  let sim: GitHubSim;
  let copr: FakeCopr;
  let repo: SimRepo;
  let dir: string;
  let server: ServerProcess | undefined;

  beforeEach(async () => {
    sim = await startGitHubSim();
    copr = await startFakeCopr({ phaseMs: 3_600_000 });
    sim.addInstallation({ id: 100, account: { login: "acme", type: "Organization" } });
    repo = sim.addRepo({ installationId: 100, owner: "acme", name: "widget", files: { ".packit.yaml": CONFIG } });
    // The pull requests' author is a collaborator: their jobs run without approval.
    sim.setPermission("acme", "widget", "contributor", "write");
    dir = mkdtempSync(join(tmpdir(), "packit-command-crash-"));
  });
  afterEach(async () => {
    await server?.kill();
    await Promise.all([sim.stop(), copr.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const start = () => startServerProcess(killTestEnv({ sim, databasePath: join(dir, "db.sqlite"), coprUrl: copr.url }));
  const send = async (s: ServerProcess, event: string, payload: object) => {
    const res = await sendWebhook(`${s.url}/api/github/webhooks`, { event, payload, secret: sim.webhookSecret });
    expect(res.status).toBe(200);
  };
  const botReplies = () =>
    sim
      .comments("acme", "widget", 1)
      .filter((c) => c.user.login.endsWith("[bot]"))
      .map((c) => c.body);
  const coprCancels = () => copr.calls.filter((c) => c.method === "PUT" && c.path.includes("/build/cancel/")).length;

  it("killed between a command's replies: the retry posts each reply once and cancels once", async () => {
    server = await start();
    const sha = randomSha();
    await send(server, "pull_request", pullRequestEvent("opened", { repo, number: 1, headSha: sha, author: "contributor" }));
    await waitFor(() => sim.checkRuns("acme", "widget", sha).some((c) => c.status === "in_progress"), 20_000, "the build running");

    // GitHub spaces an installation's comments seconds apart: the kill lands between the two help replies.
    await send(
      server,
      "issue_comment",
      issueCommentEvent({
        repo,
        issueNumber: 1,
        isPullRequest: true,
        body: "/packit help\n/packit help\n/packit cancel",
        author: "contributor",
        issueAuthor: "contributor",
      }),
    );
    await waitFor(() => botReplies().length === 1, 20_000, "the first reply");
    await server.kill();
    server = await start();

    await waitFor(
      () => botReplies().some((b) => b.startsWith("**Cancel:")),
      30_000,
      `the cancel report; replies now: ${botReplies().length}`,
    );
    await waitFor(
      () => sim.checkRuns("acme", "widget", sha).every((c) => c.conclusion === "cancelled"),
      10_000,
      "the build's check cancelled",
    );
    const replies = botReplies();
    expect(replies.filter((b) => b.startsWith("**Cancel: all** — Cancelled by @contributor"))).toHaveLength(1);
    expect(replies).toHaveLength(3); // help, help, the cancel report: one per command
    expect(coprCancels()).toBe(1);
  }, 90_000);
});
