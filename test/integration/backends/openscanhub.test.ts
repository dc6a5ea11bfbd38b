/** The OpenScanHub client: its pure mapping, a scan against the fake hub, and the fake holding to kobo's upload protocol. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startOpenScanHubFake, type OpenScanHubFake } from "../../../testing/fakes/openscanhub.js";
import { mapState, oshTaskUrl } from "../../../src/backends/openscanhub/task.js";
import { oshHubRoot } from "../../../src/backends/openscanhub/session.js";
import { oshUploadUrl } from "../../../src/backends/openscanhub/upload.js";
import type { RemoteState, BackendClient } from "../../../src/backends/types.js";
import { xmlRpcExchange } from "../../../src/backends/xmlrpc/client.js";
import { type XmlRpcStruct } from "../../../src/backends/xmlrpc/codec.js";
import { untilFinal } from "../../support/backends.js";
import {
  PASSWORD,
  OTHER_PASSWORD,
  UPLOAD_PATH,
  seq,
  srpmBytes,
  sha256,
  srpmPath,
  BASE_PATH,
  request,
  srpmName,
  clientFor,
  callsOf,
  failure,
  srpmServer,
  useSrpmFiles,
} from "../../support/openscanhub.js";

useSrpmFiles();

describe("OpenScanHub mapState (pure)", () => {
  it.each<[number, RemoteState]>([
    [0, "queued"], // FREE
    [1, "queued"], // ASSIGNED
    [2, "running"], // OPEN
    [3, "success"], // CLOSED
    [4, "cancelled"], // CANCELED
    [5, "failure"], // FAILED
    [6, "error"], // INTERRUPTED
    [7, "error"], // TIMEOUT
    [8, "queued"], // CREATED
    [9, "error"],
  ])("%i → %s", (n, state) => expect(mapState(n)).toBe(state));

  it("derives the task page and the upload view from the XML-RPC URL", () => {
    expect(oshHubRoot("https://openscanhub.fedoraproject.org/xmlrpc/kerbauth/")).toBe("https://openscanhub.fedoraproject.org");
    expect(oshTaskUrl("https://osh.example/osh/xmlrpc/client/", 5)).toBe("https://osh.example/osh/task/5/");
    expect(oshUploadUrl("https://openscanhub.fedoraproject.org/xmlrpc/client/")).toBe(
      "https://openscanhub.fedoraproject.org/xmlrpc/upload/",
    );
  });
});

const PHASE_MS = 120;

describe("OpenScanHub client against the fake hub (clock)", () => {
  let fake: OpenScanHubFake;
  let osh: BackendClient;
  // The hub's tasks move a phase on when this clock does (tick), never while the test is busy elsewhere.
  let clock = Date.now();
  const tick = () => (clock += PHASE_MS);
  beforeAll(async () => {
    fake = await startOpenScanHubFake({ phaseMs: PHASE_MS, users: { packit: PASSWORD }, now: () => clock });
    osh = clientFor(fake);
  });
  afterEach(() => fake.resetHttp());
  afterAll(() => fake.stop());

  it("submits a differential scan: downloads both SRPMs, uploads them, and the task carries both uploads", async () => {
    const req = request();
    const sub = await osh.submit(req);
    expect(sub).toEqual({ externalId: expect.stringMatching(/^\d+$/), url: `${fake.url}/task/${sub.externalId}/` });
    const id = Number(sub.externalId);

    const target = srpmBytes(srpmPath(seq));
    const base = srpmBytes(BASE_PATH);
    const taken = fake.uploads().filter((u) => u.taskId === id);
    expect(taken).toEqual([
      {
        id: expect.any(Number),
        owner: "packit",
        name: srpmName(req),
        checksum: sha256(target),
        size: target.length,
        targetDir: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
        state: "FINISHED",
        taskId: id,
      },
      {
        id: expect.any(Number),
        owner: "packit",
        name: "r-0.9-1.fc41.src.rpm",
        checksum: sha256(base),
        size: base.length,
        targetDir: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
        state: "FINISHED",
        taskId: id,
      },
    ]);
    expect(taken[0]!.targetDir).not.toBe(taken[1]!.targetDir);
    expect(callsOf(fake, "scan.create_user_diff_task").map((c) => c.params)).toEqual([
      [
        {
          comment: `Submitted via packit-probot for o/r@${req.source.sha.slice(0, 12)} (PR #7) [packit-token:${req.token}]`,
          mock_config: "fedora-rawhide-x86_64",
          base_mock_config: "fedora-rawhide-x86_64",
          upload_id: taken[0]!.id,
          base_upload_id: taken[1]!.id,
        },
        {},
      ],
    ]);
    // Every upload POST carries the session, like the XML-RPC calls.
    const posts = fake.calls.filter((c) => c.path === UPLOAD_PATH);
    expect(posts).toHaveLength(2);
    for (const p of posts) expect(p.headers.cookie).toMatch(/^sessionid=\w+$/);

    const task = fake.task(id)!;
    expect(task).toMatchObject({ method: "VersionDiffBuild", owner: "packit", label: srpmName(req), args: { srpm_name: srpmName(req) } });
    expect(task.args.base_task_args).toEqual([
      "VersionDiffBuild",
      { mock_config: "fedora-rawhide-x86_64", srpm_name: "r-0.9-1.fc41.src.rpm", upload_id: taken[1]!.id },
      "r-0.9-1.fc41.src.rpm",
    ]);
    expect(task.comment).toContain(req.token);

    const seen = await untilFinal(osh, sub.externalId, tick);
    const final = seen.at(-1);
    expect(final).toMatchObject({ state: "success", rawState: "CLOSED" });
    expect(seen.some((s) => s.state === "running" || s.state === "queued")).toBe(true);
  });

  it("without a base it runs a full scan (scan.mock_build) of one upload; base_nvr is a Koji base", async () => {
    const fullReq = request({}, false);
    const full = await osh.submit(fullReq);
    const [upload] = fake.uploads().filter((u) => u.taskId === Number(full.externalId));
    expect(upload).toMatchObject({ name: srpmName(fullReq), state: "FINISHED" });
    const comment = `Submitted via packit-probot for o/r@${fullReq.source.sha.slice(0, 12)} (PR #7) [packit-token:${fullReq.token}]`;
    expect(callsOf(fake, "scan.mock_build").map((c) => c.params)).toEqual([
      ["fedora-rawhide-x86_64", comment, { comment, mock_config: "fedora-rawhide-x86_64", upload_id: upload!.id }],
    ]);
    expect(fake.task(Number(full.externalId))!.method).toBe("MockBuild");

    fake.resetHttp();
    const byNvr = await osh.submit(request({ options: { base_nvr: "r-0.9-1.fc41", osh_options: { config: "fedora-41-x86_64" } } }));
    const [call] = callsOf(fake, "scan.create_user_diff_task");
    expect(call!.params[0]).toMatchObject({
      base_brew_build: "r-0.9-1.fc41",
      mock_config: "fedora-41-x86_64",
      upload_id: expect.any(Number),
    });
    expect(call!.params[0]).not.toHaveProperty("base_upload_id");
    expect(fake.calls.filter((c) => c.path === UPLOAD_PATH)).toHaveLength(1);
    expect(fake.task(Number(byNvr.externalId))!.method).toBe("VersionDiffBuild");
  });

  it("maps FAILED to failure and INTERRUPTED/TIMEOUT to error", async () => {
    const failed = request();
    fake.setOutcome(srpmName(failed), "FAILED");
    const sub = await osh.submit(failed);
    const final = (await untilFinal(osh, sub.externalId, tick)).at(-1);
    expect(final).toMatchObject({ state: "failure", rawState: "FAILED", message: "csmock exited with FAILED" });

    const timeout = request();
    fake.setOutcome((t) => t.comment.includes(timeout.token), "TIMEOUT");
    const sub2 = await osh.submit(timeout);
    expect((await untilFinal(osh, sub2.externalId, tick)).at(-1)).toMatchObject({ state: "error", rawState: "TIMEOUT" });
  });

  it("refuses a request without an SRPM, or whose URL names no SRPM, permanently and without a call", async () => {
    const none = await failure(osh.submit(request({ dependency: { externalId: "1", artifacts: {} } })));
    expect(none).toMatchObject({ transient: false });
    const url = `${srpmServer().url}/results/packit/o-r-7/srpm-builds/09/builder-live.log`;
    const notSrpm = await failure(osh.submit(request({ dependency: { externalId: "1", artifacts: { srpmUrl: url } } })));
    expect(notSrpm).toMatchObject({ transient: false, message: `openscanhub: not an SRPM: ${url}` });
    expect(fake.calls).toHaveLength(0);
  });
});

describe("the fake hub holds to kobo's upload protocol", () => {
  let fake: OpenScanHubFake;
  beforeAll(async () => {
    fake = await startOpenScanHubFake({ phaseMs: Infinity, users: { packit: PASSWORD, other: OTHER_PASSWORD } });
  });
  afterAll(() => fake.stop());

  async function session(user: string, password: string): Promise<string> {
    const { headers } = await xmlRpcExchange("openscanhub", fake.hubUrl, "auth.login_password", [user, password]);
    return headers.getSetCookie()[0]!.split(";")[0]!;
  }
  const call = async (cookie: string, method: string, ...params: unknown[]) =>
    (await xmlRpcExchange("openscanhub", fake.hubUrl, method, params, { headers: { cookie } })).value;
  const faultOf = (p: Promise<unknown>) =>
    p.then(
      () => "no fault",
      (e: { faultString?: string }) => e.faultString,
    );
  function post(id: unknown, key: unknown, bytes: Buffer, method = "POST") {
    const form = new FormData();
    form.append("upload_id", String(id));
    form.append("upload_key", String(key));
    form.append("file", new Blob([bytes]), "x-1-1.src.rpm");
    return fetch(`${fake.url}${UPLOAD_PATH}`, method === "POST" ? { method, body: form } : { method });
  }

  it("answers the upload view like kobo: 405, 403, 500 'Checksum mismatch.', 200, 500 'File already exists.'", async () => {
    const cookie = await session("packit", PASSWORD);
    const bytes = Buffer.from("an srpm");
    const [id, key] = (await call(cookie, "upload.register_upload", "x-1-1.src.rpm", sha256(bytes), bytes.length, "d".repeat(32))) as [
      number,
      string,
    ];
    const answer = async (r: Promise<Response>) => {
      const res = await r;
      return [res.status, await res.text()];
    };
    expect(await answer(post(id, key, bytes, "GET"))).toEqual([405, ""]);
    expect(await answer(post(id, "wrong-key", bytes))).toEqual([403, "Not allowed to upload the file."]);
    expect(await answer(post(id, key, Buffer.from("another")))).toEqual([500, "Checksum mismatch."]);
    expect(await answer(post(id, key, bytes))).toEqual([200, "Upload finished."]);
    expect(await answer(post(id, key, bytes))).toEqual([500, "File already exists."]);
    expect(fake.uploads().find((u) => u.id === id)).toMatchObject({ state: "FAILED" });
    expect(await faultOf(call("", "upload.register_upload", "x-1-1.src.rpm", sha256(bytes), 7, "e".repeat(32)))).toBe(
      "PermissionDenied: Login required.",
    );
  });

  it("creates tasks only from finished uploads of the same user, each taken once; srpm_url is no option", async () => {
    const cookie = await session("packit", PASSWORD);
    const upload = async (who: string, bytes: Buffer, finish = true) => {
      const [id, key] = (await call(
        who,
        "upload.register_upload",
        "y-1-1.src.rpm",
        sha256(bytes),
        bytes.length,
        `${Math.random()}`.slice(2).padEnd(32, "0"),
      )) as [number, string];
      if (finish) expect((await post(id, key, bytes)).status).toBe(200);
      return id;
    };
    const base: XmlRpcStruct = { mock_config: "fedora-rawhide-x86_64", comment: "c" };
    const create = (opts: XmlRpcStruct) => faultOf(call(cookie, "scan.create_user_diff_task", { ...base, ...opts }, {}));

    expect(await create({ srpm_url: "https://example.org/y-1-1.src.rpm", base_brew_build: "y-0-1" })).toBe(
      "RuntimeError: No source RPM or tarball or dist-git URL specified.",
    );
    const fresh = await upload(cookie, Buffer.from("t1"), false);
    expect(await create({ upload_id: fresh, base_brew_build: "y-0-1" })).toMatch(/^FileNotFoundError: /);
    const theirs = await upload(await session("other", OTHER_PASSWORD), Buffer.from("t2"));
    expect(await create({ upload_id: theirs, base_brew_build: "y-0-1" })).toBe(
      "RuntimeError: Can't process a file uploaded by a different user",
    );
    const mine = await upload(cookie, Buffer.from("t3"));
    expect(await create({ upload_id: mine })).toBe("RuntimeError: No source RPM or tarball specified.");
    expect(await create({ upload_id: mine, base_srpm_url: "https://example.org/y-0-1.src.rpm" })).toBe(
      "RuntimeError: No source RPM or tarball specified.",
    );
    expect(await create({ upload_id: mine, base_brew_build: "y-0-1" })).toBe("no fault");
    expect(await create({ upload_id: mine, base_brew_build: "y-0-1" })).toBe(
      `ObjectDoesNotExist: Can't find uploaded file with id: ${mine}`,
    );
    expect(
      await faultOf(call(cookie, "scan.mock_build", "fedora-rawhide-x86_64", "c", { srpm_url: "https://example.org/y-1-1.src.rpm" })),
    ).toBe("RuntimeError: No source RPM or tarball or dist-git URL specified.");
  });
});
