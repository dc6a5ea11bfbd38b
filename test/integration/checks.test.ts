import { afterEach, describe, expect, it } from "vitest";
import { scheduleFlush } from "../../src/checks/index.js";
import type { CheckRunState } from "../../src/checks/state.js";
import { newCommit, startWorld, waitFor, type World } from "../support/env.js";

const state = (status: CheckRunState["status"], title: string, conclusion?: CheckRunState["conclusion"]): CheckRunState => ({
  status,
  title,
  summary: `${title}.`,
  actions: [],
  ...(conclusion ? { conclusion } : {}),
});

describe("check-run reporter", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  /** Record a state for each of `names` at `sha` and queue a flush, as one event's job state changes do (one transaction). */
  async function record(w: World, sha: string, names: string[], s: CheckRunState) {
    await w.deps.db.tx(async () => {
      const repo = await w.deps.pipelines.upsertRepo({
        id: w.repo.id,
        installationId: 100,
        owner: "acme",
        name: "widget",
        nodeId: w.repo.node_id,
      });
      for (const name of names) await w.deps.checks.record({ installationId: 100, repoId: repo.id, headSha: sha, name, state: s });
      await scheduleFlush(w.deps, 100);
    });
  }
  const checkMutations = (w: World) => w.sim.requests.filter((r) => r.group === "graphql" || r.group === "check-runs").length;
  const targets = Array.from({ length: 20 }, (_, i) => `rpm-build:target-${i}`);

  it("creates 20 check runs in one request and updates all 20 in one more", async () => {
    world = await startWorld();
    const sha = newCommit(world);
    await record(world, sha, targets, state("queued", "Queued"));
    await waitFor(() => world!.sim.checkRuns("acme", "widget", sha).length === 20, 5000, "20 check runs");
    expect(checkMutations(world)).toBe(1);
    await record(world, sha, targets, state("completed", "Succeeded", "success"));
    await waitFor(() => world!.sim.checkRuns("acme", "widget", sha).every((c) => c.conclusion === "success"), 5000, "20 updates");
    expect(checkMutations(world)).toBe(2);
  });

  it("sends only the last of a burst of state changes", async () => {
    world = await startWorld();
    const sha = newCommit(world);
    const steps = [
      state("queued", "Queued"),
      state("in_progress", "Submitted"),
      state("in_progress", "Running"),
      state("in_progress", "Cancelling…"),
      state("completed", "Cancelled", "cancelled"),
    ];
    // Recorded before any flush can run (one transaction), as the changes of one moment are.
    await world.deps.db.tx(async () => {
      for (const s of steps) await record(world!, sha, ["rpm-build:x"], s);
    });
    await waitFor(() => world!.sim.checkRuns("acme", "widget", sha)[0]?.status === "completed", 5000, "the check");
    const run = world.sim.checkRuns("acme", "widget", sha)[0]!;
    expect(run.history.map((h) => h.status)).toEqual(["completed"]);
    expect(run.output?.title).toBe("Cancelled");
  });

  it("rides out a secondary rate limit with retry-after and a 429: every check ends in its last state", async () => {
    world = await startWorld();
    const sha = newCommit(world);
    world.sim.rateLimitNext(1, { kind: "secondary", retryAfterSec: 1, routeGroup: "graphql" });
    world.sim.rateLimitNext(1, { kind: "429", retryAfterSec: 1, routeGroup: "graphql" });
    await record(world, sha, targets.slice(0, 5), state("queued", "Queued"));
    await record(world, sha, targets.slice(0, 5), state("completed", "Succeeded", "success"));
    await waitFor(
      () => {
        const runs = world!.sim.checkRuns("acme", "widget", sha);
        return runs.length === 5 && runs.every((c) => c.conclusion === "success");
      },
      10_000,
      "all five in their last state",
    );
    expect(world.sim.requests.filter((r) => r.status === 403 || r.status === 429)).toHaveLength(2);
    const waits = await world.deps.metrics.githubLimitWaits.get();
    expect(waits.values.reduce((n, v) => n + v.value, 0)).toBe(2);
  });

  it("keeps updates pending through a long outage and sends them later, never losing one", async () => {
    world = await startWorld(undefined, { settings: { github: { rateLimitRetries: 0 } } });
    const sha = newCommit(world);
    // More limits than the client retries: the flush gives up and the rows stay pending with a backoff.
    world.sim.rateLimitNext(3, { kind: "secondary", retryAfterSec: 1, routeGroup: "graphql" });
    world.sim.rateLimitNext(3, { kind: "secondary", retryAfterSec: 1, routeGroup: "check-runs" });
    await record(world, sha, targets.slice(0, 3), state("completed", "Succeeded", "success"));
    await waitFor(async () => (await world!.deps.checks.countPostponed()) > 0, 5000, "a postponed write");
    await waitFor(
      () => world!.sim.checkRuns("acme", "widget", sha).filter((c) => c.conclusion === "success").length === 3,
      15_000,
      "the postponed writes to go out",
    );
  });

  it("resumes sending after a restart: desired states are durable", async () => {
    world = await startWorld(undefined, { githubLatencyMs: 300 });
    const sha = newCommit(world);
    await record(world, sha, targets.slice(0, 4), state("queued", "Queued"));
    await new Promise((r) => setTimeout(r, 50)); // the flush is in flight
    await world.restart();
    await waitFor(() => world!.sim.checkRuns("acme", "widget", sha).length === 4, 10_000, "four check runs after the restart");
    await record(world, sha, targets.slice(0, 4), state("completed", "Succeeded", "success"));
    await waitFor(
      () => world!.sim.checkRuns("acme", "widget", sha).every((c) => c.conclusion === "success"),
      10_000,
      "updates after the restart",
    );
    // No duplicate check runs were created by the interrupted flush.
    expect(world.sim.checkRuns("acme", "widget", sha)).toHaveLength(4);
  });
});
