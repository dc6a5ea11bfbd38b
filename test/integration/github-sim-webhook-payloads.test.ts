import { ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkRunEvent,
  installationEvent,
  installationRepositoriesEvent,
  issueCommentEvent,
  pullRequestEvent,
  pushEvent,
  randomSha,
  releaseEvent,
  startGitHubSim,
  type GitHubSim,
} from "../../testing/github-sim/index.js";
import { checkWebhookPayload } from "../../testing/github-sim/openapi.js";

/** The payload builders send what GitHub sends: every payload matches GitHub's published webhook schema. */
describe("payload builders, against GitHub's published webhook descriptions", () => {
  let sim: GitHubSim;
  beforeAll(async () => {
    sim = await startGitHubSim();
  });
  afterAll(async () => {
    await sim.stop();
  });

  it("pull_request, push, issue_comment, check_run, release, installation and installation_repositories", async () => {
    const installation = sim.addInstallation({ id: 9, account: { login: "acme", type: "Organization" } });
    const repo = sim.addRepo({ installationId: 9, owner: "acme", name: "widget" });
    const userRepo = sim.addRepo({ installationId: 9, owner: "someone", name: "tool" });
    const fork = sim.addRepo({ owner: "contributor", name: "widget", fork: true });
    const head = randomSha();
    const pr = { repo, number: 3, headSha: head, author: "contributor" };
    sim.addCommit("acme", "widget", head);
    const app = new ProbotOctokit({ auth: { appId: sim.appId, privateKey: sim.privateKey }, baseUrl: sim.url });
    const { token } = (await app.auth({ type: "installation", installationId: 9 })) as { token: string };
    await new ProbotOctokit({ auth: { token }, baseUrl: sim.url }).rest.checks.create({
      owner: "acme",
      repo: "widget",
      name: "rpm-build:f40",
      head_sha: head,
    });
    const run = sim.checkRuns("acme", "widget", head)[0]!;
    const cases: Array<[string, object]> = [
      ["pull_request", pullRequestEvent("opened", pr)],
      ["pull_request", pullRequestEvent("synchronize", { ...pr, before: randomSha() })],
      ["pull_request", pullRequestEvent("reopened", { ...pr, draft: true, labels: ["packit"] })],
      ["pull_request", pullRequestEvent("closed", { ...pr, merged: true, sender: "maintainer" })],
      ["pull_request", pullRequestEvent("opened", { ...pr, headRepo: fork })],
      ["pull_request", pullRequestEvent("opened", { ...pr, repo: userRepo })],
      ["push", pushEvent({ repo, ref: "main", before: randomSha(), after: head, commits: [{ id: head, modified: ["a.c"] }] })],
      ["push", pushEvent({ repo, ref: "gone", before: randomSha(), after: randomSha(), commits: [], deleted: true })],
      [
        "issue_comment",
        issueCommentEvent({
          repo,
          issueNumber: 3,
          isPullRequest: true,
          body: "/packit build",
          author: "maintainer",
          issueAuthor: "contributor",
        }),
      ],
      ["issue_comment", issueCommentEvent({ repo, issueNumber: 4, isPullRequest: false, body: "hi", author: "someone" })],
      [
        "check_run",
        checkRunEvent("requested_action", {
          repo,
          checkRun: run,
          identifier: "cancel",
          sender: "maintainer",
          pullRequests: [{ number: 3 }],
        }),
      ],
      ["check_run", checkRunEvent("rerequested", { repo, checkRun: run, sender: "maintainer" })],
      ["release", releaseEvent("published", { repo, tagName: "v1.0", author: "maintainer" })],
      ["release", releaseEvent("published", { repo, tagName: "v2.0-rc1", author: "maintainer", prerelease: true })],
      ["installation", installationEvent("created", { installation, repositories: [repo], sender: "acme" })],
      ["installation", installationEvent("deleted", { installation, repositories: [repo], sender: "acme" })],
      ["installation", installationEvent("suspend", { installation, sender: "acme" })],
      ["installation_repositories", installationRepositoriesEvent("added", { installation, added: [repo], sender: "acme" })],
    ];
    for (const [event, payload] of cases) {
      const what = `${event}.${(payload as { action?: string }).action ?? ""}`;
      expect(checkWebhookPayload(event, payload), what).toEqual([]);
    }
  });

  it("the check bites: a payload GitHub would not send is refused", () => {
    const repo = sim.addRepo({ installationId: 9, owner: "acme", name: "other" });
    const payload: { action: string; pull_request: Record<string, unknown> } = pullRequestEvent("opened", {
      repo,
      number: 1,
      headSha: randomSha(),
      author: "a",
    });
    delete payload.pull_request.head;
    expect(checkWebhookPayload("pull_request", payload)).toEqual([
      expect.objectContaining({ at: "/pull_request", message: expect.stringContaining("head") }),
    ]);
  });
});
