import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { buildMutation } from "../../src/checks/reporter.js";
import { checkRunForJob } from "../../src/checks/state.js";
import type { PendingCheckRun } from "../../src/checks/store.js";
import type { JobState } from "../../src/pipeline/job-state.js";
import { randomSha, startGitHubSim } from "../../testing/github-sim/index.js";
import { INSTALLATION, installationOctokit as octokit, quiet, repo, sim } from "../support/github-sim-app.js";
import { base, CHECKS_DOCS, graphqlErrors, head, refused, useStrictSim } from "../support/github-sim-strict.js";

/**
 * GitHub's model rules, which the strict simulator keeps on top of the published
 * description and schema: check runs, comments, the installation's permissions; and
 * that what the app itself sends passes them.
 */
useStrictSim();

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
