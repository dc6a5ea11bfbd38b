import { ProbotOctokit } from "probot";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildMutation } from "../../src/checks/reporter.js";
import { checkRunForJob } from "../../src/checks/state.js";
import type { PendingCheckRun } from "../../src/checks/store.js";
import type { JobState } from "../../src/pipeline/job-state.js";
import { randomSha, startGitHubSim, type GitHubSim, type SimRepo } from "../../testing/github-sim/index.js";

/**
 * What GitHub refuses, the simulator refuses, with GitHub's status and error body:
 * every REST request and answer is checked against GitHub's published description,
 * every GraphQL document against GitHub's schema, and the model rules on top.
 */
let sim: GitHubSim;
let repo: SimRepo;
let head: string;
const INSTALLATION = 4242;
const quiet = { throttle: { enabled: false }, retry: { enabled: false } } as const;

async function installationToken(): Promise<string> {
  const app = new ProbotOctokit({ auth: { appId: sim.appId, privateKey: sim.privateKey }, baseUrl: sim.url, ...quiet });
  return ((await app.auth({ type: "installation", installationId: INSTALLATION })) as { token: string }).token;
}

async function octokit() {
  return new ProbotOctokit({ auth: { token: await installationToken() }, baseUrl: sim.url, ...quiet });
}

interface Refusal {
  status: number;
  data: { message: string; documentation_url: string; status: string; errors?: Array<Record<string, unknown>> };
}

async function refused(p: Promise<unknown>): Promise<Refusal> {
  const err = (await p.then(
    () => {
      throw new Error("expected GitHub to refuse the request");
    },
    (e: unknown) => e,
  )) as { status: number; response: { data: Refusal["data"] } };
  return { status: err.status, data: err.response.data };
}

/** A request as an app with a bug would send it: past Octokit's types, which would refuse it at compile time. */
async function untyped(route: string, params: Record<string, unknown>) {
  return (await octokit()).request(route, params);
}

/** A GraphQL request's errors (GitHub answers 200 with `errors[]`). */
async function graphqlErrors(query: string, variables: Record<string, unknown> = {}) {
  const gh = await octokit();
  const err = (await gh.graphql(query, variables).then(
    () => {
      throw new Error("expected GraphQL errors");
    },
    (e: unknown) => e,
  )) as { errors: Array<{ type?: string; message: string; path?: string[] }>; data?: unknown };
  return err.errors;
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
  repo = sim.addRepo({ installationId: INSTALLATION, owner: "packit", name: "ogr", files: { ".packit.yaml": "jobs: []\n" } });
  head = sim.headOf("packit", "ogr");
});

const base = () => ({ owner: "packit", repo: "ogr", name: "rpm-build:f40", head_sha: head });
const CHECKS_DOCS = "https://docs.github.com/rest/checks/runs#create-a-check-run";

describe("REST requests are checked against GitHub's published description", () => {
  it("refuses a body of the wrong shape with 422 'Invalid request' in GitHub's words", async () => {
    const bad = await refused(untyped("POST /repos/{owner}/{repo}/check-runs", { ...base(), status: "finished" }));
    expect(bad).toEqual({
      status: 422,
      data: {
        message: `Invalid request.\n\nFor 'properties/status', "finished" is not one of ["queued","in_progress","completed"].`,
        documentation_url: CHECKS_DOCS,
        status: "422",
      },
    });
    const missing = await refused(untyped("POST /repos/{owner}/{repo}/check-runs", { owner: "packit", repo: "ogr", head_sha: head }));
    expect(missing.data.message).toBe(`Invalid request.\n\n"name" wasn't supplied.`);
    const typed = await refused(
      untyped("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { owner: "packit", repo: "ogr", issue_number: 1, body: 42 }),
    );
    expect(typed.data.message).toBe(`Invalid request.\n\nFor 'properties/body', 42 is not a string.`);
    expect(sim.checkRuns("packit", "ogr")).toEqual([]);
  });

  it("refuses a query parameter of the wrong type", async () => {
    const bad = await refused(
      untyped("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { owner: "packit", repo: "ogr", ref: head, per_page: "many" }),
    );
    expect(bad.status).toBe(422);
    expect(bad.data.message).toBe("Invalid request.\n\nper_page must be integer");
  });

  it("serves GitHub Enterprise Server's layout too (/api/v3, /api/graphql)", async () => {
    const ghe = new ProbotOctokit({ auth: { token: await installationToken() }, baseUrl: `${sim.url}/api/v3`, ...quiet });
    expect((await ghe.rest.repos.get({ owner: "packit", repo: "ogr" })).data.full_name).toBe("packit/ogr");
    const q = await ghe.graphql<{ repository: { nameWithOwner: string } }>(
      `{ repository(owner: "packit", name: "ogr") { nameWithOwner } }`,
    );
    expect(q.repository.nameWithOwner).toBe("packit/ogr");
  });
});

describe("check runs: GitHub's model rules", () => {
  it("a completed check run needs a conclusion (REST: 422 with errors[]; GraphQL: UNPROCESSABLE)", async () => {
    const gh = await octokit();
    const bad = await refused(gh.rest.checks.create({ ...base(), status: "completed" }));
    expect(bad).toEqual({
      status: 422,
      data: {
        message: `Invalid request.\n\n"conclusion" wasn't supplied.`,
        errors: [{ resource: "CheckRun", field: "conclusion", code: "missing_field" }],
        documentation_url: CHECKS_DOCS,
        status: "422",
      },
    });
    const { data: run } = await gh.rest.checks.create(base());
    const update = await refused(
      gh.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", {
        owner: "packit",
        repo: "ogr",
        check_run_id: run.id,
        status: "completed",
      }),
    );
    expect(update.status).toBe(422);
    expect(update.data.message).toContain(`"conclusion" wasn't supplied.`);
    const errors = await graphqlErrors(
      `mutation ($r: ID!, $s: GitObjectID!) { createCheckRun(input: { repositoryId: $r, headSha: $s, name: "x", status: COMPLETED }) { checkRun { id } } }`,
      { r: repo.node_id, s: head },
    );
    expect(errors).toEqual([
      expect.objectContaining({ type: "UNPROCESSABLE", path: ["createCheckRun"], message: `"conclusion" wasn't supplied.` }),
    ]);
  });

  it("an unknown head_sha is refused: 422 'No commit found for SHA', naming the field", async () => {
    const gh = await octokit();
    const sha = randomSha();
    const bad = await refused(gh.rest.checks.create({ ...base(), head_sha: sha }));
    expect(bad).toEqual({
      status: 422,
      data: {
        message: `No commit found for SHA: ${sha}`,
        errors: [{ resource: "CheckRun", field: "head_sha", code: "invalid" }],
        documentation_url: CHECKS_DOCS,
        status: "422",
      },
    });
    // Once the repository has the commit, the same request is fine.
    sim.addCommit("packit", "ogr", sha);
    expect((await gh.rest.checks.create({ ...base(), head_sha: sha })).status).toBe(201);
    const listed = await refused(gh.rest.checks.listForRef({ owner: "packit", repo: "ogr", ref: randomSha() }));
    expect(listed.status).toBe(422);
    expect(listed.data.message).toMatch(/^No commit found for SHA: [0-9a-f]{40}$/);
  });

  it("takes at most 50 annotations per request", async () => {
    const gh = await octokit();
    const annotation = { path: "ogr.spec", start_line: 1, end_line: 1, annotation_level: "warning" as const, message: "m" };
    const output = (n: number) => ({ title: "t", summary: "s", annotations: Array.from({ length: n }, () => annotation) });
    expect((await gh.rest.checks.create({ ...base(), output: output(50) })).status).toBe(201);
    const bad = await refused(gh.rest.checks.create({ ...base(), output: output(51) }));
    expect(bad.status).toBe(422);
    expect(bad.data.message).toBe("Invalid request.\n\nOnly 50 annotations are allowed; 51 were supplied.");
    const gql = await graphqlErrors(
      `mutation ($r: ID!, $s: GitObjectID!, $o: CheckRunOutput!) { createCheckRun(input: { repositoryId: $r, headSha: $s, name: "x", output: $o }) { checkRun { id } } }`,
      {
        r: repo.node_id,
        s: head,
        o: {
          title: "t",
          summary: "s",
          annotations: Array.from({ length: 51 }, () => ({
            path: "a",
            location: { startLine: 1, endLine: 1 },
            annotationLevel: "WARNING",
            message: "m",
          })),
        },
      },
    );
    expect(gql[0]).toMatchObject({ type: "UNPROCESSABLE", message: "Only 50 annotations are allowed; 51 were supplied." });
  });

  it("takes a summary and a text of at most 65,535 characters", async () => {
    const gh = await octokit();
    expect(
      (await gh.rest.checks.create({ ...base(), output: { title: "t", summary: "s".repeat(65_535), text: "t".repeat(65_535) } })).status,
    ).toBe(201);
    for (const output of [
      { title: "t", summary: "s".repeat(65_536) },
      { title: "t", summary: "s", text: "t".repeat(70_000) },
    ]) {
      const bad = await refused(gh.rest.checks.create({ ...base(), output }));
      expect(bad.status).toBe(422);
      expect(bad.data.message).toMatch(/^Invalid request\.\n\nOnly 65535 characters are allowed; (65536|70000) were supplied\.$/);
    }
  });
});

describe("GraphQL is GitHub's schema, custom scalars included", () => {
  it("refuses fields and arguments GitHub's schema does not have", async () => {
    const errors = await graphqlErrors(`{ repository(owner: "packit", name: "ogr") { nope } }`);
    expect(errors[0]!.message).toMatch(/Cannot query field "nope" on type "Repository"/);
    const args = await graphqlErrors(`{ repository(owner: "packit", name: "ogr", fork: true) { id } }`);
    expect(args[0]!.message).toMatch(/Unknown argument "fork"/);
  });

  it("parses GitObjectID, URI and DateTime as GitHub does, in variables and in literals", async () => {
    const create = `mutation ($r: ID!, $s: GitObjectID!, $u: URI, $t: DateTime) { createCheckRun(input: { repositoryId: $r, headSha: $s, name: "x", detailsUrl: $u, startedAt: $t }) { checkRun { detailsUrl startedAt } } }`;
    const ok = await (
      await octokit()
    ).graphql<{ createCheckRun: { checkRun: { detailsUrl: string; startedAt: string } } }>(create, {
      r: repo.node_id,
      s: head,
      u: "https://copr.example/1",
      t: "2024-05-01T12:00:00+02:00",
    });
    expect(ok.createCheckRun.checkRun).toEqual({ detailsUrl: "https://copr.example/1", startedAt: "2024-05-01T10:00:00Z" });

    const bad = async (vars: Record<string, unknown>) => (await graphqlErrors(create, { r: repo.node_id, s: head, ...vars }))[0]!.message;
    expect(await bad({ s: "main" })).toMatch(/\$s.*"main" is not a full Git object ID/);
    expect(await bad({ s: head.slice(0, 7) })).toMatch(/is not a full Git object ID/);
    expect(await bad({ u: "copr build 1" })).toMatch(/\$u.*is not a URI/);
    expect(await bad({ u: "/relative/path" })).toMatch(/\$u.*is not a valid URI/);
    expect(await bad({ t: "yesterday" })).toMatch(/\$t.*is not an ISO-8601 encoded date string/);
    const literal = await graphqlErrors(
      `mutation ($r: ID!) { createCheckRun(input: { repositoryId: $r, headSha: "HEAD", name: "x" }) { checkRun { id } } }`,
      { r: repo.node_id },
    );
    expect(literal[0]!.message).toMatch(/"HEAD" is not a full Git object ID/);
    expect(sim.checkRuns("packit", "ogr")).toHaveLength(1);
  });

  it("a revision the repository does not have is null, as on GitHub", async () => {
    const gh = await octokit();
    const q = await gh.graphql<{ repository: { known: { oid: string } | null; unknown: unknown; file: unknown } }>(
      `query ($k: String!, $u: String!, $f: String!) { repository(owner: "packit", name: "ogr") { known: object(expression: $k) { oid } unknown: object(expression: $u) { oid } file: object(expression: $f) { oid } } }`,
      { k: "main", u: randomSha(), f: `${randomSha()}:.packit.yaml` },
    );
    expect(q.repository).toEqual({ known: { oid: head }, unknown: null, file: null });
  });
});

describe("missing things are 404 with GitHub's body", () => {
  const notFound = (docs: string) => ({
    status: 404,
    data: { message: "Not Found", documentation_url: `https://docs.github.com/rest/${docs}`, status: "404" },
  });

  it("a repository", async () => {
    const gh = await octokit();
    expect(await refused(gh.rest.repos.get({ owner: "packit", repo: "nope" }))).toEqual(notFound("repos/repos#get-a-repository"));
  });

  it("an issue: commenting on one that does not exist", async () => {
    const gh = await octokit();
    expect(await refused(gh.rest.issues.createComment({ owner: "packit", repo: "ogr", issue_number: 404, body: "hello" }))).toEqual(
      notFound("issues/comments#create-an-issue-comment"),
    );
    sim.addPullRequest({ owner: "packit", repo: "ogr", number: 404, headSha: head });
    expect((await gh.rest.issues.createComment({ owner: "packit", repo: "ogr", issue_number: 404, body: "hello" })).status).toBe(201);
  });

  it("a user: the permission of someone who does not exist", async () => {
    const gh = await octokit();
    expect(await refused(gh.rest.repos.getCollaboratorPermissionLevel({ owner: "packit", repo: "ogr", username: "no-such-user" }))).toEqual(
      notFound("collaborators/collaborators#get-repository-permissions-for-a-user"),
    );
  });

  it("a commit: contents at a ref the repository does not have", async () => {
    const gh = await octokit();
    const sha = randomSha();
    const bad = await refused(gh.rest.repos.getContent({ owner: "packit", repo: "ogr", path: ".packit.yaml", ref: sha }));
    expect(bad).toEqual({
      status: 404,
      data: {
        message: `No commit found for the ref ${sha}`,
        documentation_url: "https://docs.github.com/rest/repos/contents#get-repository-content",
        status: "404",
      },
    });
  });
});

describe("comments", () => {
  it("takes a body of at most 65,536 characters; a longer one is 422 'Validation Failed' with errors[]", async () => {
    const gh = await octokit();
    sim.addPullRequest({ owner: "packit", repo: "ogr", number: 1, headSha: head });
    expect((await gh.rest.issues.createComment({ owner: "packit", repo: "ogr", issue_number: 1, body: "x".repeat(65_536) })).status).toBe(
      201,
    );
    expect(
      await refused(gh.rest.issues.createComment({ owner: "packit", repo: "ogr", issue_number: 1, body: "x".repeat(65_537) })),
    ).toEqual({
      status: 422,
      data: {
        message: "Validation Failed",
        errors: [{ resource: "IssueComment", code: "unprocessable", field: "data", message: "Body cannot be more than 65536 characters" }],
        documentation_url: "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
        status: "422",
      },
    });
  });
});

describe("the installation's permissions", () => {
  it("refuse what the App was not granted: 403 over REST, FORBIDDEN in GraphQL; a pull request's comments answer to pull_requests too", async () => {
    const narrow = await startGitHubSim({ permissions: { metadata: "read", contents: "read", pull_requests: "write" } });
    try {
      narrow.addInstallation({ id: 1, account: { login: "acme", type: "Organization" } });
      const r = narrow.addRepo({ installationId: 1, owner: "acme", name: "widget", files: { ".packit.yaml": "jobs: []\n" } });
      const sha = narrow.headOf("acme", "widget");
      narrow.addPullRequest({ owner: "acme", repo: "widget", number: 1, headSha: sha });
      narrow.addIssue("acme", "widget", 2);
      const app = new ProbotOctokit({ auth: { appId: narrow.appId, privateKey: narrow.privateKey }, baseUrl: narrow.url, ...quiet });
      const { token } = (await app.auth({ type: "installation", installationId: 1 })) as { token: string };
      const gh = new ProbotOctokit({ auth: { token }, baseUrl: narrow.url, ...quiet });

      expect(await refused(gh.rest.checks.create({ owner: "acme", repo: "widget", name: "x", head_sha: sha }))).toEqual({
        status: 403,
        data: { message: "Resource not accessible by integration", documentation_url: CHECKS_DOCS, status: "403" },
      });
      const gql = (await gh
        .graphql(
          `mutation ($r: ID!, $s: GitObjectID!) { createCheckRun(input: { repositoryId: $r, headSha: $s, name: "x" }) { checkRun { id } } }`,
          { r: r.node_id, s: sha },
        )
        .catch((e: unknown) => e)) as { errors: unknown[] };
      expect(gql.errors).toEqual([expect.objectContaining({ type: "FORBIDDEN", message: "Resource not accessible by integration" })]);
      // Contents and pull requests were granted; a pull request's comments answer to pull_requests, a plain issue's do not.
      expect((await gh.rest.repos.getContent({ owner: "acme", repo: "widget", path: ".packit.yaml" })).status).toBe(200);
      expect((await gh.rest.issues.createComment({ owner: "acme", repo: "widget", issue_number: 1, body: "on the PR" })).status).toBe(201);
      expect(
        (await refused(gh.rest.issues.createComment({ owner: "acme", repo: "widget", issue_number: 2, body: "on the issue" }))).status,
      ).toBe(403);
    } finally {
      await narrow.stop();
    }
  });
});

describe("what the app sends, the strict simulator takes", () => {
  const STATES: JobState[] = ["pending", "submitted", "running", "cancel_requested", "success", "failure", "error", "cancelled", "skipped"];

  it("the check run of every job state, through the reporter's own GraphQL mutation, even with a huge backend message", async () => {
    const gh = await octokit();
    const rows = STATES.map((state, i): PendingCheckRun => {
      const desired = checkRunForJob(
        {
          id: i + 1,
          state,
          backend: "copr",
          target: "fedora-rawhide-x86_64",
          url: "https://copr.example/b/1",
          message: "m".repeat(100_000),
          cancel_reason: "Superseded by abc1234",
          external_id: "1",
          type: "copr_build",
          started_at: null,
          finished_at: null,
        },
        { publicUrl: "https://packit.example" },
      );
      if (desired.status === "completed") expect(desired.conclusion, state).toBeDefined();
      return {
        id: i + 1,
        installation_id: INSTALLATION,
        repo_id: repo.id,
        head_sha: head,
        name: `rpm-build:${state}`,
        job_id: i + 1,
        github_id: null,
        github_node_id: null,
        desired: JSON.stringify(desired),
        desired_version: 1,
        sent_version: 0,
        create_sent: 0,
        attempts: 0,
        next_attempt_at: 0,
        last_error: null,
        owner: "packit",
        repo: "ogr",
        repo_node_id: repo.node_id,
      };
    });
    const { document, variables } = buildMutation(rows);
    const created = await gh.graphql<Record<string, { checkRun: { id: string; databaseId: number } }>>(document, variables);
    expect(Object.keys(created)).toHaveLength(STATES.length);
    const runs = sim.checkRuns("packit", "ogr", head);
    expect(runs.map((r) => r.name)).toEqual(STATES.map((s) => `rpm-build:${s}`));
    for (const r of runs) expect(r.output.summary!.length).toBeLessThanOrEqual(65_535);
    // Updates (the other half of every flush) are taken too.
    const updates = buildMutation(rows.map((row, i) => ({ ...row, github_node_id: created[`r${i}`]!.checkRun.id })));
    await gh.graphql(updates.document, updates.variables);
  });
});
