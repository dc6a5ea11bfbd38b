import { afterEach, describe, expect, it } from "vitest";
import { pullRequestEvent, pushEvent, releaseEvent } from "../../testing/github-sim/index.js";
import { allCompleted, checksOf, randomSha, startWorld, waitFor, waitForChecks, type World } from "../support/env.js";

describe("pipeline: a pull request runs builds, then tests", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it("runs 2 Copr builds then 2 Testing Farm runs to success, every check going queued → in_progress → completed", async () => {
    // The fakes move only when told: each check is seen in progress before its job ends, however loaded the machine.
    world = await startWorld(undefined, { phaseMs: 3_600_000 });
    const w = world;
    const sha = randomSha();
    const res = await w.send("pull_request", pullRequestEvent("opened", { repo: w.repo, number: 7, headSha: sha, author: "contributor" }));
    expect(res.status).toBe(200);

    const inProgress = (prefix: string) => (c: Record<string, string>) =>
      Object.entries(c).filter(([name, v]) => name.startsWith(prefix) && v === "in_progress").length === 2;
    await waitForChecks(w, sha, inProgress("rpm-build:"), "both builds in progress");
    for (const b of w.fakes.copr.builds()) w.fakes.copr.finish(b.id, "succeeded");
    await waitForChecks(w, sha, inProgress("testing-farm:"), "both test runs in progress");
    for (const r of w.fakes.testingFarm.requests()) w.fakes.testingFarm.finish(r.id, "complete", "passed");

    const checks = await waitForChecks(w, sha, (c) => allCompleted(c, 4), "all four checks to complete");
    expect(checks).toEqual({
      "rpm-build:fedora-rawhide-x86_64": "completed:success",
      "rpm-build:fedora-44-x86_64": "completed:success",
      "testing-farm:fedora-rawhide-x86_64": "completed:success",
      "testing-farm:fedora-44-x86_64": "completed:success",
    });
    for (const run of world.sim.checkRuns("acme", "widget", sha)) {
      const statuses = run.history.map((h) => h.status);
      expect(statuses[0], run.name).toBe("queued");
      expect(statuses, run.name).toContain("in_progress");
      expect(statuses.at(-1), run.name).toBe("completed");
    }
    // Tests ran on the builds: each TF request names its Copr build as artifact.
    expect(world.fakes.copr.submissions).toBe(2);
    expect(world.fakes.testingFarm.requests()).toHaveLength(2);
    const artifacts = JSON.stringify(world.fakes.testingFarm.requests().map((r) => r.body ?? r));
    for (const b of world.fakes.copr.builds()) expect(artifacts).toContain(String(b.id));
  });

  it("builds and tests a fork's pull request from the fork, where its head commit lives", async () => {
    world = await startWorld();
    const sha = randomSha();
    const event = pullRequestEvent("opened", { repo: world.repo, number: 17, headSha: sha, author: "contributor" });
    const fork = "https://github.com/contributor/widget.git";
    event.pull_request.head.repo = { ...event.pull_request.head.repo, id: world.repo.id + 1000, clone_url: fork };
    await world.send("pull_request", event);
    await waitForChecks(world, sha, (c) => allCompleted(c, 4), "all four checks to complete");
    expect(world.fakes.copr.builds().map((b) => [b.clone_url, b.committish])).toEqual([
      [fork, sha],
      [fork, sha],
    ]);
    for (const r of world.fakes.testingFarm.requests()) expect(JSON.stringify(r.body)).toContain(fork);
  });

  it("skips the tests of a failing build, with the reason on the check", async () => {
    world = await startWorld();
    world.fakes.copr.setOutcome((s) => s.chroots.includes("fedora-44-x86_64"), "failed");
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 8, headSha: sha, author: "contributor" }));
    const checks = await waitForChecks(world, sha, (c) => allCompleted(c, 4), "all checks to complete");
    expect(checks["rpm-build:fedora-44-x86_64"]).toBe("completed:failure");
    expect(checks["testing-farm:fedora-44-x86_64"]).toBe("completed:skipped");
    expect(checks["testing-farm:fedora-rawhide-x86_64"]).toBe("completed:success");
    const skipped = world.sim.checkRuns("acme", "widget", sha).find((c) => c.name === "testing-farm:fedora-44-x86_64")!;
    expect(skipped.output?.summary).toContain("rpm-build:fedora-44-x86_64");
    expect(world.fakes.testingFarm.requests()).toHaveLength(1);
  });

  it("retries a backend 500 and still succeeds", async () => {
    world = await startWorld();
    world.fakes.copr.faults.failNext = 2;
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 9, headSha: sha, author: "contributor" }));
    const checks = await waitForChecks(world, sha, (c) => allCompleted(c, 4), "all checks to complete");
    expect(Object.values(checks).every((v) => v === "completed:success")).toBe(true);
    expect(world.fakes.copr.submissions).toBe(2);
  });

  it("reports a malformed config as one failed check with the line, and runs nothing", async () => {
    world = await startWorld("jobs:\n  - job: copr_build\n    trigger: [pull_request\n");
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 10, headSha: sha, author: "contributor" }));
    const checks = await waitForChecks(world, sha, (c) => Object.keys(c).length === 1, "the config check");
    expect(checks).toEqual({ "packit:config": "completed:failure" });
    const run = world.sim.checkRuns("acme", "widget", sha)[0]!;
    expect(run.output?.summary).toMatch(/line \d+/);
    expect(world.fakes.copr.submissions).toBe(0);
    expect(checksOf(world, sha)).toEqual(checks);
  });

  it("runs release jobs for a published release, and branch jobs for a push to their branch only", async () => {
    const config = [
      "jobs:",
      "  - job: copr_build",
      "    trigger: release",
      "    targets: [fedora-rawhide-x86_64]",
      "  - job: copr_build",
      "    trigger: commit",
      "    branch: main",
      "    targets: [fedora-44-x86_64]",
    ].join("\n");
    world = await startWorld(config);
    world.sim.setFile("acme", "widget", "v1.0", ".packit.yaml", config); // the tag exists
    await world.send("release", releaseEvent("published", { repo: world.repo, tagName: "v1.0", author: "maintainer" }));
    await waitFor(() => world!.fakes.copr.submissions === 1, 10_000, "the release build");
    const releaseRuns = world.sim.checkRuns("acme", "widget").filter((c) => c.name.startsWith("rpm-build:v1.0:"));
    await waitFor(
      () => world!.sim.checkRuns("acme", "widget").some((c) => c.name === "rpm-build:v1.0:fedora-rawhide-x86_64"),
      10_000,
      "the release check on the tag's commit",
    );
    expect(releaseRuns.every((c) => /^[0-9a-f]{40}$/.test(c.head_sha))).toBe(true);
    const feature = randomSha();
    await world.send(
      "push",
      pushEvent({ repo: world.repo, ref: "feature", before: randomSha(), after: feature, commits: [{ id: feature, modified: ["a.c"] }] }),
    );
    const main = randomSha();
    await world.send(
      "push",
      pushEvent({ repo: world.repo, ref: "main", before: randomSha(), after: main, commits: [{ id: main, modified: ["a.c"] }] }),
    );
    await waitForChecks(world, main, (c) => allCompleted(c, 1), "the main push build");
    expect(checksOf(world, main)).toEqual({ "rpm-build:main:fedora-44-x86_64": "completed:success" });
    expect(checksOf(world, feature)).toEqual({});
    const chroots = world.fakes.copr
      .builds()
      .map((b) => b.chroots.join())
      .sort();
    expect(chroots).toEqual(["fedora-44-x86_64", "fedora-rawhide-x86_64"]);
  });

  it("scans a pull request's rawhide build against the newest build of its target branch (differential OpenScanHub scan)", async () => {
    world = await startWorld(`
specfile_path: widget.spec
jobs:
  - job: copr_build
    trigger: pull_request
    targets: [fedora-rawhide-x86_64]
    osh_diff_scan_after_copr_build: true
  - job: copr_build
    trigger: commit
    branch: main
    targets: [fedora-rawhide-x86_64]
`);
    const main = randomSha();
    await world.send(
      "push",
      pushEvent({ repo: world.repo, ref: "main", before: randomSha(), after: main, commits: [{ id: main, modified: ["a.c"] }] }),
    );
    await waitForChecks(world, main, (c) => allCompleted(c, 1), "the main push build");
    const [mainBuild] = world.fakes.copr.builds();

    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 31, headSha: sha, author: "contributor" }));
    await waitForChecks(world, sha, (c) => allCompleted(c, 2), "the PR's build and scan");
    expect(checksOf(world, sha)["osh-diff-scan:fedora-rawhide-x86_64"]).toBe("completed:success");
    const prBuild = world.fakes.copr.builds().at(-1)!;
    // Both SRPMs went up to the hub; the scan compares the PR's with main's.
    const uploads = world.fakes.openscanhub.uploads();
    expect(uploads.map((u) => u.name).sort()).toEqual(
      [`package-1.0-1.${mainBuild!.id}.src.rpm`, `package-1.0-1.${prBuild.id}.src.rpm`].sort(),
    );
    const task = world.fakes.openscanhub.task(uploads[0]!.taskId!)!;
    expect(task.method).toBe("VersionDiffBuild");
    expect(task.label).toBe(`package-1.0-1.${prBuild.id}.src.rpm`);
  });
});
