import { inject } from "vitest";
import { startEnvironment, type Environment, type EnvironmentOptions } from "../../testing/demo/environment.js";
import type { SimRepo } from "../../testing/github-sim/index.js";
import { randomSha } from "../../testing/github-sim/index.js";
import { TWO_TARGET_CONFIG } from "./configs.js";
import { DeliveryLog } from "../../src/webhooks/deliveries.js";
import { deepMerge } from "../../src/settings.js";
import { waitFor } from "./db.js";

export interface World extends Environment {
  repo: SimRepo;
}

/** An environment with one installation and one repository carrying `config` (or none). */
export async function startWorld(config: string | null = TWO_TARGET_CONFIG, opts: EnvironmentOptions = {}): Promise<World> {
  // TEST_ENGINE=postgres: the same end-to-end tests on the run's PostgreSQL server (SQLite-only checks excepted).
  const postgresUrl =
    opts.postgresUrl ?? (process.env.TEST_ENGINE === "postgres" && !opts.databasePath ? inject("postgresUrl") : undefined);
  // Comments spaced like the environment's other writes, not GitHub's 3 s: a test posts several in a second;
  // a failed GitHub request retried after 20, 80 and 180 ms, not 1, 4 and 9 s.
  const settings = deepMerge({ github: { notificationIntervalMs: 20, retryBaseMs: 20 } }, opts.settings ?? {});
  const env = await startEnvironment({ ...opts, settings, postgresUrl });
  env.sim.addInstallation({ id: 100, account: { login: "acme", type: "Organization" } });
  const repo = env.sim.addRepo({ installationId: 100, owner: "acme", name: "widget", files: config ? { ".packit.yaml": config } : {} });
  env.sim.setPermission("acme", "widget", "maintainer", "write");
  // The tests' usual pull request author is a collaborator: their jobs run unasked (approval.test.ts covers outsiders).
  env.sim.setPermission("acme", "widget", "contributor", "write");
  return Object.assign(env, { repo });
}

/** Check runs of a head on the simulated GitHub, by name → status/conclusion. */
export function checksOf(world: World, sha: string): Record<string, string> {
  return Object.fromEntries(
    world.sim.checkRuns("acme", "widget", sha).map((c) => [c.name, c.status === "completed" ? `completed:${c.conclusion}` : c.status]),
  );
}

export async function waitForChecks(
  world: World,
  sha: string,
  predicate: (checks: Record<string, string>) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<Record<string, string>> {
  await waitFor(() => predicate(checksOf(world, sha)), timeoutMs, `${what}; checks now: ${JSON.stringify(checksOf(world, sha))}`);
  return checksOf(world, sha);
}

/** A new commit of acme/widget: the simulated GitHub, like GitHub, refuses check runs at a sha the repository does not have. */
export function newCommit(world: World): string {
  const sha = randomSha();
  world.sim.addCommit("acme", "widget", sha);
  return sha;
}

/** Wait until every recorded delivery's task has ended (the answer came before the work). */
export async function deliveriesSettled(world: Pick<World, "deps">, timeoutMs = 15_000): Promise<void> {
  const log = new DeliveryLog(world.deps.db);
  await waitFor(async () => (await log.unfinished()) === 0, timeoutMs, "every delivery's task to end");
}

export const allCompleted = (c: Record<string, string>, n: number) =>
  Object.keys(c).length === n && Object.values(c).every((v) => v.startsWith("completed"));

export { randomSha, TWO_TARGET_CONFIG, waitFor };
