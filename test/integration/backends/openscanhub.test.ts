import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startOpenScanHubFake, type OpenScanHubFake } from "../../../src/backends/fakes/openscanhub.js";
import { createOpenScanHubClient, mapState, oshHubRoot, oshTaskUrl } from "../../../src/backends/openscanhub/client.js";
import type { BackendClient, RemoteState, SubmitRequest } from "../../../src/backends/types.js";
import { decodeCall } from "../../../src/backends/xmlrpc/codec.js";
import { BackendError } from "../../../src/errors.js";

const PASSWORD = "s3cr3t-OSH-PASSWORD";
const OTHER_PASSWORD = "0ther-OSH-PASSWORD";
let seq = 0;

function request(over: Partial<SubmitRequest> = {}, base = true): SubmitRequest {
  seq++;
  const srpm = `https://download.copr.example/results/packit/o-r-7/srpm-builds/0${seq}/r-1.0-1.2024${seq}.fc41.src.rpm`;
  return {
    token: `tok-${seq}-${Math.random().toString(36).slice(2)}`,
    target: "fedora-rawhide-x86_64",
    source: { owner: "o", repo: "r", cloneUrl: "https://github.com/o/r.git", sha: `${seq}`.padStart(40, "b"), pr: 7 },
    options: base ? { base_srpm_url: "https://download.copr.example/results/packit/o-r-main/r-0.9-1.fc41.src.rpm" } : {},
    dependency: { externalId: "123", artifacts: { srpmUrl: srpm } },
    ...over,
  };
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 2000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
}

const errors: unknown[] = [];
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    errors.push(err);
    return err;
  }
  throw new Error("expected a rejection");
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

  it("derives the task page from the XML-RPC URL", () => {
    expect(oshHubRoot("https://openscanhub.fedoraproject.org/xmlrpc/kerbauth/")).toBe("https://openscanhub.fedoraproject.org");
    expect(oshTaskUrl("https://osh.example/osh/xmlrpc/client/", 5)).toBe("https://osh.example/osh/task/5/");
  });
});

describe("OpenScanHub client against the fake hub (clock)", () => {
  let fake: OpenScanHubFake;
  let osh: BackendClient;
  beforeAll(async () => {
    fake = await startOpenScanHubFake({ phaseMs: 120, users: { packit: PASSWORD } });
    osh = createOpenScanHubClient({ url: fake.hubUrl, token: `packit:${PASSWORD}`, timeoutMs: 2000 });
  });
  afterAll(() => fake.stop());

  it("submits a differential scan of the Copr SRPM and follows it to success", async () => {
    const req = request();
    const sub = await osh.submit(req);
    expect(sub).toEqual({ externalId: expect.stringMatching(/^\d+$/), url: `${fake.url}/task/${sub.externalId}/` });
    const call = fake.calls.map((c) => decodeCall(c.body)).find((c) => c.method === "scan.create_user_diff_task")!;
    expect(call.params).toEqual([
      {
        comment: `Submitted via packit-probot for o/r@${req.source.sha.slice(0, 12)} (PR #7) [packit-token:${req.token}]`,
        mock_config: "fedora-rawhide-x86_64",
        srpm_url: req.dependency!.artifacts!.srpmUrl,
        base_mock_config: "fedora-rawhide-x86_64",
        base_srpm_url: req.options.base_srpm_url,
      },
      {},
    ]);
    const task = fake.task(Number(sub.externalId))!;
    expect(task).toMatchObject({ method: "VersionDiffBuild", owner: "packit", label: `r-1.0-1.2024${seq}.fc41.src.rpm` });
    expect(task.comment).toContain(req.token);

    const seen = new Set<RemoteState>();
    const final = await until(
      () => osh.status(sub.externalId),
      (s) => {
        seen.add(s.state);
        return s.state === "success";
      },
    );
    expect(final).toMatchObject({ state: "success", rawState: "CLOSED" });
    expect(seen.has("running") || seen.has("queued")).toBe(true);
  });

  it("without a base it runs a full scan (scan.mock_build), like Packit; base_nvr is a Koji base", async () => {
    const full = await osh.submit(request({}, false));
    expect(fake.task(Number(full.externalId))!.method).toBe("MockBuild");
    const byNvr = await osh.submit(request({ options: { base_nvr: "r-0.9-1.fc41", osh_options: { config: "fedora-41-x86_64" } } }));
    const call = fake.calls.map((c) => decodeCall(c.body)).filter((c) => c.method === "scan.create_user_diff_task").pop()!;
    expect(call.params[0]).toMatchObject({ base_brew_build: "r-0.9-1.fc41", mock_config: "fedora-41-x86_64" });
    expect(fake.task(Number(byNvr.externalId))!.method).toBe("VersionDiffBuild");
  });

  it("maps FAILED to failure and INTERRUPTED/TIMEOUT to error", async () => {
    const failed = request();
    fake.setOutcome(String(failed.dependency!.artifacts!.srpmUrl).split("/").pop()!, "FAILED");
    const sub = await osh.submit(failed);
    const final = await until(() => osh.status(sub.externalId), (s) => s.state === "failure");
    expect(final).toMatchObject({ state: "failure", rawState: "FAILED", message: "csmock exited with FAILED" });

    const timeout = request();
    fake.setOutcome((t) => t.comment.includes(timeout.token), "TIMEOUT");
    const sub2 = await osh.submit(timeout);
    expect(await until(() => osh.status(sub2.externalId), (s) => s.state === "error")).toMatchObject({ state: "error", rawState: "TIMEOUT" });
  });

  it("refuses a request without an SRPM, permanently", async () => {
    const err = await rejection(osh.submit(request({ dependency: { externalId: "1", artifacts: {} } })));
    expect(err).toMatchObject({ transient: false });
  });
});

describe("OpenScanHub client against the fake hub (manual)", () => {
  let fake: OpenScanHubFake;
  let osh: BackendClient;
  beforeAll(async () => {
    fake = await startOpenScanHubFake({ phaseMs: Infinity, users: { packit: PASSWORD, other: OTHER_PASSWORD } });
    osh = createOpenScanHubClient({ url: fake.hubUrl, token: `packit:${PASSWORD}`, timeoutMs: 2000 });
  });
  afterEach(() => {
    fake.beforeCall = undefined;
    fake.resetHttp();
  });
  afterAll(async () => {
    await fake.stop();
    for (const err of errors) {
      expect(String((err as Error).message)).not.toContain(PASSWORD);
      expect(String((err as Error).message)).not.toContain(OTHER_PASSWORD);
    }
  });

  const methods = () => fake.calledMethods().filter((m) => m !== "auth.login_password");

  it("logs in with auth.login_password and sends the session cookie back", async () => {
    await osh.submit(request());
    const [login, submit] = fake.calls;
    expect(decodeCall(login!.body).method).toBe("auth.login_password");
    expect(submit!.headers.cookie).toMatch(/^sessionid=\w+$/);
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
      const client = createOpenScanHubClient({ url: nilFake.hubUrl, token: `packit:${PASSWORD}` });
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
    const err = await rejection(osh.status("999999"));
    expect(err).toBeInstanceOf(BackendError);
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
    const other = createOpenScanHubClient({ url: fake.hubUrl, token: `other:${OTHER_PASSWORD}` });
    const sub = await other.submit(request());
    expect(await osh.cancel(sub.externalId)).toEqual({
      kind: "not_supported",
      message: "OpenScanHub refused to cancel: Exception: You are not task owner or superuser.; its result will be ignored",
    });
  });

  it("a wrong password is a permanent error that names the user, never the password", async () => {
    const bad = createOpenScanHubClient({ url: fake.hubUrl, token: `packit:wrong-${PASSWORD}` });
    const err = await rejection(bad.submit(request()));
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toBe("openscanhub: login as packit failed: PermissionDenied: Invalid username or password.");
    expect(err).toMatchObject({ transient: false });
  });

  it("logs in again once when the session is gone ('Login required.')", async () => {
    await osh.submit(request());
    fake.expireSessions();
    fake.resetHttp();
    await osh.submit(request());
    expect(fake.calledMethods()).toEqual(["scan.create_user_diff_task", "auth.login_password", "scan.create_user_diff_task"]);
  });

  it("an injected 500 is a transient BackendError", async () => {
    fake.faults.failNext = 1;
    const err = await rejection(osh.status("1"));
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ transient: true, status: 500 });
  });

  it("an answer slower than timeoutMs is a transient BackendError", async () => {
    const quick = createOpenScanHubClient({ url: fake.hubUrl, token: `packit:${PASSWORD}`, timeoutMs: 80 });
    fake.faults.delayMs = 400;
    const err = await rejection(quick.submit(request()));
    fake.faults.delayMs = 0;
    expect(err).toMatchObject({ transient: true });
    expect((err as Error).message).toMatch(/timed out after 80 ms/);
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
    await createOpenScanHubClient({ url: fake.hubUrl, token: `other:${OTHER_PASSWORD}` }).submit(theirs);
    expect(await osh.findByToken(theirs)).toBeNull();
  });
});
