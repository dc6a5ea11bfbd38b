import { ConfigCache } from "../../src/packit-config/cache.js";
import { afterEach, describe, expect, it } from "vitest";
import { pushEvent } from "../../testing/github-sim/index.js";
import { DeliveryLog } from "../../src/webhooks/deliveries.js";
import { checksOf, deliveriesSettled, randomSha, startWorld, waitFor, type World } from "../support/env.js";

const PUSH_CONFIG = "jobs:\n  - job: copr_build\n    trigger: commit\n    branch: main\n    targets: [fedora-rawhide-x86_64]\n";

describe("config-absence cache through the webhook handler", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  const push = (w: World, files: { added?: string[]; modified?: string[] }, before = randomSha()) => {
    const after = randomSha();
    return { after, send: w.send("push", pushEvent({ repo: w.repo, ref: "main", before, after, commits: [{ id: after, ...files }] })) };
  };

  it("answers pushes of an unconfigured repository from the cache with no GitHub request, until one adds a config", async () => {
    world = await startWorld(null);
    expect((await push(world, { modified: ["src/a.c"] }).send).status).toBe(200);
    await deliveriesSettled(world);
    const afterFirst = world.sim.requests.length;
    expect(world.sim.requestCount({ group: "graphql" })).toBe(1); // the one lookup

    for (let i = 0; i < 20; i++) expect((await push(world, { modified: [`src/${i}.c`] }).send).status).toBe(200);
    await deliveriesSettled(world);
    expect(world.sim.requests.length).toBe(afterFirst);
    expect(await new DeliveryLog(world.deps.db).count("push", "ignored")).toBe(21);

    // A push that adds .packit.yaml is looked up again and runs its jobs.
    world.sim.setFile("acme", "widget", "*", ".packit.yaml", PUSH_CONFIG);
    const adding = push(world, { added: [".packit.yaml"] });
    await adding.send;
    await waitFor(() => world!.fakes.copr.submissions === 1, 10_000, "the build of the push that added the config");
    expect(world.sim.requestCount({ group: "graphql" })).toBeGreaterThanOrEqual(2);
    await waitFor(() => Object.keys(checksOf(world!, adding.after)).length === 1, 5000, "its check run");
    expect(Object.keys(checksOf(world, adding.after))).toEqual(["rpm-build:main:fedora-rawhide-x86_64"]);
  });

  it("never reads a failed lookup as 'no config': the delivery's task fails, is retried, and looks again", async () => {
    world = await startWorld(PUSH_CONFIG);
    const w = world;
    // As many 502s as Octokit's retry plugin tries (1 + 3 retries): the task's first lookup fails for good.
    w.sim.failNext(4, 502, { routeGroup: "graphql" });
    const first = push(w, { modified: ["src/a.c"] });
    expect((await first.send).status).toBe(200); // recorded with its task: GitHub need not redeliver
    await waitFor(
      async () =>
        (await w.deps.db.get<{ n: number }>(
          "SELECT COUNT(*) AS n FROM tasks WHERE name = 'process-trigger' AND last_error LIKE '%Packit config%'",
        ))!.n === 1,
      10_000,
      "the failed lookup",
    );
    // The retry looks again, finds the config and builds the push.
    await waitFor(() => w.fakes.copr.submissions === 1, 10_000, "the retried push's build");
    expect(w.sim.requests.filter((r) => r.status === 502)).toHaveLength(4);
    expect(w.sim.requestCount({ group: "graphql" })).toBeGreaterThanOrEqual(5);
    expect((await new ConfigCache(w.deps.db).get(w.repo.id, "main"))?.state).toBe("present");
    await deliveriesSettled(w);
    expect(await new DeliveryLog(w.deps.db).count("push", "handled")).toBe(1);
  });
});
