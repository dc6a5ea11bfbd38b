import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openDatabase } from "../../src/db/open.js";
import { REPLICA_TARGETS, deliverBurst, settle, startReplicaWorld, type ReplicaWorld } from "../../testing/replicas.js";
import { waitFor } from "../support/db.js";

const PRS = 24;

/**
 * Three replicas (`npm start`, role `all`) on one PostgreSQL database: a burst of
 * PR events spread over them, one replica killed with SIGKILL while builds are
 * being submitted and polled. The two left take over the dead one's tasks once
 * their leases expire.
 */
describe("3 replicas on PostgreSQL, one killed with SIGKILL mid-run", () => {
  let world: ReplicaWorld;
  beforeAll(async () => {
    world = await startReplicaWorld({ serverUrl: inject("postgresUrl"), replicas: 3 });
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  it("every job reaches a final state, no build is submitted twice, no check run is left in progress", async () => {
    const jobs = PRS * REPLICA_TARGETS.length;
    const burst = deliverBurst(world, PRS);
    // Mid-run: some builds are at Copr, most are not yet.
    await waitFor(() => world.copr.submissions >= jobs / 4, 60_000, "a quarter of the builds submitted");
    const victim = world.replicas[1]!;
    await victim.kill();
    const delivered = await burst;

    const counts = await settle(world, delivered, 90_000);
    expect(counts).toEqual({ jobs, finished: jobs, lost: 0, duplicates: 0, stuck: 0 });
    expect(world.copr.submissions).toBe(jobs);
    const runs = delivered.flatMap((d) => world.sim.checkRuns("acme", d.repo.name, d.sha));
    expect(runs).toHaveLength(jobs); // no check run created twice
    expect(runs.every((r) => r.conclusion === "success")).toBe(true);
    // The dead replica had run tasks of the burst: the others took over work it had a share of.
    const db = await openDatabase({ url: world.databaseUrl, poolSize: 1 });
    try {
      const rows = await db.all<{ worker_id: string }>("SELECT worker_id FROM tasks WHERE worker_id IS NOT NULL");
      expect(rows.some((r) => r.worker_id.endsWith(`-${victim.child.pid}`))).toBe(true);
    } finally {
      await db.close();
    }
  }, 180_000);
});
