import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { FAKE_COPR_ACCOUNT } from "../../testing/fakes/copr.js";
import { pullRequestEvent } from "../../testing/github-sim/index.js";
import { randomSha, startWorld, waitFor, waitForChecks, type World } from "../support/env.js";

const run = promisify(execFile);

/** The operator CLI as a separate process on the service's database, as an operator runs it. */
describe("npm run cli", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  const cli = (w: World, ...args: string[]) =>
    run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      env: {
        ...process.env,
        PACKIT__DATABASE__PATH: w.settings.database.path,
        PACKIT__BACKENDS__COPR__URL: w.fakes.copr.url,
        PACKIT__BACKENDS__COPR__LOGIN: FAKE_COPR_ACCOUNT.login,
        PACKIT__BACKENDS__COPR__USERNAME: FAKE_COPR_ACCOUNT.username,
        PACKIT__BACKENDS__COPR__TOKEN: FAKE_COPR_ACCOUNT.token,
        APP_ID: "",
      } as NodeJS.ProcessEnv,
    });

  it("cancel --repo --pr cancels the PR's jobs with the same service (reason 'Cancelled by operator'), and tasks list shows the queue", async () => {
    world = await startWorld(undefined, { phaseMs: 3_600_000 });
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 5, headSha: sha, author: "contributor" }));
    await waitFor(async () => world!.fakes.copr.submissions === 2, 10_000, "builds running");

    const { stdout } = await cli(world, "cancel", "--repo", "acme/widget", "--pr", "5");
    expect(stdout).toContain("**Cancel: all** — Cancelled by operator");
    expect(stdout).toMatch(/rpm-build:fedora-rawhide-x86_64` \| copr \| 0 \| cancelled/);
    expect(stdout).toMatch(/testing-farm:fedora-rawhide-x86_64` \| testing-farm \| 0 \| cancelled/);
    expect(world.fakes.copr.calls.filter((c) => c.method === "PUT")).toHaveLength(2);
    // The running service sends the check runs the CLI recorded.
    await waitForChecks(world, sha, (c) => Object.values(c).length === 4 && Object.values(c).every((v) => v === "completed:cancelled"), "cancelled checks");

    const list = await cli(world, "tasks", "list", "--limit", "5");
    expect(list.stdout.split("\n")[0]).toBe("id\tstatus\tqueue\tname\tprio\ttries\tpayload\terror");
    const missing = await cli(world, "tasks", "cancel", "999999").catch((e: { stderr: string; code: number }) => e);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining("unknown task") });
  }, 60_000);
});
