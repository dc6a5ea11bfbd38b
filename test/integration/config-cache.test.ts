import { ConfigCache } from "../../src/packit-config/cache.js";
import { afterEach, describe, expect, it } from "vitest";
import { pushEvent } from "../../testing/github-sim/index.js";
import { checksOf, randomSha, startWorld, waitFor, type World } from "../support/env.js";

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
    const afterFirst = world.sim.requests.length;
    expect(world.sim.requestCount({ group: "graphql" })).toBe(1); // the one lookup

    for (let i = 0; i < 20; i++) expect((await push(world, { modified: [`src/${i}.c`] }).send).status).toBe(200);
    expect(world.sim.requests.length).toBe(afterFirst);

    // A push that adds .packit.yaml is looked up again and runs its jobs.
    world.sim.setFile("acme", "widget", "*", ".packit.yaml", PUSH_CONFIG);
    const adding = push(world, { added: [".packit.yaml"] });
    await adding.send;
    await waitFor(async () => world!.fakes.copr.submissions === 1, 10_000, "the build of the push that added the config");
    expect(world.sim.requestCount({ group: "graphql" })).toBeGreaterThanOrEqual(2);
    await waitFor(async () => Object.keys(checksOf(world!, adding.after)).length === 1, 5000, "its check run");
    expect(Object.keys(checksOf(world, adding.after))).toEqual(["rpm-build:main:fedora-rawhide-x86_64"]);
  });

  it("never reads a failed lookup as 'no config': the delivery fails and a later push looks again", async () => {
    world = await startWorld(PUSH_CONFIG);
    // As many 502s as Octokit's retry plugin tries (1 + 3 retries): the lookup fails for good.
    world.sim.failNext(4, 502, { routeGroup: "graphql" });
    const first = push(world, { modified: ["src/a.c"] });
    expect((await first.send).status).toBe(500);
    expect((await new ConfigCache(world.deps.db).get(world.repo.id, "main"))?.state).toBe("unknown");
    expect(world.sim.requests.filter((r) => r.status === 502)).toHaveLength(4);
    await push(world, { modified: ["src/b.c"] }).send;
    await waitFor(async () => world!.fakes.copr.submissions === 1, 10_000, "the next push's build");
  });
});
