/** The OpenScanHub client against the fake hub when things go wrong: downloads, uploads, sessions, cancels, faults and timeouts. */
import { readdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startOpenScanHubFake, type OpenScanHubFake } from "../../../testing/fakes/openscanhub.js";
import type { BackendClient } from "../../../src/backends/types.js";
import { decodeCall } from "../../../src/backends/xmlrpc/codec.js";
import {
  PASSWORD,
  OTHER_PASSWORD,
  UPLOAD_PATH,
  seq,
  srpmPath,
  request,
  srpmName,
  clientFor,
  callsOf,
  failure,
  srpmServer,
  stagingDir,
  useSrpmFiles,
} from "../../support/openscanhub.js";

useSrpmFiles();

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

    const noBase = request({ options: { base_srpm_url: `${srpmServer().url}/gone/r-0.9-1.fc41.src.rpm` } });
    const baseErr = await failure(osh.submit(noBase));
    expect(baseErr.message).toBe(
      `openscanhub: the base Copr build's SRPM is gone: ${srpmServer().url}/gone/r-0.9-1.fc41.src.rpm answered 404`,
    );
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
    expect(srpmServer().requests.filter((p) => p === srpmPath(seq))).toHaveLength(2); // downloaded afresh

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
      expect(readdirSync(stagingDir())).toEqual([]);
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
