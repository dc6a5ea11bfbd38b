import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FAKE_IMAGE_BUILDER_TOKEN, startFakeImageBuilder, type FakeImageBuilder } from "../../../testing/fakes/image-builder.js";
import { CANCEL_NOT_SUPPORTED, composeBody, createImageBuilderClient, imageName, mapState } from "../../../src/backends/image-builder/client.js";
import type { BackendClient, SubmitRequest } from "../../../src/backends/types.js";
import { BackendError } from "../../../src/errors.js";
import { failureRecorder, untilFinal } from "../../support/backends.js";
import { waitFor } from "../../support/db.js";

const OTHER_TOKEN = "other-users-image-builder-key";
const IMAGE_REQUEST = { architecture: "x86_64", image_type: "aws", upload_request: { type: "aws", options: { share_with_accounts: ["123456789012"] } } };

function request(over: Partial<SubmitRequest> = {}): SubmitRequest {
  return {
    token: "9d6f3b1e-7c2a-4e5f-8a9b-0c1d2e3f4a5b",
    target: "fedora-40-x86_64",
    source: { owner: "acme", repo: "widget", cloneUrl: "https://github.com/acme/widget.git", sha: "a".repeat(40), pr: 7 },
    options: { image_request: IMAGE_REQUEST, image_distribution: "fedora-40", image_customizations: { packages: ["widget"] } },
    ...over,
  };
}

const { failure, messages } = failureRecorder();

describe("image-builder mapState", () => {
  it.each([
    ["pending", "queued"],
    ["building", "running"],
    ["uploading", "running"],
    ["registering", "running"],
    ["success", "success"],
    ["failure", "failure"],
    ["something-new", "running"],
  ])("%s → %s", (raw, expected) => {
    expect(mapState(raw)).toBe(expected);
  });
});

describe("image-builder compose body", () => {
  it("carries the token at the end of an image name of at most 100 characters", () => {
    expect(imageName(request())).toBe(`acme-widget-7-${request().token}`);
    const long = imageName(request({ options: { image_name: "x".repeat(200) } }));
    expect(long).toHaveLength(100);
    expect(long.endsWith(`-${request().token}`)).toBe(true);
  });

  it("builds the request from the job options and adds the Copr build as a payload repository", () => {
    const body = composeBody(
      request({ dependency: { externalId: "1234", artifacts: { repoUrl: "https://copr.example/results/packit/acme-widget-7/" } } }),
    );
    expect(body).toEqual({
      image_name: `acme-widget-7-${request().token}`,
      distribution: "fedora-40",
      image_requests: [IMAGE_REQUEST],
      customizations: {
        packages: ["widget"],
        payload_repositories: [{ baseurl: "https://copr.example/results/packit/acme-widget-7/fedora-40-x86_64/", check_gpg: false }],
      },
    });
  });

  it("without an image_request it is a permanent error before any call", () => {
    expect(() => composeBody(request({ options: {} }))).toThrow(BackendError);
  });
});

describe("image-builder client against the fake", () => {
  let fake: FakeImageBuilder;
  let client: BackendClient;

  beforeAll(async () => {
    fake = await startFakeImageBuilder({ phaseMs: 150, tokens: [FAKE_IMAGE_BUILDER_TOKEN, OTHER_TOKEN] });
    client = createImageBuilderClient({ url: fake.url, token: FAKE_IMAGE_BUILDER_TOKEN, timeoutMs: 1000 });
    await client.status("00000000-0000-4000-8000-000000000000").catch(() => undefined);
  });
  afterAll(async () => {
    await fake.stop();
    for (const m of messages) {
      expect(m).not.toContain(FAKE_IMAGE_BUILDER_TOKEN);
      expect(m).not.toContain(OTHER_TOKEN);
    }
  });
  beforeEach(() => fake.reset());
  afterEach(() => fake.resetHttp());

  it("starts a compose with a bearer key and sees it progress to success", async () => {
    const sub = await client.submit(request());
    expect(sub.externalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(fake.submissions).toBe(1);
    const post = fake.calls.find((c) => c.method === "POST")!;
    expect(post.path).toBe("/compose");
    expect(post.headers.authorization).toBe(`Bearer ${FAKE_IMAGE_BUILDER_TOKEN}`);

    const seen = await untilFinal(client, sub.externalId);
    const raw = seen.map((s) => s.rawState);
    expect(raw).toContain("pending");
    expect(raw).toContain("building");
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ state: "success", rawState: "success" });
    expect(last.artifacts).toMatchObject({ upload: { status: "success", type: "aws", options: { region: "us-east-1" } } });
  });

  it("maps a failed compose to failure with the service's reason", async () => {
    fake.setOutcome((s) => s.architecture === "aarch64", "failure");
    const sub = await client.submit(request({ options: { ...request().options, image_request: { ...IMAGE_REQUEST, architecture: "aarch64" } } }));
    expect((await untilFinal(client, sub.externalId)).at(-1)).toMatchObject({ state: "failure", rawState: "failure", message: "osbuild job failed" });
  });

  it("cancel is not supported and never calls DELETE, running or finished", async () => {
    const running = await client.submit(request());
    fake.finish(running.externalId, "building");
    const finished = await client.submit(request({ token: "t-2" }));
    fake.finish(finished.externalId, "success");
    fake.resetHttp();
    for (const id of [running.externalId, finished.externalId, "unknown"]) {
      expect(await client.cancel(id)).toEqual({ kind: "not_supported", message: CANCEL_NOT_SUPPORTED });
    }
    expect(fake.calls).toHaveLength(0);
    // The compose goes on and can still be polled.
    expect((await client.status(running.externalId)).state).toBe("running");
  });

  it("the fake's DELETE only hides a compose, as the real service does", async () => {
    const sub = await client.submit(request());
    const del = await fetch(`${fake.url}/composes/${sub.externalId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${FAKE_IMAGE_BUILDER_TOKEN}` },
    });
    expect(del.status).toBe(200);
    expect(await del.text()).toBe("");
    expect((await failure(client.status(sub.externalId))).status).toBe(404);
    expect(await client.findByToken(request())).toBeNull();
    expect(fake.composes()[0]).toMatchObject({ hidden: true });
  });

  it("an unknown compose is a permanent error", async () => {
    const err = await failure(client.status("11111111-2222-4333-8444-555555555555"));
    expect(err).toMatchObject({ transient: false, status: 404 });
    expect(err.message).toContain("unknown compose");
    expect((await failure(client.status("not-a-uuid"))).transient).toBe(false);
  });

  it("a bad key is a permanent error and is never shown", async () => {
    const bad = createImageBuilderClient({ url: fake.url, token: "wrong-key-123" });
    const err = await failure(bad.submit(request()));
    expect(err).toMatchObject({ transient: false, status: 401 });
    expect(err.message).not.toContain("wrong-key-123");
    expect(fake.submissions).toBe(0);
    await failure(bad.findByToken(request()));
  });

  it("an injected 500 is a transient error", async () => {
    fake.faults.failNext = 1;
    expect(await failure(client.submit(request()))).toMatchObject({ transient: true, status: 500 });
  });

  it("an answer slower than timeoutMs is a transient error; the compose it started is found by token", async () => {
    const quick = createImageBuilderClient({ url: fake.url, token: FAKE_IMAGE_BUILDER_TOKEN, timeoutMs: 50 });
    fake.faults.delayMs = (r) => (r.method === "POST" ? 150 : 0);
    const err = await failure(quick.submit(request()));
    expect(err.transient).toBe(true);
    expect(err.message).toContain("timed out");
    // The service still started it: exactly the case findByToken exists for.
    await waitFor(() => fake.submissions === 1, 2000);
    expect((await client.findByToken(request()))?.externalId).toBe(fake.composes()[0]!.id);
  });

  it("findByToken finds the compose by its image name, across pages, and null otherwise", async () => {
    const req = request();
    expect(await client.findByToken(req)).toBeNull();
    const sub = await client.submit(req);
    // Push it off the first page (100 per page) with newer composes; one from another user carries the same token.
    await Promise.all(Array.from({ length: 120 }, (_, i) => client.submit(request({ token: `other-${i}` }))));
    await createImageBuilderClient({ url: fake.url, token: OTHER_TOKEN }).submit(req);
    const found = await client.findByToken(req);
    expect(found?.externalId).toBe(sub.externalId);
    const lists = fake.calls.filter((c) => c.method === "GET" && c.path === "/composes");
    expect(lists.map((c) => c.query.get("offset"))).toEqual(["0", "0", "100"]);
    expect(await client.findByToken(request({ token: "never-submitted" }))).toBeNull();
    expect(fake.submissions).toBe(122);
  });
});
