/**
 * Reliability and security of the whole service, end to end (see test/support/reliability.ts).
 * Webhook intake under hostile input: signatures and odd bodies, duplicate deliveries, malformed payloads, hostile sizes and bursts.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { issueCommentEvent, pullRequestEvent, pushEvent, releaseEvent } from "../../testing/github-sim/index.js";
import { allCompleted, checksOf, randomSha, startWorld, waitFor, waitForChecks, type World } from "../support/env.js";
import {
  FROZEN,
  MB,
  count,
  healthz,
  coprCancelCalls,
  settled,
  postRaw,
  hmac,
  damaged,
  openPr,
  reliabilityHooks,
} from "../support/reliability.js";

describe("reliability and security", () => {
  let world: World | undefined;
  reliabilityHooks(async () => {
    await world?.stop();
    world = undefined;
  });

  // --- Signatures and odd bodies -------------------------------------------------------
  it("refuses webhooks with a wrong or missing signature (400/401) and stores nothing; a body that is not JSON gets 400, ping gets 200", async () => {
    world = await startWorld();
    const body = JSON.stringify(pullRequestEvent("opened", { repo: world.repo, number: 1, headSha: randomSha(), author: "contributor" }));
    const forged = [
      { what: "signed with another secret", signature: hmac("not-the-webhook-secret", body) },
      { what: "signature of another body", signature: hmac(world.sim.webhookSecret, `${body} `) },
      { what: "garbage signature", signature: "sha256=zz" },
      { what: "empty signature", signature: "" },
      { what: "no signature header", signature: null },
    ];
    for (const f of forged) {
      const res = await postRaw(world, { event: "pull_request", body, signature: f.signature });
      expect([400, 401], `${f.what}: ${res.status} ${res.body}`).toContain(res.status);
    }
    const notJson = await postRaw(world, { event: "pull_request", body: "{this is not JSON" });
    expect(notJson.status, notJson.body).toBe(400);
    const ping = await world.send("ping", {
      zen: "Keep it logically awesome.",
      hook_id: 1,
      hook: { type: "App", id: 1, active: true, events: ["pull_request"] },
    });
    expect(ping.status).toBe(200);

    // A delivery's tasks are queued in the transaction that answers it: none now means none later.
    expect(await count(world, "deliveries")).toBe(0);
    expect(await count(world, "pipelines")).toBe(0);
    expect(await count(world, "jobs")).toBe(0);
    expect(await count(world, "tasks")).toBe(0);
    expect(world.fakes.copr.submissions).toBe(0);
    expect(world.sim.requests).toHaveLength(0); // not even a config lookup
    expect(await healthz(world)).toBe(200);
  });

  // --- Duplicate and interrupted deliveries --------------------------------------------
  it("processes a delivery that arrives twice (or three times at once) with the same X-GitHub-Delivery only once", async () => {
    world = await startWorld();
    const a = randomSha();
    const pa = pullRequestEvent("opened", { repo: world.repo, number: 21, headSha: a, author: "contributor" });
    const idA = randomUUID();
    const first = await world.send("pull_request", pa, idA);
    const again = await world.send("pull_request", pa, idA);
    const b = randomSha();
    const pb = pullRequestEvent("opened", { repo: world.repo, number: 22, headSha: b, author: "contributor" });
    const idB = randomUUID();
    const burst = await Promise.all([1, 2, 3].map(() => world!.send("pull_request", pb, idB)));
    for (const r of [first, again, ...burst]) expect(r.status).toBe(200);

    await waitForChecks(world, a, (c) => allCompleted(c, 4), "PR 21 to finish");
    await waitForChecks(world, b, (c) => allCompleted(c, 4), "PR 22 to finish");
    await settled(world);
    expect(await count(world, "deliveries")).toBe(2);
    expect(await count(world, "pipelines")).toBe(2);
    expect(await count(world, "jobs")).toBe(8);
    expect(world.fakes.copr.submissions).toBe(4); // 2 builds per PR, each submitted once
    expect(world.fakes.testingFarm.requests()).toHaveLength(4);
    expect(world.sim.checkRuns("acme", "widget", a)).toHaveLength(4); // no twin check runs
    expect(world.sim.checkRuns("acme", "widget", b)).toHaveLength(4);
  });

  // --- Malformed payloads --------------------------------------------------------------
  it("answers payloads with missing fields, unknown actions and unknown events with a clear status, and keeps serving", async () => {
    world = await startWorld();
    const repo = world.repo;
    const pr = () => pullRequestEvent("opened", { repo, number: 31, headSha: randomSha(), author: "contributor" });
    const comment = issueCommentEvent({ repo, issueNumber: 31, isPullRequest: true, body: "/packit cancel", author: "maintainer" });
    const push = pushEvent({ repo, ref: "main", before: randomSha(), after: randomSha(), commits: [] });
    const release = releaseEvent("published", { repo, tagName: "v1.0", author: "maintainer" });
    type Case = { name: string; event: string; payload: unknown; mentions?: string; expect?: "2xx" };
    const cases: Case[] = [
      {
        name: "pull_request without installation",
        event: "pull_request",
        payload: damaged(pr(), "installation"),
        mentions: "installation",
      },
      {
        name: "pull_request without repository",
        event: "pull_request",
        payload: damaged(pr(), "repository"),
        mentions: "repository",
      },
      {
        name: "pull_request without head",
        event: "pull_request",
        payload: damaged(pr(), "pull_request.head"),
        mentions: "pull_request.head",
      },
      { name: "pull_request: null", event: "pull_request", payload: damaged(pr(), "pull_request", null), mentions: "pull_request" },
      {
        name: "head.sha a number",
        event: "pull_request",
        payload: damaged(pr(), "pull_request.head.sha", 42),
        mentions: "pull_request.head.sha",
      },
      {
        name: "installation.id a string",
        event: "pull_request",
        payload: damaged(pr(), "installation.id", "100"),
        mentions: "installation.id",
      },
      { name: "push without after", event: "push", payload: damaged(push, "after"), mentions: "after" },
      {
        name: "issue_comment without comment",
        event: "issue_comment",
        payload: damaged(comment, "comment"),
        mentions: "comment",
      },
      {
        name: "issue_comment without sender",
        event: "issue_comment",
        payload: damaged(comment, "sender"),
        mentions: "sender",
      },
      { name: "release without release", event: "release", payload: damaged(release, "release"), mentions: "release" },
      {
        name: "check_run without check_run",
        event: "check_run",
        payload: {
          action: "requested_action",
          requested_action: { identifier: "cancel" },
          repository: pr().repository,
          installation: { id: 100 },
          sender: { login: "maintainer" },
        },
        mentions: "check_run",
      },
      { name: "installation.created without installation", event: "installation", payload: { action: "created", sender: { login: "x" } } },
      {
        name: "installation_repositories.added with a nameless repository",
        event: "installation_repositories",
        payload: { action: "added", installation: { id: 100 }, repositories_added: [{ id: 5 }], sender: { login: "x" } },
      },
      { name: "unknown pull_request action", event: "pull_request", payload: { ...pr(), action: "teleported" }, expect: "2xx" },
      { name: "action that is not a string", event: "pull_request", payload: { ...pr(), action: { opened: true } }, expect: "2xx" },
      { name: "unknown event", event: "frobnicate", payload: pr(), expect: "2xx" },
      { name: "event named constructor", event: "constructor", payload: pr() },
      { name: "event named __proto__", event: "__proto__", payload: pr() },
      { name: "event named hasOwnProperty", event: "hasOwnProperty", payload: pr() },
      { name: "payload is a number", event: "pull_request", payload: 5 },
      { name: "payload is a string", event: "pull_request", payload: "opened" },
      { name: "payload is null", event: "pull_request", payload: null },
      { name: "payload is a list", event: "pull_request", payload: [pr()] },
      { name: "payload is empty", event: "push", payload: {} },
    ];
    const answers: string[] = [];
    for (const c of cases) {
      const res = await world.send(c.event, c.payload as object);
      answers.push(`${c.name}: ${res.status} ${res.body.slice(0, 160)}`);
      expect(res.status, c.name).toBeGreaterThanOrEqual(200);
      expect(res.status, c.name).toBeLessThan(600);
      expect(res.status, `${c.name}: 202 means "still processing" (a handler took longer than the webhook timeout)`).not.toBe(202);
      if (c.expect === "2xx") expect(res.status, c.name).toBeLessThan(300);
      if (c.mentions) {
        // A handled event without a field it needs is an error, and the answer says which field.
        expect(res.status, c.name).toBeGreaterThanOrEqual(400);
        expect(res.body, c.name).toContain(c.mentions);
      }
    }
    expect(await healthz(world)).toBe(200);
    expect(await count(world, "pipelines"), answers.join("\n")).toBe(0); // nothing half-made
    expect(await count(world, "jobs")).toBe(0);

    // A valid delivery afterwards runs its jobs.
    const sha = randomSha();
    expect((await openPr(world, 32, sha)).status).toBe(200);
    const checks = await waitForChecks(world, sha, (c) => allCompleted(c, 4), "the valid PR's checks");
    expect(Object.values(checks)).toEqual(Array(4).fill("completed:success"));
  });

  // --- Hostile sizes and bursts --------------------------------------------------------
  it("handles a 1 MB comment and a comment with 100 commands with bounded work and a handful of replies", async () => {
    world = await startWorld(undefined, FROZEN);
    const a = randomSha();
    await openPr(world, 41, a);
    await waitFor(() => world!.fakes.copr.submissions === 2, 10_000, "PR 41's builds");
    const cancelTasks = () => count(world!, "tasks", "name = 'cancel-jobs'");
    const cancelTasksOpen = () => count(world!, "tasks", "name = 'cancel-jobs' AND status IN ('todo','doing')");

    // 1 MB of prose with a help command on top.
    const filler = `${"lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(20)}\n`;
    const huge = `/packit help\n${filler.repeat(Math.ceil(MB / filler.length))}`;
    expect(huge.length).toBeGreaterThan(MB);
    const requestsBefore = world.sim.requests.length;
    let t0 = Date.now();
    const r1 = await world.send(
      "issue_comment",
      issueCommentEvent({
        repo: world.repo,
        issueNumber: 41,
        isPullRequest: true,
        body: huge,
        author: "maintainer",
        issueAuthor: "contributor",
      }),
    );
    expect(r1.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(5000);
    // One 1 MB line: a single enormous word after the command.
    t0 = Date.now();
    const r2 = await world.send(
      "issue_comment",
      issueCommentEvent({
        repo: world.repo,
        issueNumber: 41,
        isPullRequest: true,
        body: `/packit cancel ${"x".repeat(MB)}`,
        author: "maintainer",
        issueAuthor: "contributor",
      }),
    );
    expect(r2.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(5000);
    await waitFor(() => world!.sim.comments("acme", "widget", 41).length >= 2, 5000, "the replies to the big comments");
    await settled(world);
    const replies41 = world.sim.comments("acme", "widget", 41);
    expect(replies41.length).toBeLessThanOrEqual(2);
    for (const c of replies41) expect(c.body.length, "a reply never echoes the comment").toBeLessThan(10_000);
    expect(world.sim.requests.length - requestsBefore, "GitHub requests for two comments").toBeLessThanOrEqual(12);
    expect(await cancelTasks()).toBe(0); // the word after `cancel` is not a job: nothing was queued
    expect(coprCancelCalls(world)).toBe(0);

    // 100 commands in one comment: at most MAX_COMMANDS are run, plus one note.
    const b = randomSha();
    await openPr(world, 42, b);
    await waitFor(() => world!.fakes.copr.submissions === 4, 10_000, "PR 42's builds");
    const hundred = Array.from({ length: 100 }, () => "/packit cancel").join("\n");
    const r3 = await world.send(
      "issue_comment",
      issueCommentEvent({
        repo: world.repo,
        issueNumber: 42,
        isPullRequest: true,
        body: hundred,
        author: "maintainer",
        issueAuthor: "contributor",
      }),
    );
    expect(r3.status).toBe(200);
    await waitFor(
      async () => world!.sim.comments("acme", "widget", 42).length >= 1 && (await cancelTasksOpen()) === 0,
      20_000,
      "the cancel reports",
    );
    await settled(world);
    const replies42 = world.sim.comments("acme", "widget", 42);
    expect(replies42.length).toBeGreaterThanOrEqual(1);
    expect(replies42.length).toBeLessThanOrEqual(6);
    expect(await cancelTasks()).toBeLessThanOrEqual(5);
    // At most one backend cancel per build per command run (2 builds × MAX_COMMANDS), never one per line.
    expect(coprCancelCalls(world), "backend cancel calls are bounded by the commands run, not by the lines").toBeLessThanOrEqual(10);
    await waitForChecks(world, b, (c) => allCompleted(c, 4), "PR 42's checks to conclude");
    expect(Object.values(checksOf(world, b))).toEqual(Array(4).fill("completed:cancelled"));
    expect(
      Object.values(checksOf(world, a)).every((s) => !s.startsWith("completed")),
      "PR 41 untouched",
    ).toBe(true);
    expect(await healthz(world)).toBe(200);
  }, 60_000);

  it("refuses a webhook body larger than GitHub ever sends (25 MB) without reading it all (413)", async () => {
    world = await startWorld();
    // Anyone can POST to the webhook URL; the signature can only be checked once the body is read.
    const body = Buffer.alloc(30 * MB, 0x20);
    const t0 = Date.now();
    let answer: number | string;
    try {
      const res = await fetch(`${world.service.url}/api/github/webhooks`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "push",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
        },
        body,
      });
      answer = res.status;
      await res.text();
    } catch (err) {
      answer = `connection closed early (${(err as Error).message})`; // also acceptable: the server stopped reading
    }
    expect(typeof answer === "string" || answer === 413, `answer to a 30 MB unsigned body: ${answer} after ${Date.now() - t0} ms`).toBe(
      true,
    );
    expect(await healthz(world)).toBe(200);
    expect(await count(world, "deliveries")).toBe(0);
  });

  it("answers a burst of `/packit` commands quickly: replies never hold up the webhook answer", async () => {
    world = await startWorld();
    const t0 = Date.now();
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map(async (n) => {
        const res = await world!.send(
          "issue_comment",
          issueCommentEvent({ repo: world!.repo, issueNumber: n, isPullRequest: true, body: "/packit help", author: "maintainer" }),
        );
        return { n, status: res.status, ms: Date.now() - t0 };
      }),
    );
    // GitHub gives a receiver 10 s; the architecture promises a fast 2xx with slow work in the worker.
    for (const a of answers) expect(a, `PR ${a.n}: ${JSON.stringify(answers)}`).toMatchObject({ status: 200, ms: expect.any(Number) });
    expect(Math.max(...answers.map((a) => a.ms)), `answer times ${answers.map((a) => a.ms).join(", ")} ms`).toBeLessThan(2000);
    await waitFor(
      () => [1, 2, 3, 4, 5].every((n) => world!.sim.comments("acme", "widget", n).length === 1),
      30_000,
      "every reply, eventually",
    );
  }, 60_000);
});
