import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startOpenScanHubFake, type OpenScanHubFake } from "../../../testing/fakes/openscanhub.js";
import { createOpenScanHubClient, type OpenScanHubClientOptions } from "../../../src/backends/openscanhub/client.js";
import { mapState, oshTaskUrl } from "../../../src/backends/openscanhub/task.js";
import { oshHubRoot } from "../../../src/backends/openscanhub/session.js";
import { oshUploadUrl } from "../../../src/backends/openscanhub/upload.js";
import type { BackendClient, RemoteState, SubmitRequest } from "../../../src/backends/types.js";
import { xmlRpcExchange } from "../../../src/backends/xmlrpc/client.js";
import { decodeCall, type XmlRpcStruct } from "../../../src/backends/xmlrpc/codec.js";
import { failureRecorder, untilFinal } from "../../support/backends.js";

const PASSWORD = "s3cr3t-OSH-PASSWORD";
const OTHER_PASSWORD = "0ther-OSH-PASSWORD";
const UPLOAD_PATH = "/xmlrpc/upload/";
let seq = 0;

// ───────────── the SRPMs: a local file server standing in for Copr's download host ─────────────

/** An SRPM's bytes: its path, repeated; 1.5 MiB so that uploads take several chunks. */
function srpmBytes(path: string, size = 1.5 * 1024 ** 2): Buffer {
  return Buffer.alloc(size, path);
}
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/**
 * Paths pick the answer: `/gone/…` 404, `/broken/…` 500, `/big/…` 3 MiB with a
 * Content-Length, `/big-chunked/…` 3 MiB without one, `/stall/…` 1 KiB then
 * silence; anything else is `srpmBytes(path)`.
 */
async function startSrpmServer(): Promise<{ url: string; requests: string[]; stop(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "/";
    requests.push(path);
    if (path.startsWith("/gone/")) return void res.writeHead(404).end("Not Found");
    if (path.startsWith("/broken/")) return void res.writeHead(500).end("Internal Server Error");
    if (path.startsWith("/stall/")) return void res.writeHead(200, { "content-length": String(1024 ** 2) }).write(Buffer.alloc(1024, 1));
    if (path.startsWith("/big-chunked/")) {
      res.writeHead(200);
      for (let i = 0; i < 3; i++) res.write(srpmBytes(path, 1024 ** 2));
      return void res.end();
    }
    const body = srpmBytes(path, path.startsWith("/big/") ? 3 * 1024 ** 2 : undefined);
    res.writeHead(200, { "content-type": "application/x-rpm", "content-length": String(body.length) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let files: Awaited<ReturnType<typeof startSrpmServer>>;
/** Where the clients stage SRPMs; it must be empty after every test. */
let staging: string;
const { failure, messages } = failureRecorder();

beforeAll(async () => {
  files = await startSrpmServer();
  staging = mkdtempSync(join(tmpdir(), "osh-staging-"));
});
afterEach(() => {
  expect(readdirSync(staging)).toEqual([]);
});
afterAll(async () => {
  await files.stop();
  rmSync(staging, { recursive: true, force: true });
  for (const m of messages) {
    expect(m).not.toContain(PASSWORD);
    expect(m).not.toContain(OTHER_PASSWORD);
    expect(m).not.toMatch(/sessionid/i);
    expect(m).not.toMatch(/[0-9a-f]{64}/); // upload keys (and checksums)
  }
});

const srpmPath = (n: number, dir = "results") => `/${dir}/packit/o-r-7/srpm-builds/0${n}/r-1.0-1.2024${n}.fc41.src.rpm`;
const BASE_PATH = "/results/packit/o-r-main/srpm-builds/01/r-0.9-1.fc41.src.rpm";

/** A scan request; `srpmDir` picks the file server's answer for the target SRPM (see `startSrpmServer`). */
function request(over: Partial<SubmitRequest> = {}, base = true, srpmDir = "results"): SubmitRequest {
  seq++;
  return {
    token: `tok-${seq}-${Math.random().toString(36).slice(2)}`,
    target: "fedora-rawhide-x86_64",
    source: { owner: "o", repo: "r", cloneUrl: "https://github.com/o/r.git", sha: `${seq}`.padStart(40, "b"), pr: 7 },
    options: base ? { base_srpm_url: `${files.url}${BASE_PATH}` } : {},
    dependency: { externalId: "123", artifacts: { srpmUrl: `${files.url}${srpmPath(seq, srpmDir)}` } },
    ...over,
  };
}

const srpmName = (req: SubmitRequest) => String(req.dependency!.artifacts!.srpmUrl).split("/").pop()!;

function clientFor(
  fake: OpenScanHubFake,
  token = `packit:${PASSWORD}`,
  timeoutMs = 2000,
  options: OpenScanHubClientOptions = {},
): BackendClient {
  return createOpenScanHubClient({ url: fake.hubUrl, token, timeoutMs }, { tempDir: staging, ...options });
}

/** The XML-RPC calls of one method, decoded, in order. */
function callsOf(fake: OpenScanHubFake, method: string) {
  return fake.calls
    .filter((c) => c.path !== UPLOAD_PATH)
    .map((c) => decodeCall(c.body))
    .filter((c) => c.method === method);
}

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

describe("OpenScanHub client against the fake hub (clock)", () => {
  let fake: OpenScanHubFake;
  let osh: BackendClient;
  beforeAll(async () => {
    fake = await startOpenScanHubFake({ phaseMs: 120, users: { packit: PASSWORD } });
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

    const seen = await untilFinal(osh, sub.externalId);
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
    const final = (await untilFinal(osh, sub.externalId)).at(-1);
    expect(final).toMatchObject({ state: "failure", rawState: "FAILED", message: "csmock exited with FAILED" });

    const timeout = request();
    fake.setOutcome((t) => t.comment.includes(timeout.token), "TIMEOUT");
    const sub2 = await osh.submit(timeout);
    expect((await untilFinal(osh, sub2.externalId)).at(-1)).toMatchObject({ state: "error", rawState: "TIMEOUT" });
  });

  it("refuses a request without an SRPM, or whose URL names no SRPM, permanently and without a call", async () => {
    const none = await failure(osh.submit(request({ dependency: { externalId: "1", artifacts: {} } })));
    expect(none).toMatchObject({ transient: false });
    const url = `${files.url}/results/packit/o-r-7/srpm-builds/09/builder-live.log`;
    const notSrpm = await failure(osh.submit(request({ dependency: { externalId: "1", artifacts: { srpmUrl: url } } })));
    expect(notSrpm).toMatchObject({ transient: false, message: `openscanhub: not an SRPM: ${url}` });
    expect(fake.calls).toHaveLength(0);
  });
});

describe("OpenScanHub client against the fake hub (manual)", () => {
  let fake: OpenScanHubFake;
  let osh: BackendClient;
  beforeAll(async () => {
    fake = await startOpenScanHubFake({ phaseMs: Infinity, users: { packit: PASSWORD, other: OTHER_PASSWORD } });
    osh = clientFor(fake);
  });
  afterEach(() => {
    fake.beforeCall = undefined;
    fake.resetHttp();
  });
  afterAll(() => fake.stop());

  const methods = () => fake.calledMethods().filter((m) => m !== "auth.login_password");
  const registered = () => callsOf(fake, "upload.register_upload").length;

  it("logs in with auth.login_password and sends the session cookie back, on the upload too", async () => {
    await osh.submit(request());
    const [login, register, upload] = fake.calls;
    expect(decodeCall(login!.body).method).toBe("auth.login_password");
    expect(decodeCall(register!.body).method).toBe("upload.register_upload");
    expect(register!.headers.cookie).toMatch(/^sessionid=\w+$/);
    expect(upload!.path).toBe(UPLOAD_PATH);
    expect(upload!.headers.cookie).toBe(register!.headers.cookie);
  });

  it("a vanished SRPM (404) is a permanent error naming the URL; nothing reaches the hub", async () => {
    const req = request({}, true, "gone");
    const err = await failure(osh.submit(req));
    expect(err).toMatchObject({ transient: false, status: 404 });
    expect(err.message).toBe(`openscanhub: the Copr build's SRPM is gone: ${String(req.dependency!.artifacts!.srpmUrl)} answered 404`);

    const noBase = request({ options: { base_srpm_url: `${files.url}/gone/r-0.9-1.fc41.src.rpm` } });
    const baseErr = await failure(osh.submit(noBase));
    expect(baseErr.message).toBe(`openscanhub: the base Copr build's SRPM is gone: ${files.url}/gone/r-0.9-1.fc41.src.rpm answered 404`);
    expect(fake.calls).toHaveLength(0);
  });

  it("a download answering 500, or refused, is transient", async () => {
    const req = request({}, true, "broken");
    const err = await failure(osh.submit(req));
    expect(err).toMatchObject({ transient: true, status: 500 });
    expect(err.message).toBe(`openscanhub: GET ${String(req.dependency!.artifacts!.srpmUrl)}: HTTP 500`);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const srpmUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/r-1-1.src.rpm`;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await failure(osh.submit(request({ dependency: { externalId: "1", artifacts: { srpmUrl } } })));
    expect(refused).toMatchObject({ transient: true, message: `openscanhub: GET ${srpmUrl}: ECONNREFUSED` });
    expect(fake.calls).toHaveLength(0);
  });

  it("an upload answering 500 once is transient; the next submit uploads afresh and succeeds", async () => {
    fake.uploadFaults.failNext = 1;
    const req = request();
    const err = await failure(osh.submit(req));
    expect(err).toMatchObject({ transient: true, status: 500 });
    expect(err.message).toBe(`openscanhub: upload of ${srpmName(req)} to ${fake.url}${UPLOAD_PATH}: HTTP 500 Internal Server Error`);
    expect(fake.calledMethods().at(-1)).toBe(`POST ${UPLOAD_PATH}`); // no task was created

    const sub = await osh.submit(req);
    const mine = fake.uploads().filter((u) => u.name === srpmName(req));
    expect(mine.map((u) => [u.state, u.taskId])).toEqual([
      ["NEW", undefined], // the one the 500 left behind
      ["FINISHED", Number(sub.externalId)],
    ]);
  });

  it("the upload view's 403 ('Not allowed to upload the file.') is permanent", async () => {
    Object.assign(fake.uploadFaults, { failNext: 1, failStatus: 403, failBody: "Not allowed to upload the file." });
    const err = await failure(osh.submit(request()));
    expect(err).toMatchObject({ transient: false, status: 403 });
    expect(err.message).toMatch(/HTTP 403 Not allowed to upload the file\.$/);
  });

  it("'Checksum mismatch.' once: the whole submission runs again; twice: a permanent error", async () => {
    fake.uploadFaults.corruptNext = 1;
    const req = request({}, false);
    const sub = await osh.submit(req);
    const mine = fake.uploads().filter((u) => u.name === srpmName(req));
    expect(mine.map((u) => [u.state, u.taskId])).toEqual([
      ["FAILED", undefined],
      ["FINISHED", Number(sub.externalId)],
    ]);
    expect(files.requests.filter((p) => p === srpmPath(seq))).toHaveLength(2); // downloaded afresh

    fake.uploadFaults.corruptNext = 2;
    const err = await failure(osh.submit(request({}, false)));
    expect(err).toMatchObject({ transient: false, status: 500 });
    expect(err.message).toMatch(/HTTP 500 Checksum mismatch\.$/);
    expect(fake.uploadFaults.corruptNext).toBe(0);
  });

  it("an SRPM over the size cap is refused permanently, with or without Content-Length, and nothing stays staged", async () => {
    const capped = clientFor(fake, `packit:${PASSWORD}`, 2000, { maxSrpmBytes: 2 * 1024 ** 2 });
    for (const dir of ["big", "big-chunked"]) {
      const req = request({}, false, dir);
      const err = await failure(capped.submit(req));
      expect(err).toMatchObject({ transient: false });
      expect(err.message).toBe(
        `openscanhub: the Copr build's SRPM is larger than the 2097152-byte limit: ${String(req.dependency!.artifacts!.srpmUrl)}`,
      );
      expect(readdirSync(staging)).toEqual([]);
    }
    expect(fake.calls).toHaveLength(0);
    // Below the cap, the same client goes through.
    await capped.submit(request({}, false));
  });

  it("a download that stalls times out (transient); an abort stops it at once, with the abort's reason", async () => {
    const quick = clientFor(fake, `packit:${PASSWORD}`, 150);
    const req = request({}, false, "stall");
    const err = await failure(quick.submit(req));
    expect(err).toMatchObject({ transient: true });
    expect(err.message).toBe(`openscanhub: GET ${String(req.dependency!.artifacts!.srpmUrl)}: timed out (nothing moved for 150 ms)`);

    const abort = new AbortController();
    const reason = new Error("task aborted");
    const started = Date.now();
    setTimeout(() => abort.abort(reason), 50);
    await expect(osh.submit(request({}, false, "stall"), { signal: abort.signal })).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fake.calls).toHaveLength(0);
  });

  it("logs in again once when the session is gone before register_upload ('Login required.')", async () => {
    await osh.submit(request());
    fake.expireSessions();
    fake.resetHttp();
    await osh.submit(request());
    expect(fake.calledMethods()).toEqual([
      "upload.register_upload",
      "auth.login_password",
      "upload.register_upload",
      `POST ${UPLOAD_PATH}`,
      "upload.register_upload",
      `POST ${UPLOAD_PATH}`,
      "scan.create_user_diff_task",
    ]);
  });

  it("cancels a running task → cancelled", async () => {
    const sub = await osh.submit(request());
    fake.start(Number(sub.externalId));
    fake.resetHttp();
    expect(await osh.cancel(sub.externalId)).toEqual({ kind: "cancelled" });
    expect(methods()).toEqual(["scan.get_task_info", "client.cancel_task", "scan.get_task_info"]);
    expect((await osh.status(sub.externalId)).state).toBe("cancelled");
  });

  it("a task finished before the call is already_finished, without a cancel call", async () => {
    const sub = await osh.submit(request());
    fake.finish(Number(sub.externalId), "CLOSED");
    fake.resetHttp();
    expect(await osh.cancel(sub.externalId)).toEqual({ kind: "already_finished", state: "success" });
    expect(methods()).toEqual(["scan.get_task_info"]);
  });

  it("fault 'Cannot cancel task N, state is CLOSED' (finished meanwhile) → already_finished", async () => {
    const sub = await osh.submit(request());
    const id = Number(sub.externalId);
    fake.beforeCall = (m) => {
      if (m === "client.cancel_task") fake.finish(id, "CLOSED");
    };
    expect(await osh.cancel(sub.externalId)).toEqual({ kind: "already_finished", state: "success" });
  });

  it("newer kobo answers nil for a finished task: the follow-up read says already_finished", async () => {
    const nilFake = await startOpenScanHubFake({ phaseMs: Infinity, cancelFinished: "nil", users: { packit: PASSWORD } });
    try {
      const client = clientFor(nilFake);
      const sub = await client.submit(request());
      const id = Number(sub.externalId);
      nilFake.beforeCall = (m) => {
        if (m === "client.cancel_task") nilFake.finish(id, "FAILED");
      };
      expect(await client.cancel(sub.externalId)).toEqual({ kind: "already_finished", state: "failure" });
      expect(nilFake.calledMethods().slice(-3)).toEqual(["scan.get_task_info", "client.cancel_task", "scan.get_task_info"]);
    } finally {
      await nilFake.stop();
    }
  });

  it("cancel accepted but the read-back fails transiently → cancel_requested", async () => {
    const sub = await osh.submit(request());
    fake.beforeCall = (m) => {
      if (m === "client.cancel_task") fake.faults.failNext = 1;
    };
    expect(await osh.cancel(sub.externalId)).toEqual({ kind: "cancel_requested" });
    expect(fake.task(Number(sub.externalId))!.state).toBe(4);
  });

  it("unknown task: status throws a permanent error; cancel reports an error", async () => {
    const err = await failure(osh.status("999999"));
    expect(err).toMatchObject({ transient: false, status: 404 });
    expect(await osh.cancel("999999")).toEqual({ kind: "error", message: "Specified task 999999 does not exist." });
  });

  it("cancel_task answering the string 'Specified task N does not exist.' is an error", async () => {
    const sub = await osh.submit(request());
    const id = Number(sub.externalId);
    fake.beforeCall = (m) => {
      if (m === "client.cancel_task") fake.forget(id);
    };
    expect(await osh.cancel(sub.externalId)).toEqual({ kind: "error", message: `Specified task ${id} does not exist.` });
  });

  it("another user's task: the refusal fault → not_supported, result ignored", async () => {
    const sub = await clientFor(fake, `other:${OTHER_PASSWORD}`).submit(request());
    expect(await osh.cancel(sub.externalId)).toEqual({
      kind: "not_supported",
      message: "OpenScanHub refused to cancel: Exception: You are not task owner or superuser.; its result will be ignored",
    });
  });

  it("a wrong password is a permanent error that names the user, never the password; nothing is registered", async () => {
    const err = await failure(clientFor(fake, `packit:wrong-${PASSWORD}`).submit(request()));
    expect(err.message).toBe("openscanhub: OpenScanHub login failed: PermissionDenied: Invalid username or password. (as packit)");
    expect(err).toMatchObject({ transient: false });
    expect(registered()).toBe(0);
  });

  it("an injected 500 is a transient BackendError", async () => {
    fake.faults.failNext = 1;
    const err = await failure(osh.status("1"));
    expect(err).toMatchObject({ transient: true, status: 500 });
  });

  it("a status answer that is not XML-RPC (an HTML page, truncated XML) is a transient 'malformed answer' (issue 23 item 8)", async () => {
    for (const reply of [
      { body: "<html><body>Service unavailable</body></html>", contentType: "text/html" },
      { body: "<?xml version='1.0'?><methodResponse><params><param><value><struct>", contentType: "text/xml" },
    ]) {
      fake.faults.malformReply = reply;
      fake.faults.malformNext = 1;
      const err = await failure(osh.status("1"));
      expect(err).toMatchObject({ transient: true });
      expect(err.message).toMatch(/^openscanhub: scan\.get_task_info at \S+: malformed answer: not XML-RPC: /);
    }
  });

  it("an XML-RPC answer slower than timeoutMs is a transient BackendError", async () => {
    const quick = clientFor(fake, `packit:${PASSWORD}`, 80);
    fake.faults.delayMs = 400;
    const err = await failure(quick.status("1"));
    fake.faults.delayMs = 0;
    expect(err).toMatchObject({ transient: true });
    expect(err.message).toMatch(/timed out after 80 ms/);
  });

  it("findByToken finds an earlier submission of the same SRPM and chroot, or null", async () => {
    const req = request();
    const sub = await osh.submit(req);
    await osh.submit(request());
    expect(await osh.findByToken(req)).toEqual(sub);
    expect(await osh.findByToken(request())).toBeNull();
    expect(await osh.findByToken({ ...req, target: "fedora-41-x86_64" })).toBeNull();
    // kobo does not export the comment, so the token cannot be compared: the same
    // SRPM scanned by us in the same chroot counts as the earlier submission.
    expect(await osh.findByToken({ ...req, token: "another-token" })).toEqual(sub);
    // Someone else's scan of an SRPM is not ours.
    const theirs = request();
    await clientFor(fake, `other:${OTHER_PASSWORD}`).submit(theirs);
    expect(await osh.findByToken(theirs)).toBeNull();
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
