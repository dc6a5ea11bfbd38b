/**
 * Contract tests against the services' recorded real answers
 * (`test/fixtures/api-samples`): each fake answers the recorded request with a body
 * of the recorded shape (same keys, same JSON types), and each real client reads the
 * recorded answers themselves, served as recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoprClient } from "../../../src/backends/copr/client.js";
import { createImageBuilderClient } from "../../../src/backends/image-builder/client.js";
import { createTestingFarmClient } from "../../../src/backends/testing-farm/client.js";
import type { SubmitRequest } from "../../../src/backends/types.js";
import { FAKE_COPR_ACCOUNT, startFakeCopr, type FakeCopr } from "../../../testing/fakes/copr.js";
import { startHttpFake, type FakeHandler, type FakeServer } from "../../../testing/fakes/http-fake.js";
import { startFakeImageBuilder, type FakeImageBuilder } from "../../../testing/fakes/image-builder.js";
import { FAKE_OFFLINE_TOKEN, SSO_TOKEN_PATH } from "../../../testing/fakes/redhat-sso.js";
import { FAKE_TF_API_KEY, startFakeTestingFarm, type FakeTestingFarm } from "../../../testing/fakes/testing-farm.js";
import { jsonSample, requreExchanges, shapeMismatches } from "../../support/samples.js";

const request = (over: Partial<SubmitRequest> = {}): SubmitRequest => ({
  token: "3c2f8a4e-1b7d-4f6a-9e0c-5d8b7a6f4e3d",
  target: "fedora-41-x86_64",
  source: { owner: "acme", repo: "widget", cloneUrl: "https://github.com/acme/widget.git", sha: "a".repeat(40), pr: 7 },
  options: {},
  ...over,
});

/** A server that answers as recorded: `routes` maps a method and path to a status and body. */
async function replay(routes: Record<string, { status: number; body: unknown }>): Promise<FakeServer> {
  const handler: FakeHandler = (req) =>
    routes[`${req.method} ${req.path}`] ?? { status: 404, body: { error: `not recorded: ${req.method} ${req.path}` } };
  return startHttpFake("replay", handler);
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { headers: { accept: "application/json", ...headers } });
  return { status: res.status, body: await res.json() };
}

describe("Copr: recorded answers of GET /api_3/build/list", () => {
  const listed = jsonSample("copr", "apiv3_build_list_response.real.json") as { items: Array<Record<string, unknown>> };
  const recorded = requreExchanges("copr", "packit_requre_recording_api3_build_list.excerpt_L774-1078.yaml");
  let fake: FakeCopr;
  beforeAll(async () => {
    fake = await startFakeCopr({ autoAdvance: false });
  });
  afterAll(() => fake.stop());

  it("the fake's build list and build details have the recorded shape", async () => {
    expect(recorded.length).toBeGreaterThanOrEqual(5);
    const client = createCoprClient({ url: fake.url, ...FAKE_COPR_ACCOUNT });
    const ok = await client.submit(request());
    const bad = await client.submit(request({ target: "fedora-40-x86_64" }));
    fake.finish(ok.externalId, "succeeded");
    fake.finish(bad.externalId, "failed");
    const list = await getJson(`${fake.url}/api_3/build/list?ownername=packit&projectname=acme-widget-7`);
    expect(list.status).toBe(200);
    expect((list.body as { items: unknown[] }).items).toHaveLength(2);
    expect(shapeMismatches(listed, list.body)).toEqual([]);
    for (const r of recorded) expect(shapeMismatches(r.body, list.body), r.url).toEqual([]);
    // A build's details are the same object as a list item (APIv3 `to_dict`).
    const one = await getJson(`${fake.url}/api_3/build/${ok.externalId}/`);
    expect(shapeMismatches(listed.items[0], one.body)).toEqual([]);
  });

  it("the client reads the recorded builds: succeeded, failed, and failed before any chroot (SRPM)", async () => {
    const items = [...listed.items, ...recorded.flatMap((r) => (r.body as { items: Array<Record<string, unknown>> }).items)];
    const server = await replay(Object.fromEntries(items.map((b) => [`GET /api_3/build/${String(b.id)}/`, { status: 200, body: b }])));
    try {
      const client = createCoprClient({ url: server.url, ...FAKE_COPR_ACCOUNT });
      expect(await client.status("2088282")).toEqual({
        state: "success",
        rawState: "succeeded",
        url: `${server.url}/coprs/build/2088282/`,
        artifacts: {
          repoUrl: "https://download.copr.fedorainfracloud.org/results/praiskup/ping",
          chroots: ["mageia-8-x86_64"],
          srpmUrl:
            "https://download.copr.fedorainfracloud.org/results/praiskup/ping/srpm-builds/02088282/dummy-pkg-20210321_2058-1.src.rpm",
        },
      });
      expect(await client.status("1939925")).toMatchObject({ state: "failure", rawState: "failed" }); // source_package all null
      for (const b of items) expect((await client.status(String(b.id))).rawState).toBe(b.state);
    } finally {
      await server.stop();
    }
  });
});

describe("Testing Farm: recorded answers of GET /v0.1/requests/{id}", () => {
  const passed = jsonSample("testing-farm", "packit_GET_request_complete_passed.json") as Record<string, unknown>;
  const errored = jsonSample("testing-farm", "packit_GET_request_error.json") as Record<string, unknown>;
  let fake: FakeTestingFarm;
  beforeAll(async () => {
    fake = await startFakeTestingFarm({ autoAdvance: false });
  });
  afterAll(() => fake.stop());

  it("the fake's request details have the recorded shape, complete and in error", async () => {
    const client = createTestingFarmClient({ url: fake.url, apiKey: FAKE_TF_API_KEY });
    const dependency = { externalId: "1810530", artifacts: {} };
    const a = await client.submit(request({ dependency }));
    const b = await client.submit(request({ token: "another", dependency }));
    fake.finish(a.externalId, "complete", "passed");
    fake.finish(b.externalId, "error", "error");
    const auth = { authorization: `Bearer ${FAKE_TF_API_KEY}` };
    const got = await getJson(`${fake.url}/v0.1/requests/${a.externalId}`, auth);
    expect(got.status).toBe(200);
    expect(shapeMismatches(passed, got.body)).toEqual([]);
    expect(shapeMismatches(errored, (await getJson(`${fake.url}/v0.1/requests/${b.externalId}`, auth)).body)).toEqual([]);
  });

  it("the client reads the recorded requests", async () => {
    const id = String(passed.id);
    const server = await replay({ [`GET /v0.1/requests/${id}`]: { status: 200, body: passed } });
    try {
      const client = createTestingFarmClient({ url: server.url, apiKey: FAKE_TF_API_KEY });
      // `run` is null in the recording: the link falls back to the request.
      expect(await client.status(id)).toEqual({
        state: "success",
        rawState: "complete",
        url: `${server.url}/v0.1/requests/${id}`,
        message: "passed",
      });
    } finally {
      await server.stop();
    }
    const failing = await replay({ [`GET /v0.1/requests/${id}`]: { status: 200, body: errored } });
    try {
      expect(await createTestingFarmClient({ url: failing.url }).status(id)).toMatchObject({
        state: "error",
        rawState: "error",
        message: "error: something went wrong",
      });
    } finally {
      await failing.stop();
    }
  });
});

describe("Image Builder and Red Hat SSO: recorded answers", () => {
  const success = requreExchanges("image-builder", "packit_requre_GET_composes_id_200_success.yaml");
  const refused = requreExchanges("image-builder", "packit_requre_POST_compose_400_bad_request.yaml");
  const compose = success.find((e) => e.method === "GET")!;
  const badRequest = refused.find((e) => e.url.endsWith("/compose"))!;
  const tokens = [...success, ...refused].filter((e) => e.url.endsWith(SSO_TOKEN_PATH));
  const imageRequest = { architecture: "x86_64", image_type: "guest-image", upload_request: { type: "aws.s3", options: {} } };
  let fake: FakeImageBuilder;
  beforeAll(async () => {
    fake = await startFakeImageBuilder({ autoAdvance: false });
  });
  afterAll(() => fake.stop());

  it("recorded: a compose's status, a 400 and two token answers", () => {
    expect([compose.status, badRequest.status, tokens.map((t) => t.status)]).toEqual([200, 400, [200, 200]]);
  });

  it("the fake's token answer, compose status and 400 have the recorded shapes", async () => {
    const form = new URLSearchParams({ grant_type: "refresh_token", client_id: "rhsm-api", refresh_token: FAKE_OFFLINE_TOKEN });
    const token = await fetch(fake.sso.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form,
    });
    const tokenBody = (await token.json()) as { access_token: string };
    for (const t of tokens) expect(shapeMismatches(t.body, tokenBody)).toEqual([]);

    const client = createImageBuilderClient({ url: fake.apiUrl, tokenUrl: fake.sso.tokenUrl, refreshToken: FAKE_OFFLINE_TOKEN });
    const options = { image_request: imageRequest, image_distribution: "fedora-41" };
    const { externalId } = await client.submit(request({ options }));
    fake.finish(externalId, "success");
    const auth = { authorization: `Bearer ${tokenBody.access_token}` };
    const status = await getJson(`${fake.apiUrl}/composes/${externalId}`, auth);
    expect(status.status).toBe(200);
    expect(shapeMismatches(compose.body, status.body)).toEqual([]);

    const body = { distribution: "fedora-rawhide", image_requests: [imageRequest] };
    const res = await fetch(`${fake.apiUrl}/compose`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    const refusal = await res.json();
    expect(shapeMismatches(badRequest.body, refusal)).toEqual([]);
    expect(JSON.stringify(refusal)).toContain('Error at \\"/distribution\\"');
    expect(fake.answerProblems).toEqual([]);
  });

  it("the client reads the recorded token answer and compose status", async () => {
    const id = compose.url.split("/").at(-1)!;
    const server = await replay({
      [`POST ${SSO_TOKEN_PATH}`]: { status: 200, body: tokens[0]!.body },
      [`GET /api/image-builder/v1/composes/${id}`]: { status: 200, body: compose.body },
    });
    try {
      const client = createImageBuilderClient({
        url: `${server.url}/api/image-builder/v1`,
        tokenUrl: `${server.url}${SSO_TOKEN_PATH}`,
        refreshToken: FAKE_OFFLINE_TOKEN,
      });
      expect(await client.status(id)).toMatchObject({
        state: "success",
        rawState: "success",
        artifacts: { upload: { status: "success", type: "aws.s3", options: { url: expect.stringContaining("amazonaws.com") } } },
      });
      const get = server.calls.find((c) => c.method === "GET")!;
      expect(get.headers.authorization).toBe(`Bearer ${(tokens[0]!.body as { access_token: string }).access_token}`);
    } finally {
      await server.stop();
    }
  });
});
