import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeImageBuilder, type FakeImageBuilder } from "../../../testing/fakes/image-builder.js";
import {
  FAKE_OFFLINE_TOKEN,
  FAKE_SERVICE_ACCOUNT,
  SSO_TOKEN_PATH,
  startFakeRedHatSso,
  type FakeRedHatSso,
} from "../../../testing/fakes/redhat-sso.js";
import {
  CANCEL_NOT_SUPPORTED,
  composeBody,
  createImageBuilderClient,
  imageName,
  mapState,
  type ImageBuilderEndpoint,
} from "../../../src/backends/image-builder/client.js";
import type { BackendClient, SubmitRequest } from "../../../src/backends/types.js";
import { BackendError } from "../../../src/errors.js";
import { failureRecorder, untilFinal } from "../../support/backends.js";
import { waitFor } from "../../support/db.js";

const OTHER_OFFLINE_TOKEN = "other-users-offline-token-9876543210";
const REVOKED_OFFLINE_TOKEN = "revoked-offline-token-0000000000";
const IMAGE_REQUEST = {
  architecture: "x86_64",
  image_type: "aws",
  upload_request: { type: "aws", options: { share_with_accounts: ["123456789012"] } },
};

function request(over: Partial<SubmitRequest> = {}): SubmitRequest {
  return {
    token: "9d6f3b1e-7c2a-4e5f-8a9b-0c1d2e3f4a5b",
    target: "fedora-41-x86_64",
    source: { owner: "acme", repo: "widget", cloneUrl: "https://github.com/acme/widget.git", sha: "a".repeat(40), pr: 7 },
    options: {
      image_request: IMAGE_REQUEST,
      image_distribution: "fedora-41",
      image_customizations: { packages: ["widget"] },
      copr_chroot: "fedora-41-x86_64",
    },
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

describe("image-builder compose body (Packit's vm_image_build)", () => {
  it("carries the token at the end of an image name of at most 100 characters", () => {
    expect(imageName(request())).toBe(`acme-widget-7-${request().token}`);
    const long = imageName(request({ source: { ...request().source, repo: "w".repeat(200) } }));
    expect(long).toHaveLength(100);
    expect(long.endsWith(`-${request().token}`)).toBe(true);
  });

  it("passes image_request and image_customizations, and adds the Copr build as a payload repository with rhsm", () => {
    const body = composeBody(
      request({ dependency: { externalId: "1234", artifacts: { repoUrl: "https://copr.example/results/packit/acme-widget-7" } } }),
    );
    expect(body).toEqual({
      image_name: `acme-widget-7-${request().token}`,
      distribution: "fedora-41",
      image_requests: [IMAGE_REQUEST],
      customizations: {
        packages: ["widget"],
        payload_repositories: [
          { rhsm: false, baseurl: "https://copr.example/results/packit/acme-widget-7/fedora-41-x86_64/", check_gpg: false },
        ],
      },
    });
  });

  it("gives every payload repository of the job rhsm (the API requires it), keeping one the job set", () => {
    const repos = [{ baseurl: "https://example.org/extra/" }, { baseurl: "https://cdn.example/rhel/", rhsm: true }];
    const body = composeBody(request({ options: { ...request().options, image_customizations: { payload_repositories: repos } } }));
    expect((body.customizations as { payload_repositories: unknown[] }).payload_repositories).toEqual([
      { rhsm: false, baseurl: "https://example.org/extra/" },
      { rhsm: true, baseurl: "https://cdn.example/rhel/" },
    ]);
  });

  it.each([
    ["fedora-41-x86_64", "fedora-41"],
    ["fedora-42-aarch64", "fedora-42"],
    ["centos-stream-9-x86_64", "centos-9"],
    ["centos-stream-10-x86_64", "centos-10"],
    ["epel-9-x86_64", "rhel-9"],
    ["epel-10-aarch64", "rhel-10"],
  ])("without image_distribution, the chroot %s is the distribution %s", (chroot, distribution) => {
    const { image_distribution: _none, ...options } = request().options;
    expect(composeBody(request({ target: chroot, options: { ...options, copr_chroot: chroot } })).distribution).toBe(distribution);
  });

  it.each(["fedora-rawhide-x86_64", "centos-stream-8-x86_64", "fedora-36-x86_64", "opensuse-tumbleweed-x86_64"])(
    "a chroot without an Image Builder distribution (%s) fails before any call, saying what to set",
    (chroot) => {
      const { image_distribution: _none, ...options } = request().options;
      expect(() => composeBody(request({ target: chroot, options: { ...options, copr_chroot: chroot } }))).toThrow(
        `image-builder: Image Builder has no distribution for the Copr chroot ${chroot}: set image_distribution in the vm_image_build job`,
      );
    },
  );

  it("image_distribution wins over the chroot; the architecture defaults to the chroot's", () => {
    const body = composeBody(
      request({
        target: "epel-9-aarch64",
        options: {
          ...request().options,
          copr_chroot: "epel-9-aarch64",
          image_distribution: "rhel-94",
          image_request: { image_type: "guest-image", upload_request: { type: "aws.s3", options: {} } },
        },
      }),
    );
    expect(body.distribution).toBe("rhel-94");
    expect(body.image_requests).toEqual([
      { architecture: "aarch64", image_type: "guest-image", upload_request: { type: "aws.s3", options: {} } },
    ]);
  });

  it("without an image_request it is a permanent error before any call", () => {
    expect(() => composeBody(request({ options: {} }))).toThrow(BackendError);
  });
});

/** A clock the tests move: the fake SSO's and the client's, apart when a test wants them apart. */
function manualClock(start = Date.now()) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe("image-builder client against the fake, with Red Hat SSO tokens", () => {
  const ssoClock = manualClock();
  const clientClock = manualClock();
  let sso: FakeRedHatSso;
  let fake: FakeImageBuilder;
  let client: BackendClient;
  const endpoint = (over: Partial<ImageBuilderEndpoint> = {}): ImageBuilderEndpoint => ({
    url: fake.apiUrl,
    tokenUrl: sso.tokenUrl,
    refreshToken: FAKE_OFFLINE_TOKEN,
    // Long enough for a loaded machine (120 submissions at once, the fake validating each answer);
    // the timeout test sets its own.
    timeoutMs: 10_000,
    ...over,
  });
  const tokenCalls = () => sso.calls.filter((c) => c.path === SSO_TOKEN_PATH);

  beforeAll(async () => {
    sso = await startFakeRedHatSso({ offlineTokens: [FAKE_OFFLINE_TOKEN, OTHER_OFFLINE_TOKEN, REVOKED_OFFLINE_TOKEN], now: ssoClock.now });
    fake = await startFakeImageBuilder({ phaseMs: 150, sso });
    client = createImageBuilderClient(endpoint(), clientClock);
  });
  afterAll(async () => {
    await Promise.all([fake.stop(), sso.stop()]);
    for (const m of messages) {
      for (const secret of [
        FAKE_OFFLINE_TOKEN,
        OTHER_OFFLINE_TOKEN,
        REVOKED_OFFLINE_TOKEN,
        FAKE_SERVICE_ACCOUNT.clientSecret,
        ...sso.issuedTokens(),
      ])
        expect(m).not.toContain(secret);
    }
  });
  beforeEach(() => fake.reset());
  afterEach(() => {
    // Every answer the fake gave matched the service's description.
    expect(fake.answerProblems).toEqual([]);
    sso.resetHttp();
  });

  it("starts a compose with an access token from the offline token, and sees it progress to success", async () => {
    const sub = await client.submit(request());
    expect(sub.externalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(fake.submissions).toBe(1);
    const post = fake.calls.find((c) => c.method === "POST")!;
    expect(post.path).toBe("/api/image-builder/v1/compose");
    const bearer = String(post.headers.authorization);
    expect(bearer).toMatch(/^Bearer .{16,}/);
    expect(bearer).not.toContain(FAKE_OFFLINE_TOKEN);
    expect(Object.fromEntries(new URLSearchParams(tokenCalls()[0]!.body))).toEqual({
      grant_type: "refresh_token",
      client_id: "rhsm-api",
      refresh_token: FAKE_OFFLINE_TOKEN,
    });

    // Each state is pinned before it is asked for: a slow answer cannot skip one.
    const seen = [];
    for (const status of ["pending", "building", "success"] as const) {
      fake.finish(sub.externalId, status);
      seen.push(await client.status(sub.externalId));
    }
    expect(seen.map((s) => [s.state, s.rawState])).toEqual([
      ["queued", "pending"],
      ["running", "building"],
      ["success", "success"],
    ]);
    expect(seen.at(-1)!.artifacts).toMatchObject({ upload: { status: "success", type: "aws", options: { region: "us-east-1" } } });
    expect(tokenCalls()).toHaveLength(1); // one token serves every call while it lives
  });

  it("renews the token shortly before its 900 s run out, not before", async () => {
    const fresh = createImageBuilderClient(endpoint(), clientClock);
    const sub = await fresh.submit(request());
    ssoClock.advance(800_000);
    clientClock.advance(800_000);
    await fresh.status(sub.externalId);
    expect(tokenCalls()).toHaveLength(1);
    ssoClock.advance(50_000);
    clientClock.advance(50_000); // 850 s: within the last minute, a new token
    await fresh.status(sub.externalId);
    expect(tokenCalls()).toHaveLength(2);
  });

  it("a token the service refuses early (clocks apart) is renewed once and the call goes through", async () => {
    const fresh = createImageBuilderClient(endpoint(), clientClock);
    const sub = await fresh.submit(request());
    ssoClock.advance(901_000); // expired for the service, not yet for the client
    expect((await fresh.status(sub.externalId)).state).toBe("queued");
    expect(fake.calls.filter((c) => c.method === "GET").length).toBe(2); // the 401, then the retry
    expect(tokenCalls()).toHaveLength(2);
    clientClock.advance(901_000);
  });

  it("callers that need a token at the same moment share one token request", async () => {
    const fresh = createImageBuilderClient(endpoint(), clientClock);
    const ids = (await Promise.all(Array.from({ length: 8 }, (_, i) => fresh.submit(request({ token: `t-${i}` }))))).map(
      (s) => s.externalId,
    );
    expect(new Set(ids).size).toBe(8);
    expect(tokenCalls()).toHaveLength(1);
  });

  it("a service account gets its tokens with client_credentials", async () => {
    const account = createImageBuilderClient(
      endpoint({ refreshToken: undefined, clientId: FAKE_SERVICE_ACCOUNT.clientId, clientSecret: FAKE_SERVICE_ACCOUNT.clientSecret }),
      clientClock,
    );
    await account.submit(request());
    expect(Object.fromEntries(new URLSearchParams(tokenCalls()[0]!.body))).toEqual({
      grant_type: "client_credentials",
      client_id: FAKE_SERVICE_ACCOUNT.clientId,
      client_secret: FAKE_SERVICE_ACCOUNT.clientSecret,
      scope: "api.console",
    });
    expect(fake.composes()[0]?.user).toBe(`service-account-${FAKE_SERVICE_ACCOUNT.clientId}`);
  });

  it("refused grants are permanent errors saying what to do, and no compose is asked for", async () => {
    const cases: Array<[Partial<ImageBuilderEndpoint>, RegExp]> = [
      [
        { refreshToken: "not-an-offline-token" },
        /Red Hat SSO refused the offline token \(invalid_grant: Invalid refresh token\): generate a new offline token at https:\/\/access\.redhat\.com\/management\/api/,
      ],
      [
        { refreshToken: undefined, clientId: FAKE_SERVICE_ACCOUNT.clientId, clientSecret: "wrong" },
        /Red Hat SSO refused the service account \(unauthorized_client: Invalid client or Invalid client credentials\): check the service account's client id and secret/,
      ],
      [{ refreshToken: undefined }, /no Red Hat SSO credentials configured: set backends\.imageBuilder\.refreshToken/],
    ];
    for (const [over, message] of cases) {
      const err = await failure(createImageBuilderClient(endpoint(over), clientClock).submit(request()));
      expect(err.transient).toBe(false);
      expect(err.message).toMatch(message);
    }
    sso.revoke(REVOKED_OFFLINE_TOKEN);
    expect(
      (await failure(createImageBuilderClient(endpoint({ refreshToken: REVOKED_OFFLINE_TOKEN }), clientClock).submit(request()))).message,
    ).toContain("invalid_grant");
    expect(fake.calls).toHaveLength(0);
  });

  it("a request the description refuses is answered 400 with Image Builder's error body", async () => {
    const bad = request({ options: { ...request().options, image_distribution: "fedora-rawhide" } });
    const err = await failure(client.submit(bad));
    expect(err).toMatchObject({ transient: false, status: 400 });
    expect(err.message).toContain(
      'start compose: HTTP 400 request body has an error: doesn\'t match schema #/components/schemas/ComposeRequest: Error at "/distribution"',
    );
    const reply = fake.calls.at(-1)!;
    expect(reply.path).toBe("/api/image-builder/v1/compose");
    expect(fake.submissions).toBe(0);
  });

  it("maps a failed compose to failure with the service's reason", async () => {
    fake.setOutcome((s) => s.architecture === "aarch64", "failure");
    const sub = await client.submit(
      request({ options: { ...request().options, image_request: { ...IMAGE_REQUEST, architecture: "aarch64" } } }),
    );
    expect((await untilFinal(client, sub.externalId)).at(-1)).toMatchObject({
      state: "failure",
      rawState: "failure",
      message: "osbuild job failed",
    });
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
    const token = String(fake.calls[0]!.headers.authorization);
    const del = await fetch(`${fake.apiUrl}/composes/${sub.externalId}`, { method: "DELETE", headers: { authorization: token } });
    expect(del.status).toBe(200);
    expect(await del.text()).toBe("");
    expect((await failure(client.status(sub.externalId))).status).toBe(404);
    expect(await client.findByToken(request())).toBeNull();
    expect(fake.composes()[0]).toMatchObject({ hidden: true });
  });

  it("an unknown compose is a permanent error; a malformed id is the description's 400", async () => {
    const err = await failure(client.status("11111111-2222-4333-8444-555555555555"));
    expect(err).toMatchObject({ transient: false, status: 404 });
    expect(err.message).toContain("unknown compose");
    expect(await failure(client.status("not-a-uuid"))).toMatchObject({ transient: false, status: 400 });
  });

  it("without a token, or with an expired one, the API answers 401", async () => {
    expect((await fetch(`${fake.apiUrl}/composes`)).status).toBe(401);
    await client.submit(request());
    const token = String(fake.calls.at(-1)!.headers.authorization);
    ssoClock.advance(901_000);
    const res = await fetch(`${fake.apiUrl}/composes`, { headers: { authorization: token } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ errors: [{ title: "401", detail: "Unauthorized: the access token has expired" }] });
    clientClock.advance(901_000);
  });

  it("an answer that is not Image Builder's JSON is a transient error", async () => {
    const sub = await client.submit(request());
    fake.faults.malformNext = 1;
    const err = await failure(client.status(sub.externalId));
    expect(err).toMatchObject({ transient: true });
    expect(err.message).toContain(`image-builder: get compose ${sub.externalId}: malformed answer`);
  });

  it("an injected 500 is a transient error", async () => {
    fake.faults.failNext = 1;
    expect(await failure(client.submit(request()))).toMatchObject({ transient: true, status: 500 });
  });

  it("an answer slower than timeoutMs is a transient error; the compose it started is found by token", async () => {
    const quick = createImageBuilderClient(endpoint({ timeoutMs: 50 }), clientClock);
    await quick.findByToken(request()); // gets its token first: the slow call is the compose
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
    await createImageBuilderClient(endpoint({ refreshToken: OTHER_OFFLINE_TOKEN }), clientClock).submit(req);
    fake.resetHttp();
    const found = await client.findByToken(req);
    expect(found?.externalId).toBe(sub.externalId);
    const lists = fake.calls.filter((c) => c.method === "GET" && c.path === "/api/image-builder/v1/composes");
    expect(lists.map((c) => c.query.get("offset"))).toEqual(["0", "100"]);
    expect(await client.findByToken(request({ token: "never-submitted" }))).toBeNull();
    expect(fake.submissions).toBe(122);
  });
});
