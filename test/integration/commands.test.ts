import { afterEach, describe, expect, it } from "vitest";
import { issueCommentEvent, pullRequestEvent } from "../../testing/github-sim/index.js";
import { MANUAL_JOBS_CONFIG } from "../support/configs.js";
import { allCompleted, checksOf, randomSha, startWorld, waitFor, waitForChecks, type World } from "../support/env.js";

describe("/packit build, test and friends", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  /** A PR opened at a fresh head, with its automatic jobs run to the end. */
  async function openedPr(w: World, number: number): Promise<string> {
    const sha = randomSha();
    w.sim.addPullRequest({ owner: "acme", repo: "widget", number, headSha: sha, author: "contributor" });
    await w.send("pull_request", pullRequestEvent("opened", { repo: w.repo, number, headSha: sha, author: "contributor" }));
    await waitForChecks(w, sha, (c) => allCompleted(c, 4), "the automatic jobs");
    return sha;
  }

  const comment = (w: World, number: number, body: string, author = "maintainer") =>
    w.send(
      "issue_comment",
      issueCommentEvent({ repo: w.repo, issueNumber: number, isPullRequest: true, body, author, issueAuthor: "contributor" }),
    );

  // Without the hidden marker every reply ends with (it lets a retried task find its earlier reply).
  const replies = (w: World, number: number) =>
    w.sim.comments("acme", "widget", number).map((c) => c.body.replace(/\n\n<!-- packit-probot reply to [^>]* -->$/, ""));

  it("manual jobs get no check run until asked for; `/packit test --identifier` runs one on the build that already succeeded", async () => {
    world = await startWorld(MANUAL_JOBS_CONFIG);
    const sha = await openedPr(world, 21);
    expect(Object.keys(checksOf(world, sha))).not.toContain("testing-farm:fedora-rawhide-x86_64:slow");
    expect(world.fakes.koji.calledMethods()).not.toContain("build");
    const builds = world.fakes.copr.submissions;

    await comment(world, 21, "/packit test --identifier slow");
    await waitForChecks(world, sha, (c) => c["testing-farm:fedora-rawhide-x86_64:slow"] === "completed:success", "the slow test");
    const history = world.sim
      .checkRuns("acme", "widget", sha)
      .find((c) => c.name === "testing-farm:fedora-rawhide-x86_64:slow")!
      .history.map((h) => h.status);
    expect(history[0]).toBe("queued");
    expect(history.at(-1)).toBe("completed");
    expect(world.fakes.copr.submissions).toBe(builds); // the build that succeeded was reused
    await waitFor(() => replies(world!, 21).length === 1, 5000, "the reply");
    expect(replies(world, 21)[0]).toBe(`Started 1 job at ${sha.slice(0, 7)}: \`testing-farm:fedora-rawhide-x86_64:slow\`.`);
  });

  it("`/packit rebuild-failed` rebuilds only the failed build, and its tests follow", async () => {
    world = await startWorld(MANUAL_JOBS_CONFIG);
    world.fakes.copr.setOutcome((s) => s.chroots.includes("fedora-44-x86_64"), "failed");
    const sha = await openedPr(world, 22);
    expect(checksOf(world, sha)["testing-farm:fedora-44-x86_64"]).toBe("completed:skipped");
    const builds = world.fakes.copr.submissions;

    world.fakes.copr.setOutcome((s) => s.chroots.includes("fedora-44-x86_64"), "succeeded"); // the flake is gone
    await comment(world, 22, "/packit rebuild-failed");
    await waitForChecks(world, sha, (c) => c["testing-farm:fedora-44-x86_64"] === "completed:success", "the f44 test after the rebuild");
    expect(checksOf(world, sha)).toMatchObject({
      "rpm-build:fedora-44-x86_64": "completed:success",
      "rpm-build:fedora-rawhide-x86_64": "completed:success",
    });
    expect(world.fakes.copr.submissions).toBe(builds + 1);
    await waitFor(() => replies(world!, 22).length === 1, 5000, "the reply");
    expect(replies(world, 22)[0]).toContain("Started 2 jobs");
  });

  it("`/packit upstream-koji-build` submits the manual Koji build; a stranger's command and a closed PR start nothing", async () => {
    world = await startWorld(MANUAL_JOBS_CONFIG);
    const sha = await openedPr(world, 23);
    await comment(world, 23, "/packit upstream-koji-build", "stranger");
    await waitFor(() => replies(world!, 23).length === 1, 5000, "the refusal");
    expect(replies(world, 23)[0]).toMatch(/^Sorry @stranger/);

    await comment(world, 23, "/packit upstream-koji-build");
    await waitForChecks(world, sha, (c) => c["koji-build:rawhide"] === "completed:success", "the Koji build");
    expect(world.fakes.koji.calledMethods()).toContain("build");

    world.sim.addPullRequest({ owner: "acme", repo: "widget", number: 23, headSha: sha, author: "contributor", state: "closed" });
    await comment(world, 23, "/packit build");
    await waitFor(() => replies(world!, 23).length === 3, 10_000, "the answer on the closed PR");
    expect(replies(world, 23)[2]).toBe("Pull request #23 is closed: nothing was started.");

    const metrics = await (await fetch(world.service.metricsUrl!)).text();
    for (const [command, outcome] of [
      ["upstream-koji-build", "refused"],
      ["upstream-koji-build", "started"],
      ["build", "nothing"],
    ]) {
      expect(metrics).toContain(`packit_commands_total{command="${command}",outcome="${outcome}"} 1`);
    }
  });

  it("answers a command whose pull request GitHub cannot find, instead of dropping it", async () => {
    world = await startWorld(MANUAL_JOBS_CONFIG);
    await openedPr(world, 24);
    world.sim.failNext(1, 404, { routeGroup: "pulls" });
    await comment(world, 24, "/packit build");
    await waitFor(() => replies(world!, 24).length === 1, 5000, "the reply");
    expect(replies(world, 24)[0]).toMatch(/^Nothing was started: .*Not Found.*Please try again\.$/);
    expect(world.fakes.copr.submissions).toBe(2);
  });
});
