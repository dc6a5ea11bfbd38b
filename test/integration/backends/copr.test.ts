import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createCoprClient, coprProject, mapState } from "../../../src/backends/copr/client.js";
import { FAKE_COPR_ACCOUNT, fakeSrpm, startFakeCopr, type FakeCopr } from "../../../testing/fakes/copr.js";
import type { BackendClient } from "../../../src/backends/types.js";
import { failureRecorder, untilFinal } from "../../support/backends.js";
import { BASIC, coprClient, EXPIRED, OTHER, request, SECRET } from "../../support/copr.js";
import { waitFor } from "../../support/db.js";

const { failure, messages } = failureRecorder();

describe("copr mapState", () => {
  it.each([
    ["pending", "queued"],
    ["starting", "queued"],
    ["importing", "queued"],
    ["waiting", "queued"],
    ["running", "running"],
    ["succeeded", "success"],
    ["forked", "success"],
    ["skipped", "success"],
    ["failed", "failure"],
    ["canceled", "cancelled"],
    ["unknown", "running"],
    ["something-new", "running"],
  ])("%s → %s", (raw, expected) => {
    expect(mapState(raw)).toBe(expected);
  });
});

describe("copr project naming", () => {
  it("follows Packit: packit/<owner>-<repo>-<pr>, or the ref, or the options", () => {
    expect(coprProject(request())).toEqual({ owner: "packit", project: "acme-widget-7" });
    const push = request({ source: { ...request().source, pr: undefined, ref: "feature/x" } });
    expect(coprProject(push)).toEqual({ owner: "packit", project: "acme-widget-feature-x" });
    expect(coprProject(request({ options: { owner: "me", project: "p" } }))).toEqual({ owner: "me", project: "p" });
  });
});

describe("copr client against the fake", () => {
  let fake: FakeCopr;
  let client: BackendClient;

  beforeAll(async () => {
    fake = await startFakeCopr({ phaseMs: 150, accounts: [FAKE_COPR_ACCOUNT, OTHER, EXPIRED] });
    client = coprClient(fake.url);
    // Warm the connection up so that the first test sees every phase.
    await client.status("1").catch(() => undefined);
  });
  afterAll(async () => {
    await fake.stop();
    for (const m of messages) {
      expect(m).not.toContain(SECRET);
      expect(m).not.toContain(BASIC.slice(6));
    }
  });
  beforeEach(() => fake.reset());
  afterEach(() => fake.resetHttp());

  it("submits an SCM build with Basic login:token and sees it progress to success, on one kept-alive connection", async () => {
    const sub = await client.submit(request());
    expect(sub.externalId).toMatch(/^\d+$/);
    expect(sub.url).toBe(`${fake.url}/coprs/build/${sub.externalId}/`);
    expect(fake.submissions).toBe(1);

    const create = fake.calls.find((c) => c.path === "/api_3/build/create/scm")!;
    expect(create.method).toBe("POST");
    expect(create.headers.authorization).toBe(BASIC);
    expect(JSON.parse(create.body)).toMatchObject({
      ownername: "packit",
      projectname: "acme-widget-7",
      clone_url: "https://github.com/acme/widget.git",
      committish: "a".repeat(40),
      chroots: ["fedora-rawhide-x86_64"],
    });

    const seen = await untilFinal(client, sub.externalId);
    const states = seen.map((s) => s.state);
    expect(states).toContain("queued");
    expect(states).toContain("running");
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ state: "success", rawState: "succeeded" });
    expect(last.artifacts).toEqual({
      srpmUrl: expect.stringMatching(/\.src\.rpm$/),
      repoUrl: `${fake.url}/results/packit/acme-widget-7`,
      chroots: ["fedora-rawhide-x86_64"],
    });
    // Every call of the client went over the connections of its keep-alive pool, far fewer than the calls.
    expect(new Set(fake.calls.map((c) => c.connection)).size).toBeLessThan(fake.calls.length / 2);
  });

  it("maps a failed build to failure", async () => {
    fake.setOutcome((s) => s.chroots.includes("fedora-40-aarch64"), "failed");
    const ok = await client.submit(request());
    const bad = await client.submit(request({ target: "fedora-40-aarch64" }));
    expect((await untilFinal(client, bad.externalId)).at(-1)).toMatchObject({ state: "failure", rawState: "failed" });
    expect((await untilFinal(client, ok.externalId)).at(-1)!.state).toBe("success");
  });

  it("cancels a running build; a finished one is already_finished", async () => {
    const a = await client.submit(request());
    fake.finish(a.externalId, "running");
    expect(await client.cancel(a.externalId)).toEqual({ kind: "cancelled" });
    expect(fake.calls.some((c) => c.method === "PUT" && c.path === `/api_3/build/cancel/${a.externalId}`)).toBe(true);
    expect(await client.status(a.externalId)).toMatchObject({ state: "cancelled", rawState: "canceled" });
    // Cancelling again: Copr answers 409 for every finished build, cancelled ones included.
    expect(await client.cancel(a.externalId)).toEqual({ kind: "already_finished" });

    const b = await client.submit(request({ target: "fedora-40-x86_64" }));
    fake.finish(b.externalId, "succeeded");
    expect(await client.cancel(b.externalId)).toEqual({ kind: "already_finished" });
  });

  it("reports an unknown build", async () => {
    const err = await failure(client.status("999999"));
    expect(err.transient).toBe(false);
    expect(err.status).toBe(404);
    expect(await client.cancel("999999")).toMatchObject({ kind: "error", message: expect.stringContaining("unknown build 999999") });
    expect(await client.cancel("not-a-number")).toMatchObject({ kind: "error" });
    await failure(client.status("../../etc"));
  });

  it("cancels as Copr allows: anyone with build rights in the project, not only its owner; others get 403", async () => {
    fake.addProject("someone", "shared", { chroots: ["fedora-rawhide-x86_64"], builders: ["packit"] });
    const theirs = await coprClient(fake.url, OTHER).submit(request({ options: { owner: "someone", project: "shared" } }));
    fake.finish(theirs.externalId, "running");
    expect(await client.cancel(theirs.externalId)).toEqual({ kind: "cancelled" });

    const own = await coprClient(fake.url, OTHER).submit(request({ options: { owner: "someone" } }));
    fake.finish(own.externalId, "running");
    expect(await client.cancel(own.externalId)).toEqual({
      kind: "error",
      message: "permission denied: You are not allowed to cancel this build.",
    });
    expect(fake.builds().find((b) => String(b.id) === own.externalId)?.state).toBe("running");
  });

  it("a wrong or expired token is named as expired, with where to renew it; reads go on; the token is never shown", async () => {
    const a = await client.submit(request());
    fake.finish(a.externalId, "running");
    for (const bad of [coprClient(fake.url, EXPIRED), coprClient(fake.url, { ...FAKE_COPR_ACCOUNT, token: "wrong-secret" })]) {
      const err = await failure(bad.submit(request({ source: { ...request().source, sha: "d".repeat(40) } })));
      expect(err).toMatchObject({ transient: false, status: 401 });
      expect(err.message).toContain(`Copr API token expired: renew it at ${fake.url}/api (Copr: Login invalid/expired)`);
      expect(await bad.cancel(a.externalId)).toEqual({
        kind: "error",
        message: `Copr API token expired: renew it at ${fake.url}/api (Copr: Login invalid/expired)`,
      });
      // Copr's reads are anonymous: polling is not held up by the token.
      expect((await bad.status(a.externalId)).state).toBe("running");
    }
    expect(fake.submissions).toBe(1);
    expect(messages.join("\n")).not.toContain("wrong-secret");
    expect(messages.join("\n")).not.toContain(EXPIRED.token);

    const none = createCoprClient({ url: fake.url, timeoutMs: 1000 });
    expect((await failure(none.submit(request()))).message).toContain(
      `no Copr API token configured: set backends.copr.login, username and token from ${fake.url}/api`,
    );
  });

  it("an answer that is not Copr's JSON is a transient error naming the backend and what was wrong", async () => {
    const a = await client.submit(request());
    fake.faults.malformNext = 1;
    const err = await failure(client.status(a.externalId));
    expect(err).toMatchObject({ transient: true, status: 200 });
    expect(err.message).toMatch(/^copr: get build \d+: malformed answer: the answer is not JSON \("<html>/);
    expect((await client.status(a.externalId)).rawState).toBeTypeOf("string"); // the next answer is read again
  });

  it("an injected 500 is a transient error", async () => {
    fake.faults.failNext = 1;
    const err = await failure(client.submit(request()));
    expect(err.transient).toBe(true);
    expect(err.status).toBe(500);
    fake.faults.failNext = 1;
    await expect(client.cancel("1000")).rejects.toMatchObject({ transient: true });
  });

  it("an answer slower than timeoutMs is a transient error (cancel latency is injectable)", async () => {
    const a = await client.submit(request());
    fake.finish(a.externalId, "running");
    // A timeout a loaded machine's answers stay well within, and a cancel that always takes longer.
    const quick = coprClient(fake.url, FAKE_COPR_ACCOUNT, 1000);
    fake.faults.delayMs = (r) => (r.method === "PUT" && r.path.startsWith("/api_3/build/cancel/") ? 1500 : 0);
    const err = await failure(quick.cancel(a.externalId));
    expect(err.transient).toBe(true);
    expect(err.message).toContain("timed out");
    // Other calls are not slowed down; the cancel itself lands late.
    expect((await quick.status(a.externalId)).state).toBe("running");
    await waitFor(() => fake.builds()[0]!.state === "canceled", 5000);
  });

  it("honours an abort signal", async () => {
    fake.faults.delayMs = 150;
    const ctl = new AbortController();
    const p = client.status("1000", { signal: ctl.signal });
    ctl.abort(new Error("task aborted"));
    await expect(p).rejects.toThrow("task aborted");
  });

  it("serves the SRPM of a build at its source_package url: the same bytes every time, 404 for others", async () => {
    const sub = await client.submit(request());
    const early = await client.submit(request({ target: "fedora-41-x86_64" }));
    fake.finish(early.externalId, "pending");
    const last = (await untilFinal(client, sub.externalId)).at(-1)!;
    const url = last.artifacts?.srpmUrl as string;
    expect(url).toBe(`${fake.url}/results/packit/acme-widget-7/srpm-builds/${sub.externalId}/package-1.0-1.${sub.externalId}.src.rpm`);

    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-rpm");
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get("content-length")).toBe(String(bytes.length));
    expect(bytes.length).toBeGreaterThan(2000);
    expect(bytes.equals(fakeSrpm(Number(sub.externalId)))).toBe(true);
    expect(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(bytes)).toBe(true);
    expect(fakeSrpm(Number(early.externalId)).equals(bytes)).toBe(false);

    for (const other of [
      url.replace(`/${sub.externalId}/`, "/999999/"), // no such build
      url.replace("/packit/acme-widget-7/", "/packit/other/"), // not where this build is
      url.replace(`/${sub.externalId}/`, `/${early.externalId}/`), // not built yet
    ]) {
      expect((await fetch(other)).status, other).toBe(404);
    }
  });

  it("findByToken finds the earlier build of the job and null when there is none", async () => {
    const req = request();
    expect(await client.findByToken(req)).toBeNull(); // no project yet
    const sub = await client.submit(req);
    // Noise in the same project: another chroot, another commit.
    await client.submit(request({ target: "fedora-40-x86_64" }));
    await client.submit(request({ source: { ...req.source, sha: "b".repeat(40) } }));
    const found = await client.findByToken(req);
    expect(found).toEqual({ externalId: sub.externalId, url: sub.url });
    expect(await client.findByToken(request({ source: { ...req.source, sha: "c".repeat(40) } }))).toBeNull();
    expect(await client.findByToken(request({ target: "epel-9-x86_64" }))).toBeNull();
    expect(fake.submissions).toBe(3);
  });

  it("findByToken goes by the API username (a build's submitter), not the generated login", async () => {
    // Another user with build rights submits the very same commit and chroot into our project.
    fake.addProject("packit", "acme-widget-7", { chroots: ["fedora-rawhide-x86_64"], builders: ["someone"] });
    await coprClient(fake.url, OTHER).submit(request());
    expect(fake.builds()[0]).toMatchObject({ submitter: "someone" });
    expect(await client.findByToken(request())).toBeNull();

    const ours = await client.submit(request());
    expect(fake.builds()[1]).toMatchObject({ submitter: FAKE_COPR_ACCOUNT.username });
    expect(FAKE_COPR_ACCOUNT.login).not.toBe(FAKE_COPR_ACCOUNT.username);
    expect(await client.findByToken(request())).toEqual(ours);
  });

  it("findByToken skips look-alikes: a build another job recorded, and builds from before the attempt", async () => {
    const first = await client.submit(request()); // an earlier job's build of this commit
    const second = await client.submit(request()); // this job's (a rebuild of the same head)
    expect(await client.findByToken(request())).toEqual(second); // newest first
    const recorded = new Set([second.externalId]);
    expect(await client.findByToken(request(), { isRecorded: (id) => recorded.has(id) })).toEqual(first);
    recorded.add(first.externalId);
    expect(await client.findByToken(request(), { isRecorded: (id) => Promise.resolve(recorded.has(id)) })).toBeNull();
    // Our attempt came well after both builds: neither is the one it made.
    expect(await client.findByToken(request(), { submittedAfter: Date.now() + 3_600_000 })).toBeNull();
    expect(await client.findByToken(request(), { submittedAfter: Date.now() })).toEqual(second);
  });
});

describe("fake copr clock", () => {
  it("with autoAdvance:false a build waits for finish()", async () => {
    const fake = await startFakeCopr({ autoAdvance: false });
    try {
      const client = coprClient(fake.url);
      const { externalId } = await client.submit(request());
      expect((await client.status(externalId)).rawState).toBe("pending");
      fake.finish(externalId, "failed");
      expect((await client.status(externalId)).state).toBe("failure");
      expect(fake.builds()).toMatchObject([{ id: Number(externalId), state: "failed", committish: "a".repeat(40) }]);
    } finally {
      await fake.stop();
    }
  });
});
