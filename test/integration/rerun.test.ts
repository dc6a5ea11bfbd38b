import { afterEach, describe, expect, it } from "vitest";
import { checkRunEvent, pullRequestEvent } from "../../testing/github-sim/index.js";
import { allCompleted, randomSha, startWorld, waitFor, waitForChecks, type World } from "../support/env.js";

describe("re-run and cancel buttons", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it("Re-run of a failed build runs it again, then its tests, each as a new check run; the old ones keep their results", async () => {
    world = await startWorld();
    world.fakes.copr.setOutcome((s) => s.chroots.includes("fedora-44-x86_64"), "failed");
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 1, headSha: sha, author: "contributor" }));
    await waitForChecks(world, sha, (c) => allCompleted(c, 4), "the first run");
    const failed = world.sim.checkRuns("acme", "widget", sha).find((c) => c.name === "rpm-build:fedora-44-x86_64")!;
    expect(failed.actions.map((a) => a.identifier)).toEqual(["rerun"]);

    world.fakes.copr.setOutcome(() => true, "succeeded");
    const res = await world.send(
      "check_run",
      checkRunEvent("requested_action", { repo: world.repo, checkRun: failed, identifier: "rerun", sender: "maintainer" }),
    );
    expect(res.status).toBe(200);
    const checks = await waitForChecks(
      world,
      sha,
      (c) => c["testing-farm:fedora-44-x86_64"] === "completed:success",
      "the re-run and its tests",
    );
    expect(checks["rpm-build:fedora-44-x86_64"]).toBe("completed:success");
    const runs = world.sim.checkRuns("acme", "widget", sha);
    // The failed build and its skipped tests were re-run as two new check runs; none was reopened.
    expect(runs).toHaveLength(6);
    const builds = runs.filter((c) => c.name === "rpm-build:fedora-44-x86_64");
    expect(builds.map((c) => `${c.status}:${c.conclusion}`)).toEqual(["completed:failure", "completed:success"]);
    const done = builds[0]!.history.findIndex((h) => h.status === "completed");
    expect(builds[0]!.history.slice(done).every((h) => h.status === "completed" && h.conclusion === "failure")).toBe(true);
    expect(builds[0]!.details_url).not.toBe(builds[1]!.details_url);
    const oldJobPage = builds[0]!.details_url!;
    expect(oldJobPage).toMatch(/\/jobs\/\d+$/);
    expect(builds[1]!.output?.summary).toContain(`Re-run of [job ${oldJobPage.split("/").pop()}](${oldJobPage})`);
    expect(world.fakes.copr.submissions).toBe(3);
  });

  it("GitHub's own re-run (check_run.rerequested) works the same", async () => {
    world = await startWorld();
    world.fakes.copr.setOutcome(() => true, "failed");
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 2, headSha: sha, author: "contributor" }));
    await waitForChecks(world, sha, (c) => allCompleted(c, 4), "the first run");
    world.fakes.copr.setOutcome(() => true, "succeeded");
    const run = world.sim.checkRuns("acme", "widget", sha).find((c) => c.name === "rpm-build:fedora-rawhide-x86_64")!;
    await world.send("check_run", checkRunEvent("rerequested", { repo: world.repo, checkRun: run, sender: "maintainer" }));
    await waitForChecks(world, sha, (c) => c["testing-farm:fedora-rawhide-x86_64"] === "completed:success", "the re-run");
  });

  it("the Cancel button of a running build cancels it and its waiting tests", async () => {
    world = await startWorld(undefined, { phaseMs: 3_600_000 });
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 3, headSha: sha, author: "contributor" }));
    await waitFor(
      () => world!.sim.checkRuns("acme", "widget", sha).filter((c) => c.status === "in_progress").length === 2,
      10_000,
      "builds running",
    );
    const build = world.sim.checkRuns("acme", "widget", sha).find((c) => c.name === "rpm-build:fedora-rawhide-x86_64")!;
    expect(build.actions.map((a) => a.identifier)).toEqual(["cancel"]);
    await world.send(
      "check_run",
      checkRunEvent("requested_action", { repo: world.repo, checkRun: build, identifier: "cancel", sender: "maintainer" }),
    );
    const checks = await waitForChecks(
      world,
      sha,
      (c) =>
        c["testing-farm:fedora-rawhide-x86_64"] === "completed:cancelled" && c["rpm-build:fedora-rawhide-x86_64"] === "completed:cancelled",
      "the cancel",
    );
    expect(checks["rpm-build:fedora-44-x86_64"]).toBe("in_progress");
    expect(world.sim.checkRuns("acme", "widget", sha).find((c) => c.name === "rpm-build:fedora-rawhide-x86_64")!.output?.title).toBe(
      "Cancelled by @maintainer",
    );
  });
});

describe("closing a pull request", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it("cancels its unfinished jobs", async () => {
    world = await startWorld(undefined, { phaseMs: 3_600_000 });
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 4, headSha: sha, author: "contributor" }));
    await waitFor(() => world!.fakes.copr.submissions === 2, 10_000, "builds");
    await world.send("pull_request", pullRequestEvent("closed", { repo: world.repo, number: 4, headSha: sha, author: "contributor" }));
    const checks = await waitForChecks(world, sha, (c) => allCompleted(c, 4), "all checks to conclude");
    expect(Object.values(checks)).toEqual(Array(4).fill("completed:cancelled"));
    expect(world.sim.checkRuns("acme", "widget", sha)[0]!.output?.title).toBe("Cancelled: pull request closed");
  });
});
