/** The simulated GitHub as an app sees it: comments and permissions, installations, faults, webhooks, its lifecycle. */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { verify } from "@octokit/webhooks-methods";
import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import {
  checkRunEvent,
  issueCommentEvent,
  pullRequestEvent,
  pushEvent,
  randomSha,
  sendWebhook,
  startGitHubSim,
} from "../../testing/github-sim/index.js";
import {
  INSTALLATION,
  sim,
  repo,
  appOctokit,
  installationToken,
  installationOctokit,
  newCommit,
  failure,
  useSim,
} from "../support/github-sim-app.js";

useSim();

describe("comments, reactions, permissions", () => {
  it("comments as the app's bot and reacts once per content", async () => {
    const octokit = await installationOctokit();
    sim.addPullRequest({ owner: "packit", repo: "ogr", number: 12, headSha: sim.headOf("packit", "ogr"), author: "contributor" });
    const command = sim.addComment("packit", "ogr", 12, { body: "/packit cancel", author: "contributor" });
    const first = await octokit.rest.reactions.createForIssueComment({
      owner: "packit",
      repo: "ogr",
      comment_id: command.id,
      content: "eyes",
    });
    const again = await octokit.rest.reactions.createForIssueComment({
      owner: "packit",
      repo: "ogr",
      comment_id: command.id,
      content: "eyes",
    });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.data.id).toBe(first.data.id);
    await octokit.rest.issues.createComment({ owner: "packit", repo: "ogr", issue_number: 12, body: "Cancelled 3 jobs." });

    expect(sim.reactions("packit", "ogr", command.id).map((r) => [r.content, r.user.login])).toEqual([["eyes", "packit-sim[bot]"]]);
    expect(sim.comments("packit", "ogr", 12).map((c) => [c.user.login, c.body])).toEqual([
      ["contributor", "/packit cancel"],
      ["packit-sim[bot]", "Cancelled 3 jobs."],
    ]);
    expect(
      (await failure(octokit.rest.reactions.createForIssueComment({ owner: "packit", repo: "ogr", comment_id: 1, content: "eyes" })))
        .status,
    ).toBe(404);
  });

  it("reports permissions with legacy mapping and role names", async () => {
    const octokit = await installationOctokit();
    sim.setPermission("packit", "ogr", "maintainer", "maintain");
    sim.setPermission("packit", "ogr", "triager", "triage");
    const perm = async (username: string) =>
      (await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: "packit", repo: "ogr", username })).data;
    expect(await perm("maintainer")).toMatchObject({ permission: "write", role_name: "maintain", user: { login: "maintainer" } });
    expect(await perm("triager")).toMatchObject({ permission: "read", role_name: "triage" });
    // Anyone can read a public repository.
    sim.addUser("stranger");
    expect(await perm("stranger")).toMatchObject({ permission: "read", role_name: "read" });
  });
});

describe("installation lifecycle", () => {
  it("suspends, unsuspends and deletes installations through the app API", async () => {
    const app = appOctokit();
    const octokit = await installationOctokit();
    expect((await app.rest.apps.suspendInstallation({ installation_id: INSTALLATION })).status).toBe(204);
    expect((await failure(installationToken())).status).toBe(403);
    expect((await failure(octokit.rest.repos.get({ owner: "packit", repo: "ogr" }))).status).toBe(403);
    expect(sim.installations()[0]!.suspended_at).not.toBeNull();

    await app.rest.apps.unsuspendInstallation({ installation_id: INSTALLATION });
    expect((await octokit.rest.repos.get({ owner: "packit", repo: "ogr" })).status).toBe(200);

    expect((await app.rest.apps.deleteInstallation({ installation_id: INSTALLATION })).status).toBe(204);
    expect((await failure(app.rest.apps.getInstallation({ installation_id: INSTALLATION }))).status).toBe(404);
    expect((await app.rest.apps.listInstallations()).data).toEqual([]);
    expect(sim.installations()[0]).toMatchObject({ id: INSTALLATION, deleted: true, repositories: ["packit/ogr"] });
    const revoked = await failure(octokit.rest.repos.get({ owner: "packit", repo: "ogr" }));
    expect([revoked.status, revoked.response.data.message]).toEqual([401, "Bad credentials"]);
  });
});

describe("faults", () => {
  it("answers injected secondary limits, 429 and primary limits like GitHub, and Octokit's throttling recovers", async () => {
    const octokit = await installationOctokit();
    const get = () => octokit.rest.repos.get({ owner: "packit", repo: "ogr" });

    sim.rateLimitNext(1, { kind: "secondary", retryAfterSec: 7 });
    const secondary = await failure(get());
    expect(secondary.status).toBe(403);
    expect(secondary.response.headers["retry-after"]).toBe("7");
    expect(secondary.message).toMatch(/You have exceeded a secondary rate limit/);

    sim.rateLimitNext(1, { kind: "429", retryAfterSec: 3 });
    const tooMany = await failure(get());
    expect([tooMany.status, tooMany.response.headers["retry-after"]]).toEqual([429, "3"]);

    sim.rateLimitNext(1, { kind: "primary", retryAfterSec: 60 });
    const primary = await failure(get());
    expect(primary.status).toBe(403);
    expect(primary.response.headers["x-ratelimit-remaining"]).toBe("0");
    expect(Number(primary.response.headers["x-ratelimit-reset"])).toBeGreaterThan(Date.now() / 1000 + 50);

    const ok = await get();
    for (const h of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-used"]) {
      expect(ok.headers[h]).toMatch(/^\d+$/);
    }

    // The real throttling plugin recognises both kinds and retries.
    const limited: string[] = [];
    const throttled = new ProbotOctokit({
      auth: { token: await installationToken() },
      baseUrl: sim.url,
      retry: { enabled: false },
      throttle: {
        retryAfterBaseValue: 1,
        onSecondaryRateLimit: () => (limited.push("secondary"), true),
        onRateLimit: () => (limited.push("primary"), true),
      },
    });
    sim.rateLimitNext(1, { kind: "secondary", routeGroup: "contents" });
    sim.rateLimitNext(1, { kind: "primary", retryAfterSec: 0, routeGroup: "graphql" });
    await throttled.rest.repos.getContent({ owner: "packit", repo: "ogr", path: ".packit.yaml" });
    await throttled.graphql(`{ repository(owner: "packit", name: "ogr") { id } }`);
    expect(limited).toEqual(["secondary", "primary"]);
  });

  it("fails only the targeted route group and delays answers by latencyMs", async () => {
    const octokit = await installationOctokit();
    sim.failNext(1, 502, { routeGroup: "contents" });
    expect((await octokit.rest.repos.get({ owner: "packit", repo: "ogr" })).status).toBe(200);
    expect((await failure(octokit.rest.repos.getContent({ owner: "packit", repo: "ogr", path: ".packit.yaml" }))).status).toBe(502);
    expect(sim.requests.at(-1)).toMatchObject({ method: "GET", group: "contents", status: 502 });

    sim.latencyMs = 60;
    const started = Date.now();
    await octokit.rest.repos.get({ owner: "packit", repo: "ogr" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(sim.requestCount({ group: "access-tokens" })).toBe(1);
  });
});

describe("webhooks", () => {
  it("delivers signed payloads whose ids match the simulated API", async () => {
    const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        res.writeHead(202).end("ok");
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/github/webhooks`;
    try {
      const before = randomSha();
      const after = randomSha();
      const payload = pullRequestEvent("synchronize", {
        repo,
        number: 7,
        headSha: after,
        before,
        author: "contributor",
        labels: ["packit"],
      });
      const answer = await sendWebhook(url, { event: "pull_request", payload, secret: sim.webhookSecret, deliveryId: "d-1" });
      expect(answer).toEqual({ status: 202, body: "ok" });

      const { headers, body } = received[0]!;
      expect(headers["x-github-event"]).toBe("pull_request");
      expect(headers["x-github-delivery"]).toBe("d-1");
      expect(await verify(sim.webhookSecret, body, String(headers["x-hub-signature-256"]))).toBe(true);
      expect(JSON.parse(body)).toMatchObject({
        action: "synchronize",
        before,
        after,
        installation: { id: INSTALLATION },
        repository: { id: repo.id, node_id: repo.node_id, full_name: "packit/ogr", owner: { login: "packit", type: "Organization" } },
        pull_request: { number: 7, head: { sha: after }, labels: [{ name: "packit" }] },
        sender: { login: "contributor", type: "User" },
      });
    } finally {
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });

  it("builds push, comment and check-run payloads from simulator objects", async () => {
    const octokit = await installationOctokit();
    const head = newCommit();
    await octokit.rest.checks.create({ owner: "packit", repo: "ogr", name: "rpm-build:f40", head_sha: head });
    const run = sim.checkRuns("packit", "ogr", head)[0]!;
    const event = checkRunEvent("requested_action", { repo, checkRun: run, identifier: "cancel", sender: "maintainer" });
    expect(event).toMatchObject({
      requested_action: { identifier: "cancel" },
      check_run: { id: run.id, node_id: run.node_id, head_sha: head, app: { id: sim.appId }, check_suite: { id: run.check_suite_id } },
    });

    const push = pushEvent({ repo, ref: "main", before: randomSha(), after: head, commits: [{ id: head, modified: ["ogr/api.py"] }] });
    expect(push).toMatchObject({
      ref: "refs/heads/main",
      created: false,
      deleted: false,
      head_commit: { id: head, modified: ["ogr/api.py"] },
    });

    const comment = issueCommentEvent({ repo, issueNumber: 3, isPullRequest: true, body: "/packit build", author: "maintainer" });
    expect(comment.issue.pull_request?.url).toBe(`${sim.url}/repos/packit/ogr/pulls/3`);
  });
});

describe("lifecycle", () => {
  it("keeps issued tokens across reset() so an app's cached token works once the installation is back", async () => {
    const octokit = await installationOctokit();
    sim.reset();
    expect((await failure(octokit.rest.repos.get({ owner: "packit", repo: "ogr" }))).status).toBe(401);
    sim.addInstallation({ id: INSTALLATION, account: { login: "packit", type: "Organization" } });
    sim.addRepo({ installationId: INSTALLATION, owner: "packit", name: "ogr" });
    expect((await octokit.rest.repos.get({ owner: "packit", repo: "ogr" })).status).toBe(200);
    expect(sim.requests).toHaveLength(2);
  });

  it("stop() closes kept-alive connections", async () => {
    const other = await startGitHubSim();
    await fetch(`${other.url}/app`, { headers: { connection: "keep-alive" } });
    const started = Date.now();
    await other.stop();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
