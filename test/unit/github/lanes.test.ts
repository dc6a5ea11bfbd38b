import { describe, expect, it } from "vitest";
import { requestLane } from "../../../src/github/octokit.js";

describe("requestLane: reads are not writes", () => {
  it("GET and HEAD are reads", () => {
    expect(requestLane({ method: "GET", url: "/repos/{owner}/{repo}/pulls/{pull_number}" })).toBe("read");
    expect(requestLane({ method: "HEAD", url: "/repos/{owner}/{repo}" })).toBe("read");
    expect(requestLane({ method: "GET", url: "/repos/{owner}/{repo}/check-runs/{check_run_id}" })).toBe("read");
  });

  it("a GraphQL query is a read, whatever its shape (named, shorthand, after comments)", () => {
    expect(
      requestLane({ method: "POST", url: "/graphql", query: "query Config($owner: String!) { repository(owner: $owner) { id } }" }),
    ).toBe("read");
    expect(requestLane({ method: "POST", url: "/graphql", query: "{ viewer { login } }" })).toBe("read");
    expect(requestLane({ method: "POST", url: "/graphql", query: "# mutation in a comment\n  query { viewer { login } }" })).toBe("read");
    // GitHub Enterprise Server's endpoint.
    expect(requestLane({ method: "POST", url: "https://ghe.example.com/api/graphql", query: "query { viewer { login } }" })).toBe("read");
  });

  it("a GraphQL mutation is a write; check-run mutations go in the checks lane", () => {
    expect(
      requestLane({
        method: "POST",
        url: "/graphql",
        query: 'mutation { addReaction(input: {subjectId: "x", content: EYES}) { clientMutationId } }',
      }),
    ).toBe("write");
    expect(
      requestLane({
        method: "POST",
        url: "/graphql",
        query:
          "\n# batch\nmutation Flush { r0: createCheckRun(input: $i0) { checkRun { id } } r1: updateCheckRun(input: $i1) { checkRun { id } } }",
      }),
    ).toBe("checks");
  });

  it("REST writes are writes; check-run writes go in the checks lane", () => {
    expect(requestLane({ method: "POST", url: "/repos/{owner}/{repo}/issues/{issue_number}/comments" })).toBe("write");
    expect(requestLane({ method: "POST", url: "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions" })).toBe("write");
    expect(requestLane({ method: "PUT", url: "/app/installations/{installation_id}/suspended" })).toBe("write");
    expect(requestLane({ method: "DELETE", url: "/app/installations/{installation_id}" })).toBe("write");
    expect(requestLane({ method: "POST", url: "/repos/{owner}/{repo}/check-runs" })).toBe("checks");
    expect(requestLane({ method: "PATCH", url: "/repos/{owner}/{repo}/check-runs/{check_run_id}" })).toBe("checks");
  });

  it("token requests are left to the throttling plugin's auth limiter", () => {
    expect(requestLane({ method: "POST", url: "/app/installations/42/access_tokens" })).toBe("auth");
    expect(requestLane({ method: "POST", url: "/app/installations/{installation_id}/access_tokens" })).toBe("auth");
  });
});
