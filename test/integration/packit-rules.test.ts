import { afterEach, describe, expect, it } from "vitest";
import { pullRequestEvent } from "../../testing/github-sim/index.js";
import { allCompleted, checksOf, randomSha, startWorld, waitFor, waitForChecks, type World } from "../support/env.js";

describe("Packit's planning rules, end to end", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  const open = (number: number, sha: string) =>
    world!.send("pull_request", pullRequestEvent("opened", { repo: world!.repo, number, headSha: sha, author: "contributor" }));

  it("a test job without a build job builds nothing and gets neutral checks with Packit's text", async () => {
    world = await startWorld(
      "specfile_path: widget.spec\njobs:\n  - {job: tests, trigger: pull_request, targets: [fedora-rawhide, fedora-44]}\n",
    );
    const sha = randomSha();
    await open(21, sha);
    const checks = await waitForChecks(world, sha, (c) => allCompleted(c, 2), "the two neutral test checks");
    expect(checks).toEqual({
      "testing-farm:fedora-rawhide-x86_64": "completed:neutral",
      "testing-farm:fedora-44-x86_64": "completed:neutral",
    });
    const run = world.sim.checkRuns("acme", "widget", sha)[0]!;
    expect(run.output?.title).toBe("Test job requires build job definition in the configuration.");
    expect(run.output?.summary).toContain("Make sure you have a `copr_build` job defined with trigger `pull_request`.");
    expect(world.fakes.copr.submissions).toBe(0);
    expect(world.fakes.testingFarm.requests()).toEqual([]);
  });

  it("builds only chroots Copr lists as active, and no job meant for another Packit instance", async () => {
    world = await startWorld(
      "specfile_path: widget.spec\njobs:\n" +
        "  - {job: copr_build, trigger: pull_request, targets: [fedora-rawhide, fedora-36, centos-stream-8]}\n" +
        "  - {job: copr_build, trigger: pull_request, identifier: staging, targets: [fedora-44], packit_instances: [stg]}\n",
    );
    const sha = randomSha();
    await open(22, sha);
    await waitForChecks(world, sha, (c) => allCompleted(c, 1), "the rawhide build");
    await waitFor(() => world!.fakes.copr.builds().length === 1, 10_000, "one Copr build");
    expect(checksOf(world, sha)).toEqual({ "rpm-build:fedora-rawhide-x86_64": "completed:success" });
    expect(world.fakes.copr.builds().map((b) => b.chroots)).toEqual([["fedora-rawhide-x86_64"]]);
    expect(world.fakes.copr.calls.filter((c) => c.path === "/api_3/mock-chroots/list")).toHaveLength(1);
  });
});
