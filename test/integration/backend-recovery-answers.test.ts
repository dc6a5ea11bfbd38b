import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { FAKE_COPR_ACCOUNT } from "../../testing/fakes/copr.js";
import { pullRequestEvent } from "../../testing/github-sim/index.js";
import { allCompleted, randomSha, startWorld, waitForChecks, type World } from "../support/env.js";
import { ONE_BUILD, ONE_BUILD_CHECK as BUILD } from "../support/reliability.js";

const isBuildStatus = (r: { method: string; path: string }) => r.method === "GET" && /^\/api_3\/build\/\d+\/?$/.test(r.path);

describe("status answers that do not parse (issue 23 item 8)", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it("are polled again like a 5xx: the build's job still ends as the build does", async () => {
    world = await startWorld(ONE_BUILD);
    world.fakes.copr.faults.malformWhen = isBuildStatus;
    world.fakes.copr.faults.malformNext = 3;
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 4, headSha: sha, author: "contributor" }));
    const checks = await waitForChecks(world, sha, (c) => allCompleted(c, 1), "the build's check to complete");
    expect(checks).toEqual({ [BUILD]: "completed:success" });
    expect(world.fakes.copr.faults.malformNext).toBe(0); // all three garbled answers were met
    expect(world.fakes.copr.submissions).toBe(1);
  });

  it("for longer than polling.giveUpAfterMs end the job in error, saying what was wrong", async () => {
    world = await startWorld(ONE_BUILD, { settings: { polling: { giveUpAfterMs: 300 } } });
    world.fakes.copr.faults.malformWhen = isBuildStatus;
    world.fakes.copr.faults.malformNext = Number.MAX_SAFE_INTEGER;
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 5, headSha: sha, author: "contributor" }));
    await waitForChecks(world, sha, (c) => allCompleted(c, 1), "the build's check to complete");
    const [job] = await world.deps.pipelines.jobsOfPrHead(world.repo.id, 5, sha);
    expect(job).toMatchObject({
      state: "error",
      message: expect.stringMatching(
        /^status check failed: copr: get build \d+: malformed answer: the answer is not JSON .*\(no answer for 0 min\)$/,
      ),
    });
    const run = world.sim.checkRuns("acme", "widget", sha)[0]!;
    expect(run.output?.summary ?? "").toMatch(/status check failed: copr: get build \d+: malformed answer: the answer is not JSON/);
  });
});

describe("XML-RPC answers that do not parse (issue 23 item 8)", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it("are polled again: a Koji task whose status answers are an HTML page three times still ends as the task does", async () => {
    world = await startWorld("jobs:\n  - job: upstream_koji_build\n    trigger: pull_request\n    targets: [fedora-rawhide]\n");
    const koji = world.fakes.koji;
    koji.faults.malformWhen = (r) =>
      r.body.includes("<methodName>getTaskInfo</methodName>") || r.body.includes("<methodName>multiCall</methodName>");
    koji.faults.malformNext = 3;
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 6, headSha: sha, author: "contributor" }));
    const checks = await waitForChecks(world, sha, (c) => allCompleted(c, 1), "the Koji check to complete");
    expect(checks).toEqual({ "koji-build:rawhide": "completed:success" });
    expect(koji.faults.malformNext).toBe(0);
    expect(koji.submissions).toBe(1);
  });
});

describe("Copr: an expired API token", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it("is named on the check run and in the log, with where to renew it, and shown in neither", async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    world = await startWorld(ONE_BUILD, { log: await createLogger({ level: "info", destination }) });
    world.fakes.copr.expireToken(FAKE_COPR_ACCOUNT.login);
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 6, headSha: sha, author: "contributor" }));
    expect(await waitForChecks(world, sha, (c) => allCompleted(c, 1), "the build's check to complete")).toEqual({
      [BUILD]: "completed:failure",
    });
    const renew = `Copr API token expired: renew it at ${world.fakes.copr.url}/api`;
    const run = world.sim.checkRuns("acme", "widget", sha)[0]!;
    expect(run.output?.summary).toContain(renew);
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; err?: string });
    expect(logged.find((l) => l.msg === "job ended in error: submission failed")?.err).toContain(renew);
    expect(world.fakes.copr.submissions).toBe(0);
    for (const text of [JSON.stringify(run), lines.join("")]) expect(text).not.toContain(FAKE_COPR_ACCOUNT.token);
  });
});
