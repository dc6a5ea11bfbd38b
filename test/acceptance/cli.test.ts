import { afterEach, describe, expect, it } from "vitest";
import { pullRequestEvent } from "../../testing/github-sim/index.js";
import { cli, cliResult as fails } from "../support/cli.js";
import { randomSha, startWorld, waitFor, waitForChecks, type World } from "../support/env.js";

/** The operator CLI as a separate process on the service's database, as an operator runs it. */
describe("npm run cli", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it("cancel --repo --pr cancels the PR's jobs with the same service (reason 'Cancelled by operator'), and tasks list shows the queue", async () => {
    world = await startWorld(undefined, { phaseMs: 3_600_000 });
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 5, headSha: sha, author: "contributor" }));
    await waitFor(() => world!.fakes.copr.submissions === 2, 10_000, "builds running");

    const { stdout } = await cli(world, "cancel", "--repo", "acme/widget", "--pr", "5");
    expect(stdout).toContain("**Cancel: all** — Cancelled by operator");
    expect(stdout).toMatch(/rpm-build:fedora-rawhide-x86_64` \| Copr \| 0 \| cancelled/);
    expect(stdout).toMatch(/testing-farm:fedora-rawhide-x86_64` \| Testing Farm \| 0 \| cancelled/);
    expect(world.fakes.copr.calls.filter((c) => c.method === "PUT")).toHaveLength(2);
    // The running service sends the check runs the CLI recorded.
    await waitForChecks(
      world,
      sha,
      (c) => Object.values(c).length === 4 && Object.values(c).every((v) => v === "completed:cancelled"),
      "cancelled checks",
    );

    const list = await cli(world, "tasks", "list", "--limit", "5");
    expect(list.stdout.split("\n")[0]).toBe("id\tstatus\tqueue\tname\tprio\ttries\tpayload\terror");
    const missing = await cli(world, "tasks", "cancel", "999999").catch((e: { stderr: string; code: number }) => e);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining("unknown task") });
  }, 60_000);

  it("exits non-zero when the backend fails to cancel, with the code explained", async () => {
    world = await startWorld(undefined, { phaseMs: 3_600_000 });
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 6, headSha: sha, author: "contributor" }));
    await waitFor(() => world!.fakes.copr.submissions === 2, 10_000, "builds running");
    world.fakes.copr.faults.failUntil = Date.now() + 60_000;
    const r = await fails(world, "cancel", "--repo", "acme/widget", "--pr", "6");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/rpm-build:fedora-rawhide-x86_64` \| Copr \| 3 \| backend error/);
    expect(r.stdout).toContain("- **3** backend error: the backend refused or failed to stop it");
    world.fakes.copr.faults.failUntil = 0;
    expect(await fails(world, "cancel", "--repo", "acme/widget", "--pr", "77")).toMatchObject({
      code: 0,
      stdout: "nothing to cancel: pull request #77 of acme/widget has no unfinished jobs\n",
    });
  }, 60_000);

  it("installations list | approve | deny: the operator's gate, audited, and the running service follows it", async () => {
    world = await startWorld(undefined, { settings: { approval: { installations: [] } } });
    const w = world;
    const first = randomSha();
    w.sim.addCommit("acme", "widget", first);
    await w.send("pull_request", pullRequestEvent("opened", { repo: w.repo, number: 8, headSha: first, author: "maintainer" }));
    await waitForChecks(w, first, (c) => c["packit:installation"] === "completed:neutral", "the waiting check");
    expect((await cli(w, "installations", "list")).stdout).toMatch(/^100\tacme\twaiting\t/m);

    const missing = await fails(w, "installations", "approve");
    expect([missing.code, missing.stderr]).toEqual([2, expect.any(String)]);
    expect(missing.stderr).toContain("missing required argument 'login'");
    const unknown = await fails(w, "installations", "approve", "nobody");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no installation of an account "nobody"');
    expect((await cli(w, "installations", "approve", "acme")).stdout).toBe("acme (installation 100): approved\n");
    expect((await cli(w, "installations", "list")).stdout).toMatch(/^100\tacme\tapproved\toperator\t\d{4}-/m);
    const sha = randomSha();
    await w.send("pull_request", pullRequestEvent("opened", { repo: w.repo, number: 9, headSha: sha, author: "maintainer" }));
    await waitForChecks(w, sha, (c) => Object.keys(c).length === 4, "the approved installation's jobs");

    expect((await cli(w, "installations", "deny", "acme")).stdout).toBe("acme (installation 100): denied\n");
    const audit = await w.deps.db.all<{ actor: string; action: string }>(
      "SELECT actor, action FROM audit WHERE action LIKE 'approval.installation.%' ORDER BY id",
    );
    expect(audit).toEqual([
      { actor: "operator", action: "approval.installation.approved" },
      { actor: "operator", action: "approval.installation.denied" },
    ]);
  }, 120_000);
});
