/** The simulated GitHub as an app sees it: authentication, contents, GraphQL, check runs. */
import { generateKeyPairSync } from "node:crypto";
import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { blobSha, randomSha } from "../../testing/github-sim/index.js";
import {
  INSTALLATION,
  CONFIG,
  quiet,
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
