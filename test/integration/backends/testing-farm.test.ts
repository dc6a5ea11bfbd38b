import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FAKE_TF_API_KEY, startFakeTestingFarm, type FakeTestingFarm } from "../../../testing/fakes/testing-farm.js";
import {
  createTestingFarmClient,
  mapState,
  requestBody,
  targetEnvironment,
  TOKEN_VARIABLE,
} from "../../../src/backends/testing-farm/client.js";
import type { BackendClient, SubmitRequest } from "../../../src/backends/types.js";
import { failureRecorder, untilFinal } from "../../support/backends.js";
import { waitFor } from "../../support/db.js";

const OTHER_TOKEN = "other-users-testing-farm-key";

function request(over: Partial<SubmitRequest> = {}): SubmitRequest {
  return {
    token: "0e7c5a36-8a7e-4a4e-9a55-2f3f9b1c6d01",
    target: "fedora-40-x86_64",
    source: { owner: "acme", repo: "widget", cloneUrl: "https://github.com/acme/widget.git", sha: "a".repeat(40), pr: 7 },
    options: {},
    dependency: { externalId: "1234", artifacts: { repoUrl: "https://copr.example/results/packit/acme-widget-7/" } },
    ...over,
  };
}

const { failure, messages } = failureRecorder();

describe("testing-farm mapState", () => {
  it.each([
    ["new", null, "queued"],
    ["queued", null, "queued"],
    ["running", null, "running"],
    ["cancel-requested", null, "cancel_requested"],
    ["canceled", null, "cancelled"],
    ["complete", "passed", "success"],
    ["complete", "skipped", "success"],
    ["complete", "failed", "failure"],
    ["complete", "error", "error"],
    ["complete", "unknown", "error"],
    ["complete", null, "error"],
    ["error", "error", "error"],
    ["error", null, "error"],
    ["error", "passed", "error"],
    ["something-new", null, "running"],
  ])("%s / %s → %s", (state, overall, expected) => {
    expect(mapState(state, overall)).toBe(expected);
  });
});

describe("testing-farm request body", () => {
  it("maps targets to composes and arches", () => {
    expect(targetEnvironment("fedora-40-x86_64")).toEqual({ distro: "fedora-40", arch: "x86_64", compose: "Fedora-40" });
    expect(targetEnvironment("fedora-rawhide-aarch64")).toEqual({ distro: "fedora-rawhide", arch: "aarch64", compose: "Fedora-Rawhide" });
    expect(targetEnvironment("centos-stream-9-x86_64").compose).toBe("CentOS-Stream-9");
    expect(targetEnvironment("epel-9-x86_64").compose).toBe("CentOS-Stream-9");
    expect(targetEnvironment("fedora-40-x86_64", { compose: "Fedora-40-Updated" }).compose).toBe("Fedora-40-Updated");
  });

  it("has the real shape, the Copr build as artifact, the token as a variable and no api_key", () => {
    const body = requestBody(request({ options: { fmf_url: "https://github.com/acme/tests.git", fmf_ref: "main", env: { FOO: "1" } } }));
    expect(body).not.toHaveProperty("api_key");
    expect(body).toEqual({
      test: { fmf: { url: "https://github.com/acme/tests.git", ref: "main" } },
      environments: [
        {
          arch: "x86_64",
          os: { compose: "Fedora-40" },
          artifacts: [{ type: "fedora-copr-build", id: "1234:fedora-40-x86_64" }],
          variables: {
            FOO: "1",
            PACKIT_FULL_REPO_NAME: "acme/widget",
            PACKIT_COMMIT_SHA: "a".repeat(40),
            PACKIT_PR_ID: "7",
            [TOKEN_VARIABLE]: request().token,
          },
          tmt: { context: { distro: "fedora-40", arch: "x86_64", trigger: "pull-request" } },
        },
      ],
    });
  });
});

describe("testing-farm client against the fake", () => {
  let fake: FakeTestingFarm;
  let client: BackendClient;

  beforeAll(async () => {
    fake = await startFakeTestingFarm({ phaseMs: 150, tokens: [FAKE_TF_API_KEY, OTHER_TOKEN] });
    client = createTestingFarmClient({ url: fake.url, apiKey: FAKE_TF_API_KEY, timeoutMs: 1000 });
    await client.status("00000000-0000-4000-8000-000000000000").catch(() => undefined);
  });
  afterAll(async () => {
    await fake.stop();
    for (const m of messages) {
      expect(m).not.toContain(FAKE_TF_API_KEY);
      expect(m).not.toContain(OTHER_TOKEN);
    }
  });
  beforeEach(() => fake.reset());
  afterEach(() => fake.resetHttp());

  it("submits with a bearer key and sees the request progress to success", async () => {
    const sub = await client.submit(request());
    expect(fake.submissions).toBe(1);
    const post = fake.calls.find((c) => c.method === "POST")!;
    expect(post.path).toBe("/v0.1/requests");
    expect(post.headers.authorization).toBe(`Bearer ${FAKE_TF_API_KEY}`);
    expect(post.body).not.toContain(FAKE_TF_API_KEY);

    const seen = await untilFinal(client, sub.externalId);
    const raw = seen.map((s) => s.rawState);
    expect(raw).toContain("new");
    expect(raw).toContain("running");
    expect(seen.at(-1)).toMatchObject({
      state: "success",
      rawState: "complete",
      message: "passed",
      url: `${fake.url}/artifacts/${sub.externalId}`,
    });
  });

  it("maps failed tests to failure and an infrastructure error to error", async () => {
    fake.setOutcome((s) => s.context.distro === "fedora-39", "failed");
    fake.setOutcome((s) => s.context.arch === "aarch64", { state: "error", overall: "error", summary: "provisioning failed" });
    const failed = await client.submit(request({ target: "fedora-39-x86_64" }));
    const errored = await client.submit(request({ target: "fedora-40-aarch64" }));
    expect((await untilFinal(client, failed.externalId)).at(-1)).toMatchObject({
      state: "failure",
      rawState: "complete",
      message: "failed",
    });
    expect((await untilFinal(client, errored.externalId)).at(-1)).toMatchObject({
      state: "error",
      rawState: "error",
      message: "error: provisioning failed",
    });
  });

  it("cancel of a running request is cancel_requested, then cancelled; again → cancelled (204)", async () => {
    const sub = await client.submit(request());
    fake.finish(sub.externalId, "running");
    expect(await client.cancel(sub.externalId)).toEqual({ kind: "cancel_requested" });
    expect((await client.status(sub.externalId)).state).toBe("cancel_requested");
    expect(await client.cancel(sub.externalId)).toEqual({ kind: "cancelled" });
    expect((await untilFinal(client, sub.externalId)).at(-1)).toMatchObject({ state: "cancelled", rawState: "canceled" });
    expect(await client.cancel(sub.externalId)).toEqual({ kind: "cancelled" });
  });

  it("cancel of a finished request is already_finished (409)", async () => {
    const sub = await client.submit(request());
    fake.finish(sub.externalId, "complete", "passed");
    expect(await client.cancel(sub.externalId)).toEqual({ kind: "already_finished" });
  });

  it("unknown, malformed and someone else's requests", async () => {
    const unknown = "11111111-2222-4333-8444-555555555555";
    const err = await failure(client.status(unknown));
    expect(err).toMatchObject({ transient: false, status: 404 });
    expect(await client.cancel(unknown)).toMatchObject({ kind: "error", message: expect.stringContaining(`unknown request ${unknown}`) });

    const bad = await client.cancel("not-a-uuid");
    expect(bad).toMatchObject({ kind: "error", message: expect.stringContaining("value is not a valid uuid") });
    expect((await failure(client.status("not-a-uuid"))).status).toBe(422);

    const other = createTestingFarmClient({ url: fake.url, apiKey: OTHER_TOKEN });
    const theirs = await other.submit(request());
    expect(await client.cancel(theirs.externalId)).toMatchObject({ kind: "error", message: expect.stringContaining("permission denied") });
  });

  it("a bad key is a permanent error on submit and an error value on cancel, and is never shown", async () => {
    const bad = createTestingFarmClient({ url: fake.url, apiKey: "wrong-key-123" });
    const err = await failure(bad.submit(request()));
    expect(err).toMatchObject({ transient: false, status: 401 });
    expect(err.message).not.toContain("wrong-key-123");
    expect(fake.submissions).toBe(0);
    const sub = await client.submit(request());
    expect(err.message).toBe(
      "testing-farm: submit test request: Testing Farm refused the API key (Not authorized to perform this action): check backends.testingFarm.apiKey",
    );
    const out = await bad.cancel(sub.externalId);
    expect(out).toMatchObject({ kind: "error", message: expect.stringContaining("Testing Farm refused the API key") });
    expect(JSON.stringify(out)).not.toContain("wrong-key-123");
    await failure(bad.findByToken(request()));

    // Without a key: nothing can be submitted or cancelled, and the message says which setting is missing.
    const none = createTestingFarmClient({ url: fake.url, timeoutMs: 1000 });
    expect((await failure(none.submit(request()))).message).toContain(
      "no Testing Farm API key configured: set backends.testingFarm.apiKey",
    );
    expect(await none.cancel(sub.externalId)).toMatchObject({
      kind: "error",
      message: expect.stringContaining("no Testing Farm API key configured"),
    });
    expect(fake.requests()).toHaveLength(1);
  });

  it("reading another user's request with our key is 403", async () => {
    const theirs = await createTestingFarmClient({ url: fake.url, apiKey: OTHER_TOKEN }).submit(request());
    expect(await failure(client.status(theirs.externalId))).toMatchObject({ transient: false, status: 403 });
  });

  it("an answer that is not Testing Farm's JSON is a transient error naming the field", async () => {
    const sub = await client.submit(request());
    fake.faults.malformNext = 1;
    const err = await failure(client.status(sub.externalId));
    expect(err).toMatchObject({ transient: true });
    expect(err.message).toContain(`testing-farm: get request ${sub.externalId}: malformed answer: the answer is not JSON`);
  });

  it("an injected 500 is a transient error", async () => {
    fake.faults.failNext = 1;
    expect(await failure(client.submit(request()))).toMatchObject({ transient: true, status: 500 });
    fake.faults.failNext = 1;
    await expect(client.cancel("11111111-2222-4333-8444-555555555555")).rejects.toMatchObject({ transient: true });
  });

  it("an answer slower than timeoutMs is a transient error (cancel latency is injectable)", async () => {
    const sub = await client.submit(request());
    fake.finish(sub.externalId, "running");
    const quick = createTestingFarmClient({ url: fake.url, apiKey: FAKE_TF_API_KEY, timeoutMs: 50 });
    fake.faults.delayMs = (r) => (r.method === "DELETE" ? 150 : 0);
    const err = await failure(quick.cancel(sub.externalId));
    expect(err.transient).toBe(true);
    expect(err.message).toContain("timed out");
    // The cancellation itself still lands, late.
    await waitFor(() => fake.requests()[0]!.state !== "running", 2000);
  });

  it("findByToken finds the request carrying the token, only among the key owner's, and null otherwise", async () => {
    const req = request();
    expect(await client.findByToken(req)).toBeNull();
    const sub = await client.submit(req);
    await client.submit(request({ token: "another-token", target: "fedora-39-x86_64" }));
    // Another user's request with the same token must not be taken for ours.
    const other = createTestingFarmClient({ url: fake.url, apiKey: OTHER_TOKEN });
    await other.submit(request());
    expect(await client.findByToken(req)).toEqual(sub);
    expect(await client.findByToken(request({ token: "never-submitted" }))).toBeNull();
    const list = fake.calls.find((c) => c.method === "GET" && c.path === "/v0.1/requests")!;
    expect(list.query.get("created_after")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    expect(fake.submissions).toBe(3);
  });
});
