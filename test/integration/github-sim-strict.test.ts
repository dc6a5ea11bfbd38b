import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { randomSha } from "../../testing/github-sim/index.js";
import { installationOctokit as octokit, installationToken, quiet, repo, sim } from "../support/github-sim-app.js";
import { base, CHECKS_DOCS, graphqlErrors, head, refused, useStrictSim } from "../support/github-sim-strict.js";

/**
 * What GitHub refuses, the simulator refuses, with GitHub's status and error body:
 * every REST request and answer is checked against GitHub's published description,
 * every GraphQL document against GitHub's schema, and the model rules on top
 * (github-sim-strict-rules.test.ts).
 */
useStrictSim();

/** A request as an app with a bug would send it: past Octokit's types, which would refuse it at compile time. */
async function untyped(route: string, params: Record<string, unknown>) {
  return (await octokit()).request(route, params);
}

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
