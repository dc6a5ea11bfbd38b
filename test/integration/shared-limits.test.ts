import { spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkRedis } from "../../src/github/redis.js";
import { freePort } from "../../src/util/net.js";
import { randomSha, startGitHubSim, type GitHubSim } from "../../testing/github-sim/index.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";

const INSTALLATION = 100;
const INTERVAL_MS = 300;
const WRITES_EACH = 5;

/**
 * GitHub rate limits shared through Redis: two real processes writing to one
 * installation at once are spaced as one process would be — and, as the control
 * shows, not without the shared Redis.
 */
describe("write spacing shared by processes on one Redis", () => {
  let sim: GitHubSim;
  let redis: RedisServer;
  let commentId: number;

  beforeAll(async () => {
    [sim, redis] = await Promise.all([startGitHubSim(), startRedisServer()]);
    sim.addInstallation({ id: INSTALLATION, account: { login: "acme", type: "Organization" } });
    sim.addRepo({ installationId: INSTALLATION, owner: "acme", name: "widget", files: {} });
    sim.addPullRequest({ owner: "acme", repo: "widget", number: 1, headSha: randomSha() });
    commentId = sim.addComment("acme", "widget", 1, { body: "/packit build", author: "contributor" }).id;
  });
  afterAll(async () => {
    await Promise.all([sim?.stop(), redis?.stop()]);
  });

  /** Start two writer processes, let them write at the same moment, and return the arrival times of their writes. */
  async function writeFromTwoProcesses(redisUrl: string | undefined): Promise<number[]> {
    const startIndex = sim.requests.length;
    const writers = [0, 1].map(() => {
      const child = spawn(process.execPath, ["--import", "tsx", "test/support/github-writer-process.ts"], {
        env: {
          ...process.env,
          GITHUB_URL: sim.url,
          APP_ID: String(sim.appId),
          PRIVATE_KEY: sim.privateKey,
          INSTALLATION_ID: String(INSTALLATION),
          REPO: "acme/widget",
          COMMENT_ID: String(commentId),
          WRITES: String(WRITES_EACH),
          WRITE_INTERVAL_MS: String(INTERVAL_MS),
          REDIS_URL: redisUrl ?? "",
        },
        stdio: ["pipe", "pipe", "inherit"],
      });
      let out = "";
      const said = (word: string) =>
        new Promise<void>((resolve, reject) => {
          const check = () => out.includes(word) && resolve();
          child.stdout.on("data", (d: Buffer) => ((out += d.toString()), check()));
          child.once("exit", (code) =>
            out.includes(word) ? resolve() : reject(new Error(`writer exited ${code} before "${word}": ${out}`)),
          );
        });
      return { child, ready: said("ready"), done: said("done") };
    });
    await Promise.all(writers.map((w) => w.ready));
    for (const w of writers) w.child.stdin.write("go\n");
    await Promise.all(writers.map((w) => w.done));
    await Promise.all(writers.map((w) => (w.child.exitCode === null ? once(w.child, "exit") : Promise.resolve())));
    return sim.requests
      .slice(startIndex)
      .filter((r) => r.method === "POST" && r.path.endsWith("/reactions"))
      .map((r) => r.at)
      .sort((a, b) => a - b);
  }

  const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

  it("two processes on one Redis start one installation's writes at least the write interval apart", async () => {
    const times = await writeFromTwoProcesses(redis.url);
    expect(times).toHaveLength(2 * WRITES_EACH);
    // Arrival jitter (the request is built and sent after its slot) is a few ms, far below the interval.
    for (const gap of gaps(times)) expect(gap).toBeGreaterThanOrEqual(INTERVAL_MS - 60);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual((2 * WRITES_EACH - 1) * INTERVAL_MS - 100);
  }, 60_000);

  it("without the shared Redis each process spaces only its own writes (the control)", async () => {
    const times = await writeFromTwoProcesses(undefined);
    expect(times).toHaveLength(2 * WRITES_EACH);
    // The two sequences run side by side: the whole takes about as long as one process's share.
    expect(times.at(-1)! - times[0]!).toBeLessThan((2 * WRITES_EACH - 1) * INTERVAL_MS - 100);
  }, 60_000);
});

describe("a Redis that does not answer", () => {
  it("stops the start with a message naming the setting, the password hidden", async () => {
    const port = await freePort();
    const err = await checkRedis(`redis://:hunter2secret@127.0.0.1:${port}`, 2000).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/^redis\.url \(REDIS_URL\): cannot use redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
    expect(err!.message).not.toContain("hunter2secret");
  });
});
