import { generateKeyPairSync } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { verify } from "@octokit/webhooks-methods";
import { ProbotOctokit } from "probot";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  blobSha,
  checkRunEvent,
  issueCommentEvent,
  pullRequestEvent,
  pushEvent,
  randomSha,
  sendWebhook,
  startGitHubSim,
  type GitHubSim,
  type SimRepo,
} from "../../testing/github-sim/index.js";

const INSTALLATION = 4242;
const CONFIG = "specfile_path: ogr.spec\njobs:\n  - job: copr_build\n    trigger: pull_request\n";

let sim: GitHubSim;
let repo: SimRepo;

const quiet = { throttle: { enabled: false }, retry: { enabled: false } } as const;

function appOctokit(privateKey = sim.privateKey) {
  return new ProbotOctokit({ auth: { appId: sim.appId, privateKey }, baseUrl: sim.url, ...quiet });
}

async function installationToken(installationId = INSTALLATION): Promise<string> {
  const auth = (await appOctokit().auth({ type: "installation", installationId })) as { token: string };
  return auth.token;
}

async function installationOctokit(installationId = INSTALLATION) {
  return new ProbotOctokit({ auth: { token: await installationToken(installationId) }, baseUrl: sim.url, ...quiet });
}

/** A commit of packit/ogr: GitHub refuses check runs at a sha the repository does not have. */
function newCommit(): string {
  const sha = randomSha();
  sim.addCommit("packit", "ogr", sha);
  return sha;
}

/** The HTTP status of a rejected Octokit call (and the error, for its body). */
async function failure(p: Promise<unknown>) {
  const err = (await p.then(
    () => {
      throw new Error("expected the request to fail");
    },
    (e: unknown) => e,
  )) as { status: number; message: string; response: { data: { message: string }; headers: Record<string, string> } };
  return err;
}

beforeAll(async () => {
  sim = await startGitHubSim();
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  sim.reset();
  sim.addInstallation({ id: INSTALLATION, account: { login: "packit", type: "Organization" } });
  repo = sim.addRepo({ installationId: INSTALLATION, owner: "packit", name: "ogr", files: { ".packit.yaml": CONFIG } });
});

describe("app authentication", () => {
  it("exchanges a valid app JWT for an installation token and refuses a forged one", async () => {
    const token = await installationToken();
    expect(token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);

    const { privateKey: forged } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = forged.export({ type: "pkcs1", format: "pem" }).toString();
    const err = await failure(appOctokit(pem).rest.apps.createInstallationAccessToken({ installation_id: INSTALLATION }));
    expect(err.status).toBe(401);
    expect(err.response.data.message).toBe("A JSON web token could not be decoded");

    expect((await failure(appOctokit().rest.apps.createInstallationAccessToken({ installation_id: 999 }))).status).toBe(404);
    // An installation token is not an app credential, and the reverse.
    const asInstallation = await installationOctokit();
    expect((await failure(asInstallation.rest.apps.getAuthenticated())).status).toBe(401);
    const anonymous = new ProbotOctokit({ baseUrl: sim.url, ...quiet });
    expect((await failure(anonymous.rest.repos.get({ owner: "packit", repo: "ogr" }))).status).toBe(401);
    expect((await appOctokit().rest.apps.getAuthenticated()).data).toMatchObject({ id: sim.appId, slug: "packit-sim" });
  });

  it("only shows an installation its own repositories", async () => {
    sim.addInstallation({ id: 7, account: { login: "someone", type: "User" } });
    sim.addRepo({ installationId: 7, owner: "someone", name: "private-stuff", private: true });
    const octokit = await installationOctokit();
    expect((await failure(octokit.rest.repos.get({ owner: "someone", repo: "private-stuff" }))).status).toBe(404);
    const { data } = await octokit.rest.apps.listReposAccessibleToInstallation();
    expect(data.repositories.map((r) => r.full_name)).toEqual(["packit/ogr"]);
    expect(data.repositories[0]).toMatchObject({ id: repo.id, node_id: repo.node_id, default_branch: "main" });
  });
});

describe("contents", () => {
  it("serves files base64-encoded per ref, raw on request, and 404 JSON when missing", async () => {
    const octokit = await installationOctokit();
    const { data } = await octokit.rest.repos.getContent({ owner: "packit", repo: "ogr", path: ".packit.yaml" });
    if (Array.isArray(data) || data.type !== "file") throw new Error("expected a file");
    expect(Buffer.from(data.content, "base64").toString()).toBe(CONFIG);
    expect(data.sha).toBe(blobSha(CONFIG));

    const head = newCommit();
    sim.setFile("packit", "ogr", head, ".packit.yaml", null);
    sim.setFile("packit", "ogr", head, "packit.yaml", "jobs: []\n");
    const missing = await failure(octokit.rest.repos.getContent({ owner: "packit", repo: "ogr", path: ".packit.yaml", ref: head }));
    expect(missing.status).toBe(404);
    expect(missing.response.data.message).toBe("Not Found");

    const raw = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      owner: "packit",
      repo: "ogr",
      path: "packit.yaml",
      ref: head,
      mediaType: { format: "raw" },
    });
    expect(raw.data).toBe("jobs: []\n");
  });
});

describe("GraphQL", () => {
  it("answers an aliased config lookup with one blob present and one null", async () => {
    const octokit = await installationOctokit();
    const result = await octokit.graphql<{
      repository: { databaseId: number; nameWithOwner: string; a: { oid: string; text: string; byteSize: number } | null; b: unknown };
    }>(
      `query ($owner: String!, $name: String!, $a: String!, $b: String!) {
        repository(owner: $owner, name: $name) {
          id databaseId nameWithOwner
          a: object(expression: $a) { ... on Blob { oid text byteSize isBinary isTruncated } }
          b: object(expression: $b) { ... on Blob { oid text } }
        }
      }`,
      { owner: "packit", name: "ogr", a: "main:.packit.yaml", b: `${randomSha()}:packit.yaml` },
    );
    expect(result.repository).toMatchObject({ databaseId: repo.id, nameWithOwner: "packit/ogr", b: null });
    expect(result.repository.a).toMatchObject({ oid: blobSha(CONFIG), text: CONFIG, byteSize: CONFIG.length });

    // Documents are validated against the schema like GitHub does.
    const bad = (await failure(octokit.graphql(`{ repository(owner: "packit", name: "ogr") { nope } }`))) as unknown as {
      errors: Array<{ message: string }>;
    };
    expect(bad.errors[0]!.message).toMatch(/nope/);
  });

  it("runs aliased createCheckRun/updateCheckRun mutations and reports a failing alias as a partial answer", async () => {
    const octokit = await installationOctokit();
    const head = newCommit();
    const rest = await octokit.rest.checks.create({
      owner: "packit",
      repo: "ogr",
      name: "rpm-build:fedora-rawhide-x86_64",
      head_sha: head,
    });
    const restRun = sim.checkRuns("packit", "ogr", head)[0]!;

    const err = (await failure(
      octokit.graphql(
        `mutation ($repo: ID!, $sha: GitObjectID!, $run: ID!) {
          c1: createCheckRun(input: { repositoryId: $repo, headSha: $sha, name: "testing-farm:fedora-40-x86_64", status: QUEUED }) {
            checkRun { id databaseId name status conclusion }
          }
          c2: createCheckRun(input: { repositoryId: $repo, headSha: $sha, name: "koji-build:f40", conclusion: STALE }) {
            checkRun { id }
          }
          u1: updateCheckRun(input: { repositoryId: $repo, checkRunId: $run, conclusion: SUCCESS,
                                      output: { title: "Built", summary: "All good" },
                                      actions: [{ label: "Cancel", description: "Cancel the build", identifier: "cancel" }] }) {
            checkRun { databaseId status conclusion }
          }
        }`,
        { repo: repo.node_id, sha: head, run: rest.data.node_id },
      ),
    )) as unknown as {
      data: Record<string, { checkRun: Record<string, unknown> } | null>;
      errors: Array<{ type: string; path: string[]; message: string }>;
    };

    expect(err.data.c2).toBeNull();
    expect(err.errors).toHaveLength(1);
    expect(err.errors[0]).toMatchObject({ type: "UNPROCESSABLE", path: ["c2"] });
    expect(err.data.c1!.checkRun).toMatchObject({ name: "testing-farm:fedora-40-x86_64", status: "QUEUED", conclusion: null });
    expect(err.data.u1!.checkRun).toEqual({ databaseId: restRun.id, status: "COMPLETED", conclusion: "SUCCESS" });

    // GraphQL and REST see the same objects.
    const created = err.data.c1!.checkRun as { id: string; databaseId: number };
    const { data } = await octokit.rest.checks.get({ owner: "packit", repo: "ogr", check_run_id: created.databaseId });
    expect(data.node_id).toBe(created.id);
    const runs = sim.checkRuns("packit", "ogr", head);
    expect(runs.map((r) => r.name)).toEqual(["rpm-build:fedora-rawhide-x86_64", "testing-farm:fedora-40-x86_64"]);
    expect(runs[0]!.history.map((h) => [h.via, h.status, h.conclusion])).toEqual([
      ["rest", "queued", null],
      ["graphql", "completed", "success"],
    ]);
    expect(runs[0]!.actions).toEqual([{ label: "Cancel", description: "Cancel the build", identifier: "cancel" }]);
    // A snapshot is the run's state at that write, not a copy of the history before it.
    expect(Object.keys(runs[0]!.history[1]!).sort()).toEqual([
      "actions",
      "at",
      "completed_at",
      "conclusion",
      "details_url",
      "external_id",
      "name",
      "output",
      "started_at",
      "status",
      "via",
    ]);

    const unknown = (await failure(
      octokit.graphql(
        `mutation ($run: ID!, $repo: ID!) { updateCheckRun(input: { repositoryId: $repo, checkRunId: $run, status: IN_PROGRESS }) { checkRun { id } } }`,
        {
          repo: repo.node_id,
          run: "MDg6Q2hlY2tSdW4x",
        },
      ),
    )) as unknown as { errors: Array<{ type: string }> };
    expect(unknown.errors[0]!.type).toBe("NOT_FOUND");
  });
});

describe("check runs over REST", () => {
  it("creates, updates and lists check runs with GitHub's defaults and filters", async () => {
    const octokit = await installationOctokit();
    const head = newCommit();
    const { data: run, status } = await octokit.rest.checks.create({
      owner: "packit",
      repo: "ogr",
      name: "rpm-build:fedora-rawhide-x86_64",
      head_sha: head,
      external_id: "copr-123",
      details_url: "https://copr.example/123",
    });
    expect(status).toBe(201);
    expect(run).toMatchObject({ status: "queued", conclusion: null, external_id: "copr-123", head_sha: head });

    const { data: done } = await octokit.rest.checks.update({
      owner: "packit",
      repo: "ogr",
      check_run_id: run.id,
      conclusion: "cancelled",
      output: { title: "Cancelled", summary: "Superseded by abc1234" },
    });
    expect(done).toMatchObject({ status: "completed", conclusion: "cancelled", output: { title: "Cancelled" } });
    expect(done.completed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    for (let i = 0; i < 4; i++) await octokit.rest.checks.create({ owner: "packit", repo: "ogr", name: `tests:${i}`, head_sha: head });
    const all = await octokit.paginate(octokit.rest.checks.listForRef, { owner: "packit", repo: "ogr", ref: head, per_page: 2 });
    expect(all).toHaveLength(5);
    const named = await octokit.rest.checks.listForRef({ owner: "packit", repo: "ogr", ref: head, check_name: "tests:2" });
    expect(named.data.total_count).toBe(1);
  });

  it("validates writes like GitHub (422)", async () => {
    const octokit = await installationOctokit();
    const head = newCommit();
    const base = { owner: "packit", repo: "ogr", name: "rpm-build:f40", head_sha: head };
    const action = { label: "Cancel", description: "Cancel the job", identifier: "cancel" };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ status: "completed" }, /"conclusion" wasn't supplied/],
      [{ actions: [action, action, action, action] }, /Only 3 actions/],
      [{ actions: [{ ...action, identifier: "x".repeat(21) }] }, /Only 20 characters are allowed; 21 were supplied/],
      [{ actions: [{ ...action, label: "x".repeat(21) }] }, /Only 20 characters/],
      [{ actions: [{ ...action, description: "x".repeat(41) }] }, /Only 40 characters/],
      [{ head_sha: "main" }, /No commit found for SHA: main/],
    ];
    for (const [extra, message] of cases) {
      const err = await failure(octokit.request("POST /repos/{owner}/{repo}/check-runs", { ...base, ...extra }));
      expect(err.status).toBe(422);
      expect(err.response.data.message).toMatch(message);
    }
    expect(sim.checkRuns("packit", "ogr")).toHaveLength(0);
  });
});

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
