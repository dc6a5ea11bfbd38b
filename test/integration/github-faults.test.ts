import { afterEach, describe, expect, it } from "vitest";
import { pullRequestEvent } from "../../testing/github-sim/index.js";
import { allCompleted, randomSha, startWorld, waitForChecks, type World } from "../support/env.js";

/**
 * GitHub faults on check-run writes (issue 23 item 5): a GitHub that hangs, and 429s
 * with retry-after beyond the client's own retries. The jobs' check runs still all
 * complete, within the timeout or the retry-after plus a few seconds.
 */
describe("GitHub faults on check-run writes", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  const TIMEOUT_MS = 1500;
  const isCheckWrite = (r: { group: string; method: string }) => r.group === "graphql" && r.method === "POST";
  const openPr = async (w: World, sha: string) => {
    const res = await w.send("pull_request", pullRequestEvent("opened", { repo: w.repo, number: 1, headSha: sha, author: "contributor" }));
    expect(res.status).toBeLessThan(300);
  };

  it("a GitHub that hangs on the first write: the call times out, is retried, and every check run completes", async () => {
    world = await startWorld(undefined, { settings: { github: { requestTimeoutMs: TIMEOUT_MS } } });
    world.sim.hangNext(1, { routeGroup: "graphql", writes: true });
    const sha = randomSha();
    await openPr(world, sha);
    await waitForChecks(world, sha, (c) => allCompleted(c, 4), "all four checks to complete", 30_000);

    const requests = world.sim.requests;
    const hung = requests.findIndex((r) => r.status === 0);
    expect(hung).toBeGreaterThanOrEqual(0);
    const retry = requests.slice(hung + 1).find(isCheckWrite)!;
    // Retried after the timeout and Octokit's first retry delay (1 s), not later.
    expect(retry.at - requests[hung]!.at).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(retry.at - requests[hung]!.at).toBeLessThan(TIMEOUT_MS + 1000 + 3000);
  }, 60_000);

  it("429 + retry-after on check-run writes, more often than the client retries: each retry waits as told, and the writes converge within the waits plus a few seconds", async () => {
    const RETRY_AFTER_S = 2;
    const LIMITED = 5; // the client retries 3 times, then the reporter postpones the rest by retry-after
    world = await startWorld(undefined, { settings: { github: { rateLimitRetries: 3 } } });
    world.sim.rateLimitNext(LIMITED, { kind: "429", retryAfterSec: RETRY_AFTER_S, routeGroup: "graphql", writes: true });
    const sha = randomSha();
    await openPr(world, sha);
    await waitForChecks(world, sha, (c) => allCompleted(c, 4), "all four checks to complete", 60_000);

    const writes = world.sim.requests.filter(isCheckWrite);
    const limited = writes.filter((r) => r.status === 429);
    expect(limited).toHaveLength(LIMITED);
    // Every write after a 429 came no sooner than its retry-after, and the first that got through came soon after.
    for (let i = 0; i < LIMITED; i++) {
      const next = writes[writes.indexOf(limited[i]!) + 1]!;
      expect(next.at - limited[i]!.at).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000 - 50);
      if (i === LIMITED - 1) {
        expect(next.status).toBe(200);
        expect(next.at - limited[i]!.at).toBeLessThan(RETRY_AFTER_S * 1000 + 3000);
      }
    }
  }, 90_000);
});
