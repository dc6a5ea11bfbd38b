import { afterEach, describe, expect, it } from "vitest";
import { issueCommentEvent, pullRequestEvent, releaseEvent } from "../../testing/github-sim/index.js";
import { allCompleted, randomSha, startWorld, waitFor, waitForChecks, type World } from "../support/env.js";

/** The app on the payloads GitHub sends for the cases the other tests do not build: forks, drafts, prereleases. */
describe("payload builders: a fork's pull request, a draft, a prerelease", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it("a pull request from a fork by an author without write access is built from the fork once a maintainer approves; only the author and writers may command it", async () => {
    world = await startWorld(undefined, { phaseMs: 3_600_000 });
    // The contributor's fork: not in the App's installation, and the contributor can only read acme/widget.
    const fork = world.sim.addRepo({ owner: "contributor", name: "widget", fork: true });
    world.sim.setPermission("acme", "widget", "contributor", "read");
    world.sim.setPermission("acme", "widget", "bystander", "read");
    const sha = randomSha();
    world.sim.addPullRequest({
      owner: "acme",
      repo: "widget",
      number: 21,
      headSha: sha,
      author: "contributor",
      headRepo: { owner: "contributor", name: "widget" },
    });
    const event = pullRequestEvent("opened", { repo: world.repo, number: 21, headSha: sha, author: "contributor", headRepo: fork });
    expect(event.pull_request.head).toMatchObject({
      label: "contributor:pr-21",
      repo: { full_name: "contributor/widget", fork: true, clone_url: fork.clone_url },
    });
    expect((await world.send("pull_request", event)).status).toBe(200);
    await waitForChecks(world, sha, (c) => c["packit:approval"] === "completed:action_required", "the approval check");
    expect(world.fakes.copr.submissions).toBe(0);
    await world.send(
      "issue_comment",
      issueCommentEvent({
        repo: world.repo,
        issueNumber: 21,
        isPullRequest: true,
        body: "/packit approve",
        author: "maintainer",
        issueAuthor: "contributor",
      }),
    );
    await waitFor(() => world!.fakes.copr.submissions === 2, 10_000, "the fork's builds");
    expect(world.fakes.copr.builds().map((b) => b.clone_url)).toEqual([fork.clone_url, fork.clone_url]);

    const comment = (author: string, body: string) => {
      const c = world!.sim.addComment("acme", "widget", 21, { body, author });
      return world!.send(
        "issue_comment",
        issueCommentEvent({
          repo: world!.repo,
          issueNumber: 21,
          isPullRequest: true,
          body,
          author,
          issueAuthor: "contributor",
          commentId: c.id,
        }),
      );
    };
    await comment("bystander", "/packit cancel");
    await comment("contributor", "/packit cancel");
    await waitFor(
      () => world!.sim.comments("acme", "widget", 21).filter((c) => c.user.login.endsWith("[bot]")).length === 3,
      10_000,
      "both replies",
    );
    const replies = world.sim
      .comments("acme", "widget", 21)
      .filter((c) => c.user.login.endsWith("[bot]"))
      .map((c) => c.body);
    // The two commands run as separate tasks, in either order.
    expect(replies).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Sorry @bystander/),
        expect.stringMatching(/^\*\*Cancel: all\*\* — Cancelled by @contributor/),
      ]),
    );
  });

  it("a draft pull request runs its jobs like any other", async () => {
    world = await startWorld();
    const sha = randomSha();
    const event = pullRequestEvent("opened", { repo: world.repo, number: 22, headSha: sha, author: "contributor", draft: true });
    expect(event.pull_request.draft).toBe(true);
    await world.send("pull_request", event);
    await waitForChecks(world, sha, (c) => allCompleted(c, 4), "the draft's four checks");
  });

  it("a published prerelease runs the release jobs at the tag's commit", async () => {
    const config = "jobs:\n  - job: copr_build\n    trigger: release\n    targets: [fedora-rawhide-x86_64]\n";
    world = await startWorld(config);
    const event = releaseEvent("published", { repo: world.repo, tagName: "v2.0.0-rc1", author: "maintainer", prerelease: true });
    expect(event.release).toMatchObject({ tag_name: "v2.0.0-rc1", prerelease: true, draft: false });
    await world.send("release", event);
    await waitFor(
      () => world!.sim.checkRuns("acme", "widget").some((c) => c.name === "rpm-build:v2.0.0-rc1:fedora-rawhide-x86_64"),
      10_000,
      "the prerelease's build check",
    );
    const run = world.sim.checkRuns("acme", "widget").find((c) => c.name.startsWith("rpm-build:v2.0.0-rc1"))!;
    expect(run.head_sha).toBe(world.sim.headOf("acme", "widget"));
  });
});
