import { randomUUID } from "node:crypto";
import { openDatabase } from "../src/db/open.js";
import { startFakeCopr, type FakeCopr } from "./fakes/copr.js";
import { createScratchDatabase, type ScratchDatabase } from "./demo/postgres.js";
import { pullRequestEvent, randomSha, sendWebhook, startGitHubSim, type GitHubSim, type SimRepo } from "./github-sim/index.js";
import { killTestEnv, startServerProcess, type ServerProcess } from "./server-process.js";

/** Copr targets of every repository: each PR makes one build job per target. */
export const REPLICA_TARGETS = ["fedora-rawhide-x86_64", "fedora-44-x86_64"];
const CONFIG = `jobs:
  - job: copr_build
    trigger: pull_request
    targets: [${REPLICA_TARGETS.join(", ")}]
`;

/**
 * N real service processes (`npm start`, role `all`) on one fresh PostgreSQL
 * database, against one simulated GitHub (an installation with `repos`
 * repositories) and one fake Copr.
 */
export interface ReplicaWorld {
  sim: GitHubSim;
  copr: FakeCopr;
  repos: SimRepo[];
  databaseUrl: string;
  replicas: ServerProcess[];
  /** The replicas still running (not killed). */
  alive(): ServerProcess[];
  stop(): Promise<void>;
}

export interface ReplicaWorldOptions {
  /** A PostgreSQL server: the world gets a scratch database of its own there. */
  serverUrl: string;
  replicas: number;
  /** Repositories (fairness keys) the PRs are spread over. Default 4. */
  repos?: number;
  /** The fake Copr's phase length, ms (a build takes 5 phases). Default 100. */
  phaseMs?: number;
  /** More environment for every replica (over `killTestEnv`'s). */
  env?: Record<string, string>;
}

export async function startReplicaWorld(opts: ReplicaWorldOptions): Promise<ReplicaWorld> {
  const [sim, copr] = await Promise.all([startGitHubSim(), startFakeCopr({ phaseMs: opts.phaseMs ?? 100 })]);
  let scratch: ScratchDatabase | undefined;
  const replicas: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(replicas.map((r) => r.kill()));
    await Promise.all([sim.stop(), copr.stop()]);
    await scratch?.drop();
  };
  try {
    sim.addInstallation({ id: 100, account: { login: "acme", type: "Organization" } });
    const repos = Array.from({ length: opts.repos ?? 4 }, (_, i) =>
      sim.addRepo({ installationId: 100, owner: "acme", name: `widget-${i}`, files: { ".packit.yaml": CONFIG } }),
    );
    // The pull requests' author is a collaborator: their jobs run without approval.
    for (const r of repos) sim.setPermission("acme", r.name, "contributor", "write");
    scratch = await createScratchDatabase(opts.serverUrl, "replicas");
    const env = { ...killTestEnv({ sim, databaseUrl: scratch.url, coprUrl: copr.url }), ...opts.env };
    // One first, so the others find the database migrated (they would wait on the advisory lock anyway).
    replicas.push(await startServerProcess(env));
    replicas.push(...(await Promise.all(Array.from({ length: opts.replicas - 1 }, () => startServerProcess(env)))));
    return {
      sim,
      copr,
      repos,
      databaseUrl: scratch.url,
      replicas,
      alive: () => replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A PR event of the burst: which repository and head it is for. */
export interface Delivered {
  repo: SimRepo;
  number: number;
  sha: string;
}

/**
 * Deliver `count` PR `opened` events, spread round-robin over the live replicas,
 * `concurrency` at a time. A delivery whose replica is gone (killed meanwhile) is
 * redelivered to the next live one with the same delivery id, as GitHub's
 * redelivery does. Resolves once every delivery was answered 2xx.
 */
export async function deliverBurst(
  world: ReplicaWorld,
  count: number,
  opts: { concurrency?: number; firstNumber?: number } = {},
): Promise<Delivered[]> {
  const concurrency = opts.concurrency ?? 8;
  const events: Delivered[] = Array.from({ length: count }, (_, i) => ({
    repo: world.repos[i % world.repos.length]!,
    number: (opts.firstNumber ?? 1) + i,
    sha: randomSha(),
  }));
  let next = 0;
  let turn = 0;
  const deliver = async (e: Delivered) => {
    const deliveryId = randomUUID();
    const payload = pullRequestEvent("opened", { repo: e.repo, number: e.number, headSha: e.sha, author: "contributor" });
    for (let attempt = 0; attempt < 10; attempt++) {
      const live = world.alive();
      const target = live[turn++ % live.length];
      if (!target) throw new Error("no replica left to deliver to");
      const res = await sendWebhook(`${target.url}/api/github/webhooks`, {
        event: "pull_request",
        payload,
        deliveryId,
        secret: world.sim.webhookSecret,
      }).catch(() => undefined); // the replica died under the request
      if (res && res.status < 300) return;
      if (res && target.child.exitCode === null && target.child.signalCode === null)
        throw new Error(`delivery answered ${res.status}: ${res.body}`);
    }
    throw new Error(`delivery of PR ${e.number} failed 10 times`);
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events.length) await deliver(events[next++]!);
    }),
  );
  return events;
}

/** What the kill test checks, counted on the database, the fake Copr and the simulated GitHub. */
export interface ReplicaCounts {
  /** Jobs the burst should have made. */
  jobs: number;
  /** Jobs in a final state. */
  finished: number;
  /** Jobs that never reached a final state (or were never made). */
  lost: number;
  /** Copr builds submitted more than once for one commit and chroot. */
  duplicates: number;
  /** Check runs left queued or in progress. */
  stuck: number;
}

/**
 * Wait until every job of the burst is final and every check run completed, or
 * `timeoutMs` passed, and count what is left (nothing, when all went well).
 */
export async function settle(world: ReplicaWorld, delivered: readonly Delivered[], timeoutMs: number): Promise<ReplicaCounts> {
  const jobs = delivered.length * REPLICA_TARGETS.length;
  const db = await openDatabase({ url: world.databaseUrl, poolSize: 1 });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const heads = new Set(delivered.map((d) => d.sha));
      const ended = await db.all<{ head_sha: string }>(
        "SELECT p.head_sha FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id WHERE j.finished_at IS NOT NULL",
      );
      const finished = ended.filter((r) => heads.has(r.head_sha)).length;
      const runs = delivered.flatMap((d) => world.sim.checkRuns("acme", d.repo.name, d.sha));
      const stuck = runs.filter((r) => r.status !== "completed").length;
      if ((finished === jobs && stuck === 0) || Date.now() > deadline) {
        const builds = world.copr.builds().filter((b) => heads.has(b.committish));
        const made = builds.flatMap((b) => b.chroots.map((c) => `${b.committish} ${c}`));
        return { jobs, finished, lost: jobs - finished, duplicates: made.length - new Set(made).size, stuck };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await db.close();
  }
}
