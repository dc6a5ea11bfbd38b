import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createCoprClient, coprProject, mapState } from "../../../src/backends/copr/client.js";
import { FAKE_COPR_TOKEN, startFakeCopr, type FakeCopr } from "../../../src/backends/fakes/copr.js";
import type { BackendClient, SubmitRequest } from "../../../src/backends/types.js";
import { failureRecorder, untilFinal } from "../../support/backends.js";
import { waitFor } from "../../support/db.js";

const SECRET = FAKE_COPR_TOKEN.split(":")[1]!;
const OTHER_TOKEN = "someone:other-secret-token";

function request(over: Partial<SubmitRequest> = {}): SubmitRequest {
  return {
    token: "5b1c0b5e-2d0b-4a57-9c3e-7f1a1d2a9f10",
    target: "fedora-rawhide-x86_64",
    source: { owner: "acme", repo: "widget", cloneUrl: "https://github.com/acme/widget.git", sha: "a".repeat(40), pr: 7 },
    options: {},
    ...over,
  };
}

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
    fake = await startFakeCopr({ phaseMs: 150, tokens: [FAKE_COPR_TOKEN, OTHER_TOKEN] });
    client = createCoprClient({ url: fake.url, token: FAKE_COPR_TOKEN, timeoutMs: 1000 });
    // Warm the connection up so that the first test sees every phase.
    await client.status("1").catch(() => undefined);
  });
  afterAll(async () => {
    await fake.stop();
    for (const m of messages) {
      expect(m).not.toContain(SECRET);
      expect(m).not.toContain(Buffer.from(FAKE_COPR_TOKEN).toString("base64"));
    }
  });
  beforeEach(() => fake.reset());
  afterEach(() => fake.resetHttp());

  it("submits an SCM build with Basic auth and sees it progress to success", async () => {
    const sub = await client.submit(request());
    expect(sub.externalId).toMatch(/^\d+$/);
    expect(sub.url).toBe(`${fake.url}/coprs/build/${sub.externalId}/`);
    expect(fake.submissions).toBe(1);

    const create = fake.calls.find((c) => c.path === "/api_3/build/create/scm")!;
    expect(create.method).toBe("POST");
    expect(create.headers.authorization).toBe(`Basic ${Buffer.from(FAKE_COPR_TOKEN).toString("base64")}`);
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
    expect(last.artifacts).toEqual({ srpmUrl: expect.stringMatching(/\.src\.rpm$/), repoUrl: `${fake.url}/results/packit/acme-widget-7/`, chroots: ["fedora-rawhide-x86_64"] });
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

  it("refuses to cancel a build in someone else's project (403)", async () => {
    const other = createCoprClient({ url: fake.url, token: OTHER_TOKEN });
    const theirs = await other.submit(request({ options: { owner: "someone" } }));
    const out = await client.cancel(theirs.externalId);
    expect(out).toMatchObject({ kind: "error", message: expect.stringContaining("permission denied") });
  });

  it("a bad token is a permanent error on submit and an error value on cancel, and is never shown", async () => {
    const bad = createCoprClient({ url: fake.url, token: "packit:wrong-secret" });
    const err = await failure(bad.submit(request()));
    expect(err.transient).toBe(false);
    expect(err.status).toBe(401);
    expect(err.message).not.toContain("wrong-secret");
    expect(fake.submissions).toBe(0);

    const a = await client.submit(request());
    fake.finish(a.externalId, "running");
    const out = await bad.cancel(a.externalId);
    expect(out).toMatchObject({ kind: "error", message: expect.stringContaining("authentication failed") });
    expect(JSON.stringify(out)).not.toContain("wrong-secret");
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
    const quick = createCoprClient({ url: fake.url, token: FAKE_COPR_TOKEN, timeoutMs: 50 });
    fake.faults.delayMs = (r) => (r.method === "PUT" && r.path.startsWith("/api_3/build/cancel/") ? 150 : 0);
    const err = await failure(quick.cancel(a.externalId));
    expect(err.transient).toBe(true);
    expect(err.message).toContain("timed out");
    // Other calls are not slowed down; the cancel itself lands late.
    expect((await quick.status(a.externalId)).state).toBe("running");
    await waitFor(() => fake.builds()[0]!.state === "canceled", 2000);
  });

  it("honours an abort signal", async () => {
    fake.faults.delayMs = 150;
    const ctl = new AbortController();
    const p = client.status("1000", { signal: ctl.signal });
    ctl.abort(new Error("task aborted"));
    await expect(p).rejects.toThrow("task aborted");
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
});

describe("fake copr clock", () => {
  it("with autoAdvance:false a build waits for finish()", async () => {
    const fake = await startFakeCopr({ autoAdvance: false });
    try {
      const client = createCoprClient({ url: fake.url, token: FAKE_COPR_TOKEN });
      const { externalId } = await client.submit(request());
      await new Promise((r) => setTimeout(r, 60));
      expect((await client.status(externalId)).rawState).toBe("pending");
      fake.finish(externalId, "failed");
      expect((await client.status(externalId)).state).toBe("failure");
      expect(fake.builds()).toMatchObject([{ id: Number(externalId), state: "failed", committish: "a".repeat(40) }]);
    } finally {
      await fake.stop();
    }
  });
});
