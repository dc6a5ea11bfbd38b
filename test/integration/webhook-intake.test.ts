/**
 * The webhook request path as anyone on the network can reach it, by raw HTTP
 * requests to the real service: what is not a GitHub payload is answered 400 (never
 * 500) and recorded nowhere, a body over GitHub's 25 MB cap is refused while it is
 * being read, header values are bounded, and identical heads delivered together cost
 * one pipeline.
 */
import { createHmac, randomUUID } from "node:crypto";
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { pullRequestEvent, pushEvent } from "../../testing/github-sim/index.js";
import { allCompleted, randomSha, startWorld, waitFor, waitForChecks, type World } from "../support/env.js";

const MB = 1024 * 1024;

interface RawAnswer {
  status: number;
  body: string;
}

const sign = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

/** One POST to the webhook path with exactly these headers and body bytes. */
function post(w: World, headers: Record<string, string>, body: string): Promise<RawAnswer> {
  const url = new URL("/api/github/webhooks", w.service.url);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A delivery signed with the App's webhook secret, as GitHub sends it. */
const deliver = (w: World, event: string, body: string, headers: Record<string, string> = {}) =>
  post(
    w,
    { "x-github-event": event, "x-github-delivery": randomUUID(), "x-hub-signature-256": sign(w.sim.webhookSecret, body), ...headers },
    body,
  );

const count = async (w: World, table: string) => (await w.deps.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))!.n;

describe("webhook intake (raw HTTP)", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it("answers 400 to every signed body that is not a GitHub payload, records nothing, and keeps serving", async () => {
    world = await startWorld();
    const w = world;
    type Payload = Record<string, unknown> & { installation: Record<string, unknown> | null };
    const pr = () =>
      pullRequestEvent("opened", { repo: w.repo, number: 7, headSha: randomSha(), author: "contributor" }) as unknown as Payload;
    const without = (field: string, edit: (p: Payload) => void = (p) => delete p[field]) => {
      const p = pr();
      edit(p);
      return JSON.stringify(p);
    };
    const cases: { name: string; event: string; body: string; says: string }[] = [
      { name: "JSON null", event: "pull_request", body: "null", says: "null" },
      { name: "a number", event: "pull_request", body: "42", says: "number" },
      { name: "a string", event: "pull_request", body: '"opened"', says: "string" },
      { name: "an array", event: "pull_request", body: JSON.stringify([pr()]), says: "array" },
      { name: "an empty array", event: "push", body: "[]", says: "array" },
      {
        name: "installation id a string",
        event: "pull_request",
        body: without("installation", (p) => (p.installation!.id = "100")),
        says: "installation.id",
      },
      {
        name: "installation id a float",
        event: "pull_request",
        body: without("installation", (p) => (p.installation!.id = 1.5)),
        says: "installation.id",
      },
      {
        name: "installation id null",
        event: "pull_request",
        body: without("installation", (p) => (p.installation!.id = null)),
        says: "installation.id",
      },
      {
        name: "installation without id",
        event: "pull_request",
        body: without("installation", (p) => (p.installation = {})),
        says: "installation.id",
      },
      {
        name: "installation null",
        event: "pull_request",
        body: without("installation", (p) => (p.installation = null)),
        says: "installation.id",
      },
      { name: "no installation", event: "pull_request", body: without("installation"), says: "installation" },
      { name: "no repository", event: "pull_request", body: without("repository"), says: "repository" },
      {
        name: "push without repository",
        event: "push",
        body: JSON.stringify({
          ...pushEvent({ repo: w.repo, ref: "main", before: randomSha(), after: randomSha(), commits: [] }),
          repository: undefined,
        }),
        says: "repository",
      },
      { name: "not JSON", event: "pull_request", body: "{nope", says: "JSON" },
    ];
    const answers: string[] = [];
    for (const c of cases) {
      const res = await deliver(w, c.event, c.body);
      answers.push(`${c.name}: ${res.status} ${res.body.slice(0, 200)}`);
    }
    for (const [i, c] of cases.entries()) {
      expect(answers[i], c.name).toMatch(/^[^:]+: 400 /);
      expect(answers[i], `${c.name}: the answer says what is wrong`).toContain(c.says);
    }
    expect(await count(w, "deliveries"), answers.join("\n")).toBe(0);
    expect(await count(w, "tasks")).toBe(0);

    // The service goes on: a valid delivery afterwards is processed.
    const sha = randomSha();
    const ok = await deliver(
      w,
      "pull_request",
      JSON.stringify(pullRequestEvent("opened", { repo: w.repo, number: 8, headSha: sha, author: "contributor" })),
    );
    expect(ok.status, ok.body).toBe(200);
    await waitForChecks(w, sha, (c) => allCompleted(c, 4), "the valid delivery's jobs");
  });

  it("answers 400 to a delivery id or event name longer than GitHub ever sends, or an event name GitHub never sends, before verifying anything", async () => {
    world = await startWorld();
    const body = JSON.stringify(pullRequestEvent("opened", { repo: world.repo, number: 9, headSha: randomSha(), author: "contributor" }));
    const longId = await deliver(world, "pull_request", body, { "x-github-delivery": "d".repeat(10_000) });
    expect(longId.status, longId.body).toBe(400);
    expect(longId.body).toContain("x-github-delivery");
    const longEvent = await deliver(world, `pull_request${"_".repeat(101)}`, body);
    expect(longEvent.status, longEvent.body).toBe(400);
    expect(longEvent.body).toContain("x-github-event");
    // Names that webhook routing would find on every object.
    for (const event of ["constructor", "valueOf", "__proto__", "Push", "push;rm"]) {
      const res = await deliver(world, event, body);
      expect(res.status, `${event}: ${res.body}`).toBe(400);
      expect(res.body).toContain("not a GitHub event name");
    }
    // At the bound itself: still a delivery (GitHub's ids are 36 characters).
    const atBound = await deliver(world, "pull_request", body, { "x-github-delivery": "d".repeat(100) });
    expect(atBound.status, atBound.body).toBe(200);
    expect(await count(world, "deliveries")).toBe(1);
  });

  it("refuses a chunked body over 25 MB while reading it: the answer comes before the body ends", async () => {
    world = await startWorld();
    const url = new URL("/api/github/webhooks", world.service.url);
    // No content-length, and the body never ends: a server that reads the body whole before
    // judging it never answers.
    const outcome = await new Promise<{ status?: number; closed?: string; sent: number }>((resolve) => {
      let sent = 0;
      const req = request(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "transfer-encoding": "chunked",
          "x-github-event": "push",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
        },
      });
      req.on("response", (res) => {
        res.resume();
        resolve({ status: res.statusCode, sent });
        req.destroy();
      });
      req.on("error", (err) => resolve({ closed: err.message, sent }));
      const chunk = Buffer.alloc(MB, 0x20);
      const pump = () => {
        while (sent < 30 * MB) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        // 30 MB written, and the request is left open on purpose.
      };
      pump();
    });
    expect(outcome.status === 413 || outcome.closed !== undefined, `answer: ${JSON.stringify(outcome)}`).toBe(true);
    expect((await fetch(`${world.service.url}/healthz`)).status).toBe(200);
    expect(await count(world, "deliveries")).toBe(0);
  });

  it("plans identical heads delivered together once: one pipeline, one build per target", async () => {
    world = await startWorld();
    const w = world;
    const before = randomSha();
    const sha = randomSha();
    // What GitHub sends when a push is seen twice (two hooks, a redelivery under a new id).
    const payload = JSON.stringify(
      pullRequestEvent("synchronize", { repo: w.repo, number: 11, headSha: sha, before, author: "contributor" }),
    );
    const answers = await Promise.all(Array.from({ length: 6 }, () => deliver(w, "pull_request", payload)));
    for (const a of answers) expect(a.status, a.body).toBe(200);
    await waitForChecks(w, sha, (c) => allCompleted(c, 4), "the head's jobs");
    await waitFor(
      async () => (await w.deps.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM deliveries WHERE outcome IS NULL"))!.n === 0,
      10_000,
      "every delivery to end",
    );
    expect(await count(w, "deliveries")).toBe(6);
    expect(await count(w, "pipelines")).toBe(1);
    expect(await count(w, "jobs")).toBe(4);
    expect(w.fakes.copr.submissions).toBe(2);
    expect(w.sim.checkRuns("acme", "widget", sha)).toHaveLength(4);
  });
});
