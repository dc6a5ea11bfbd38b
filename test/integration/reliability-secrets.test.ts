/**
 * Reliability and security of the whole service, end to end (see test/support/reliability.ts).
 * Secrets never leak, and a full disk is survived.
 */
import { sqliteOf } from "../support/db.js";
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { FAKE_COPR_ACCOUNT } from "../../testing/fakes/copr.js";
import { FAKE_OFFLINE_TOKEN } from "../../testing/fakes/redhat-sso.js";
import { FAKE_TF_API_KEY } from "../../testing/fakes/testing-farm.js";
import { createLogger } from "../../src/log.js";
import { describe, expect, it } from "vitest";
import { issueCommentEvent, pullRequestEvent } from "../../testing/github-sim/index.js";
import { allCompleted, checksOf, randomSha, startWorld, waitFor, waitForChecks, type World } from "../support/env.js";
import { SHORT_RETRIES, count, healthz, settled, postRaw, hmac, openPr, reliabilityHooks } from "../support/reliability.js";

describe("reliability and security", () => {
  let world: World | undefined;
  reliabilityHooks(async () => {
    await world?.stop();
    world = undefined;
  });

  // --- Secrets -------------------------------------------------------------------------
  it("never writes a secret to the logs, a comment or a check run (private key, webhook secret, backend tokens, installation tokens)", async () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        cb();
      },
    });
    const log = await createLogger({ level: "trace", destination });
    const config = `
specfile_path: widget.spec
jobs:
  - job: copr_build
    trigger: pull_request
    targets: [fedora-rawhide-x86_64, fedora-44-x86_64]
    osh_diff_scan_after_copr_build: true
  - job: copr_build
    trigger: commit
    branch: main
    targets: [fedora-rawhide-x86_64]
  - job: tests
    trigger: pull_request
    targets: [fedora-rawhide-x86_64, fedora-44-x86_64]
  - job: upstream_koji_build
    trigger: pull_request
    targets: [fedora-rawhide]
`;
    const notifyToken = "tf-notify-shared-secret-0123456789";
    world = await startWorld(config, {
      log,
      phaseMs: 300,
      settings: {
        ...SHORT_RETRIES,
        backends: { testingFarm: { notify: { url: "http://127.0.0.1:9/api/testing-farm/notify", token: notifyToken } } },
      },
    });
    const w = world;
    // Faults on every side: GitHub rate-limits the config lookup, Testing Farm is down
    // (its jobs end in error), Koji and OpenScanHub fail once, a check-run write fails.
    w.sim.rateLimitNext(1, { kind: "secondary", retryAfterSec: 1, routeGroup: "graphql" });
    w.fakes.testingFarm.faults.failUntil = Date.now() + 600_000;
    w.fakes.koji.faults.failNext = 1;
    w.fakes.openscanhub.faults.failNext = 1;
    w.fakes.copr.faults.failNext = 1;

    const a = randomSha();
    await openPr(w, 1, a);
    await waitFor(
      () => {
        const c = checksOf(w, a);
        return Object.keys(c).length >= 5 && Object.values(c).every((s) => s.startsWith("completed"));
      },
      20_000,
      `PR 1 to finish; checks ${JSON.stringify(checksOf(w, a))}`,
    );
    expect(Object.values(checksOf(w, a))).toContain("completed:failure"); // the Testing Farm errors

    // A second PR, cancelled by comment while its builds run; the comment path meets a 429 on GitHub.
    const b = randomSha();
    await openPr(w, 2, b);
    await waitFor(async () => (await count(w, "jobs", "state IN ('submitted','running')")) > 0, 10_000, "PR 2's first submission");
    w.sim.rateLimitNext(1, { kind: "429", retryAfterSec: 1, routeGroup: "comments" });
    await w.send(
      "issue_comment",
      issueCommentEvent({
        repo: w.repo,
        issueNumber: 2,
        isPullRequest: true,
        body: "/packit cancel",
        author: "maintainer",
        issueAuthor: "contributor",
      }),
    );
    await waitFor(() => w.sim.comments("acme", "widget", 2).some((c) => c.body.startsWith("**Cancel")), 10_000, "the cancel report");
    // And a request with a bad signature (logged by Probot) and a malformed payload (logged by us).
    await postRaw(w, { event: "pull_request", body: JSON.stringify({ x: 1 }), signature: hmac("wrong", "x") });
    await w.send("pull_request", { action: "opened", installation: { id: 100 } });
    // Testing Farm notifications: one forged, one genuine.
    for (const token of ["forged-token-forged-token", notifyToken]) {
      await fetch(`${w.service.url}/api/testing-farm/notify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ request_id: "nope", token }),
      });
    }
    await waitFor(async () => (await count(w, "jobs", "finished_at IS NULL")) === 0, 20_000, "every job to end");
    await settled(w);

    const logText = chunks.join("");
    expect(chunks.length, "the capture works").toBeGreaterThan(20);
    expect(logText).toMatch(/rate limit/i); // the scenario did meet GitHub's limits
    expect(logText).toMatch(/testing-farm/);
    const published = JSON.stringify([
      ...[1, 2].flatMap((n) => w.sim.comments("acme", "widget", n).map((c) => c.body)),
      ...w.sim.checkRuns("acme", "widget").map((c) => ({ output: c.output, history: c.history })),
    ]);

    const keyLines = w.sim.privateKey
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.length >= 16);
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const secrets: Record<string, string> = {
      "webhook secret": w.sim.webhookSecret,
      "Copr token": FAKE_COPR_ACCOUNT.token,
      "Copr Basic header": b64(`${FAKE_COPR_ACCOUNT.login}:${FAKE_COPR_ACCOUNT.token}`),
      "Testing Farm API key": FAKE_TF_API_KEY,
      "Red Hat offline token": FAKE_OFFLINE_TOKEN,
      "Testing Farm notification token": notifyToken,
    };
    keyLines.forEach((l, i) => (secrets[`private key line ${i + 1}`] = l));
    // Installation access tokens the simulator issued (its token store is private; read it for the test).
    const store = (w.sim as unknown as { tokens?: { tokens?: Map<string, unknown> } }).tokens?.tokens;
    const issued = [...(store?.keys() ?? [])];
    expect(issued.length, "the scenario used installation tokens").toBeGreaterThan(0);
    issued.forEach((t, i) => (secrets[`installation token ${i + 1}`] = t));
    w.fakes.imageBuilder.sso.issuedTokens().forEach((t, i) => (secrets[`Image Builder access token ${i + 1}`] = t));
    // Koji session keys (Koji-Session-Key) and OpenScanHub session cookies are credentials too.
    const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
    const sessionKeys = new Set(
      [
        ...w.fakes.koji.calls.map((c) => header(c.headers["koji-session-key"])),
        ...w.fakes.openscanhub.calls.map((c) => header(c.headers.cookie)?.replace(/^sessionid=/, "")),
      ].filter((k): k is string => !!k && k.length >= 8),
    );
    [...sessionKeys].forEach((k, i) => (secrets[`Koji/OSH session key ${i + 1}`] = k));

    for (const [where, text] of [
      ["logs", logText],
      ["comments and check runs", published],
    ] as const) {
      const leaked = Object.entries(secrets)
        .filter(([, s]) => text.includes(s))
        .map(([what]) => what);
      expect(leaked, `secrets in the ${where}`).toEqual([]);
      expect(text.match(/ghs_[A-Za-z0-9]{20,}/g) ?? [], `installation tokens in the ${where}`).toEqual([]);
      expect(text.match(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/g) ?? [], `app JWTs in the ${where}`).toEqual([]);
    }
  });

  // --- Disk full -----------------------------------------------------------------------
  // SQLite's own failure modes (a trigger refusing writes, max_page_count): on SQLite only.
  it.skipIf(process.env.TEST_ENGINE === "postgres")(
    "stores a trigger event all or nothing: a write refused half-way leaves nothing, and the retry stores it once",
    async () => {
      // Enough attempts that the refusal is still being retried when the test lifts it.
      world = await startWorld(undefined, { settings: { worker: { maxAttempts: 50 } } });
      const w = world;
      // The pipeline and its jobs are written, then the first check-run row is refused.
      sqliteOf(w.deps.db).exec(
        "CREATE TRIGGER refuse BEFORE INSERT ON check_runs BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END",
      );
      const sha = randomSha();
      const payload = pullRequestEvent("opened", { repo: w.repo, number: 77, headSha: sha, author: "contributor" });
      const id = randomUUID();
      // The delivery and its task are recorded: a 2xx; the task meets the refusal.
      expect((await w.send("pull_request", payload, id)).status).toBe(200);
      await waitFor(
        async () => (await count(w, "tasks", "name = 'process-trigger' AND last_error LIKE '%full%'")) === 1,
        5000,
        "the task to meet the refused write",
      );
      expect(await count(w, "pipelines", `head_sha = '${sha}'`)).toBe(0);
      expect(await count(w, "jobs")).toBe(0);

      sqliteOf(w.deps.db).exec("DROP TRIGGER refuse");
      await waitForChecks(w, sha, (c) => allCompleted(c, 4), "the retried task's jobs");
      expect((await w.send("pull_request", payload, id)).status).toBe(200); // GitHub's redelivery: a duplicate
      expect(await count(w, "pipelines", `head_sha = '${sha}'`)).toBe(1);
      expect(w.fakes.copr.submissions).toBe(2);
    },
  );

  it.skipIf(process.env.TEST_ENGINE === "postgres")(
    "with the database full, answers webhooks 5xx without corrupting stored work, and recovers when space is back",
    async () => {
      world = await startWorld();
      const w = world;
      const first = randomSha();
      await openPr(w, 1, first);
      await waitForChecks(w, first, (c) => allCompleted(c, 4), "PR 1 to finish");
      await settled(w);
      const snapshot = () => ({
        pipelines: sqliteOf(w.deps.db).prepare("SELECT id, head_sha, pr_number FROM pipelines ORDER BY id").all(),
        jobs: sqliteOf(w.deps.db).prepare("SELECT id, pipeline_id, key, state, external_id FROM jobs ORDER BY id").all(),
      });
      const before = snapshot();
      expect(before.jobs).toHaveLength(4);

      const pageCount = sqliteOf(w.deps.db).pragma("page_count", { simple: true }) as number;
      sqliteOf(w.deps.db).pragma(`max_page_count = ${pageCount + 2}`);
      let failed: { status: number; body: string; payload: object; id: string } | undefined;
      const answers: number[] = [];
      for (let n = 100; n < 400 && !failed; n++) {
        const payload = pullRequestEvent("opened", { repo: w.repo, number: n, headSha: randomSha(), author: "contributor" });
        const id = randomUUID();
        const res = await w.send("pull_request", payload, id);
        answers.push(res.status);
        if (res.status >= 500) failed = { ...res, payload, id };
        else expect(res.status, res.body).toBe(200);
      }
      expect(failed, `a delivery fails once the database is full; answers ${answers.join(",")}`).toBeDefined();
      expect(failed!.body).toMatch(/full/i);
      expect(await healthz(w)).toBe(200);
      expect(sqliteOf(w.deps.db).pragma("integrity_check", { simple: true })).toBe("ok");
      const during = snapshot();
      expect(during.pipelines.slice(0, before.pipelines.length)).toEqual(before.pipelines);
      expect(during.jobs.slice(0, before.jobs.length)).toEqual(before.jobs);

      // Space is back: new deliveries run, and GitHub's redelivery of the failed one is processed.
      sqliteOf(w.deps.db).pragma("max_page_count = 1073741823");
      const next = randomSha();
      expect((await openPr(w, 500, next)).status).toBe(200);
      await waitForChecks(w, next, (c) => allCompleted(c, 4), "a PR after the disk was freed", 20_000);
      expect(Object.values(checksOf(w, next))).toEqual(Array(4).fill("completed:success"));
      const redelivered = await w.send("pull_request", failed!.payload, failed!.id);
      expect(redelivered.status, redelivered.body).toBe(200);
      const sha = (failed!.payload as { pull_request: { head: { sha: string } } }).pull_request.head.sha;
      await waitFor(async () => (await count(w, "pipelines", `head_sha = '${sha}'`)) === 1, 5000, "the redelivered event's pipeline");
      expect(sqliteOf(w.deps.db).pragma("integrity_check", { simple: true })).toBe("ok");
    },
  );
});
