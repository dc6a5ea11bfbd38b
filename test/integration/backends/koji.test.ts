import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createKojiClient, kojiScmUrl, kojiTaskUrl, kojiWebUrl, mapState } from "../../../src/backends/koji/client.js";
import { startKojiFake, type KojiFake } from "../../../testing/fakes/koji.js";
import type { BackendClient, RemoteState, SubmitRequest } from "../../../src/backends/types.js";
import { decodeCall } from "../../../src/backends/xmlrpc/codec.js";
import { BackendError } from "../../../src/errors.js";
import { failureRecorder, untilFinal } from "../../support/backends.js";
import { waitFor } from "../../support/db.js";

const PASSWORD = "s3cr3t-Koji-PASSWORD";
const OTHER_PASSWORD = "0ther-Koji-PASSWORD";
let seq = 0;

function request(over: Partial<SubmitRequest> = {}): SubmitRequest {
  seq++;
  return {
    token: `tok-${seq}-${Math.random().toString(36).slice(2)}`,
    target: "fedora-rawhide-x86_64",
    source: { owner: "o", repo: "r", cloneUrl: "https://github.com/o/r.git", sha: `${seq}`.padStart(40, "a"), pr: 7 },
    options: { koji_target: "rawhide" },
    ...over,
  };
}

const { failure, messages } = failureRecorder();

describe("Koji mapState (pure)", () => {
  it.each<[number, RemoteState]>([
    [0, "queued"], // FREE
    [1, "running"], // OPEN
    [2, "success"], // CLOSED
    [3, "cancelled"], // CANCELED
    [4, "queued"], // ASSIGNED
    [5, "failure"], // FAILED
    [6, "error"],
    [-1, "error"],
  ])("%i → %s", (n, state) => expect(mapState(n)).toBe(state));

  it("derives web and SCM URLs", () => {
    expect(kojiWebUrl("https://koji.fedoraproject.org/kojihub")).toBe("https://koji.fedoraproject.org/koji");
    expect(kojiWebUrl("https://koji.example/kojihub/")).toBe("https://koji.example/koji");
    expect(kojiTaskUrl("https://koji.fedoraproject.org/kojihub", 42)).toBe("https://koji.fedoraproject.org/koji/taskinfo?taskID=42");
    expect(kojiScmUrl("https://github.com/o/r.git", "abc")).toBe("git+https://github.com/o/r.git#abc");
    expect(kojiScmUrl("git://pkgs.example/r", "abc")).toBe("git://pkgs.example/r#abc");
  });
});

const PHASE_MS = 120;

describe("Koji client against the fake hub (clock)", () => {
  let fake: KojiFake;
  let koji: BackendClient;
  // The hub's tasks move a phase on when this clock does (tick), never while the test is busy elsewhere.
  let clock = Date.now();
  const tick = () => (clock += PHASE_MS);
  beforeAll(async () => {
    fake = await startKojiFake({ phaseMs: PHASE_MS, users: { packit: PASSWORD }, now: () => clock });
    koji = createKojiClient({ url: fake.hubUrl, token: `packit:${PASSWORD}`, timeoutMs: 2000 });
  });
  afterAll(() => fake.stop());

  it("submits a scratch build from SCM and follows it to success", async () => {
    const req = request();
    const sub = await koji.submit(req);
    expect(sub.externalId).toMatch(/^\d+$/);
    expect(sub.url).toBe(`${fake.url}/koji/taskinfo?taskID=${sub.externalId}`);
    const task = fake.task(Number(sub.externalId))!;
    expect(task.request).toEqual([
      `git+https://github.com/o/r.git#${req.source.sha}`,
      "rawhide",
      { scratch: true, custom_user_metadata: { packit_token: req.token } },
    ]);

    const seen = await untilFinal(koji, sub.externalId, tick);
    const final = seen.at(-1);
    expect(final).toMatchObject({ state: "success", rawState: "CLOSED", url: sub.url });
    expect(seen.some((s) => s.state === "running" || s.state === "queued")).toBe(true);
  });

  it("uses the job target when no koji_target is set", async () => {
    const sub = await koji.submit(request({ options: {} }));
    expect(fake.task(Number(sub.externalId))!.request[1]).toBe("fedora-rawhide-x86_64");
  });

  it("maps a FAILED task to failure", async () => {
    const req = request();
    fake.setOutcome(req.source.sha, "FAILED");
    const sub = await koji.submit(req);
    const final = (await untilFinal(koji, sub.externalId, tick)).at(-1);
    expect(final).toMatchObject({ state: "failure", rawState: "FAILED" });
  });

  it("sends one session in Koji-Session-* headers with a callnum that grows by one per call, never in the URL", async () => {
    const before = fake.calls.length;
    const subs = await Promise.all([1, 2, 3, 4, 5].map(() => koji.submit(request())));
    expect(new Set(subs.map((s) => s.externalId)).size).toBe(5);
    const builds = fake.calls.slice(before).filter((c) => decodeCall(c.body).method === "build");
    expect(builds).toHaveLength(5);
    expect(new Set(builds.map((c) => c.headers["koji-session-id"])).size).toBe(1);
    for (const c of builds) {
      expect(c.headers["koji-session-key"]).toBeTruthy();
      expect([...c.query.keys()]).toEqual([]);
    }
    const nums = builds.map((c) => Number(c.headers["koji-session-callnum"]));
    expect(nums).toEqual(nums.map((_, i) => nums[0]! + i));
  });

  it("a URL session is refused as on a hub with DisableURLSessions: build answers ActionNotAllowed", async () => {
    const { xmlRpcCall } = await import("../../../src/backends/xmlrpc/client.js");
    const login = (await xmlRpcCall("koji", fake.hubUrl, "login", ["packit", PASSWORD])) as Record<string, unknown>;
    const url = `${fake.hubUrl}?session-id=${String(login["session-id"])}&session-key=${String(login["session-key"])}&callnum=0`;
    await expect(xmlRpcCall("koji", url, "build", ["git+https://x/y.git#1", "rawhide", {}])).rejects.toMatchObject({
      code: 1004,
      faultString: "you must be logged in for this operation",
    });
  });
});

describe("Koji client against the fake hub (manual)", () => {
  let fake: KojiFake;
  let koji: BackendClient;
  beforeAll(async () => {
    fake = await startKojiFake({ phaseMs: Infinity, users: { packit: PASSWORD, other: OTHER_PASSWORD } });
    koji = createKojiClient({ url: fake.hubUrl, token: `packit:${PASSWORD}`, timeoutMs: 2000 });
  });
  afterEach(() => {
    fake.beforeCall = undefined;
    fake.resetHttp();
  });
  afterAll(async () => {
    await fake.stop();
    for (const message of messages) {
      expect(message).not.toContain(PASSWORD);
      expect(message).not.toContain(OTHER_PASSWORD);
    }
  });

  /** What the hub ran (multiCall members included), without logins and the multiCall wrappers. */
  const methods = () => fake.calledMethods().filter((m) => m !== "login" && m !== "multiCall");

  it("cancels a running task: getTaskInfo, cancelTask, getTaskInfo → cancelled", async () => {
    const sub = await koji.submit(request());
    fake.start(Number(sub.externalId));
    fake.resetHttp();
    expect(await koji.cancel(sub.externalId)).toEqual({ kind: "cancelled" });
    expect(methods()).toEqual(["getTaskInfo", "cancelTask", "getTaskInfo"]);
    // Two requests: the read (no session), then cancel + read in one multiCall on the session.
    expect(fake.calls.map((c) => decodeCall(c.body).method)).toEqual(["multiCall", "multiCall"]);
    expect(fake.calls[0]!.headers["koji-session-id"]).toBeUndefined();
    expect(fake.calls[1]!.headers["koji-session-id"]).toBeDefined();
    expect(decodeCall(fake.calls[1]!.body).params[0]).toEqual([
      { methodName: "cancelTask", params: [Number(sub.externalId), true] },
      { methodName: "getTaskInfo", params: [Number(sub.externalId)] },
    ]);
    expect((await koji.status(sub.externalId)).state).toBe("cancelled");
  });

  it("cancels a queued (FREE) task", async () => {
    const sub = await koji.submit(request());
    expect(await koji.cancel(sub.externalId)).toEqual({ kind: "cancelled" });
  });

  it("a task finished before the call is already_finished, and is not touched", async () => {
    const sub = await koji.submit(request());
    fake.finish(Number(sub.externalId), "CLOSED");
    fake.resetHttp();
    expect(await koji.cancel(sub.externalId)).toEqual({ kind: "already_finished", state: "success" });
    expect(methods()).toEqual(["getTaskInfo"]);
  });

  it("a task cancelled by someone else before is already_finished (cancelled)", async () => {
    const sub = await koji.submit(request());
    fake.finish(Number(sub.externalId), "CANCELED");
    expect(await koji.cancel(sub.externalId)).toEqual({ kind: "already_finished", state: "cancelled" });
  });

  it("cancelTask answers nil on a task that ended meanwhile: the follow-up getTaskInfo says already_finished", async () => {
    const sub = await koji.submit(request());
    const id = Number(sub.externalId);
    fake.start(id);
    fake.beforeCall = (method) => {
      if (method === "cancelTask") fake.finish(id, "FAILED");
    };
    fake.resetHttp();
    expect(await koji.cancel(sub.externalId)).toEqual({ kind: "already_finished", state: "failure" });
    expect(methods()).toEqual(["getTaskInfo", "cancelTask", "getTaskInfo"]);
    expect(fake.task(id)!.state).toBe(5);
  });

  it("a cancel whose answer was lost is thrown for a retry, and the retry knows the CANCELED task is ours", async () => {
    const quick = createKojiClient({ url: fake.hubUrl, token: `packit:${PASSWORD}`, timeoutMs: 150 });
    const sub = await quick.submit(request());
    const id = Number(sub.externalId);
    // The hub runs the cancel after the client gave up waiting for its answer.
    fake.faults.delayMs = (req) => (req.body.includes("cancelTask") ? 400 : 0);
    await expect(quick.cancel(sub.externalId)).rejects.toMatchObject({ transient: true });
    await waitFor(() => fake.task(id)!.state === 3, 3000, "the delayed cancel to run");
    fake.faults.delayMs = 0;
    expect(await quick.cancel(sub.externalId)).toEqual({ kind: "cancelled" });
  });

  it("cancels arriving together share two requests, each with its own outcome", async () => {
    const other = createKojiClient({ url: fake.hubUrl, token: `packit:${PASSWORD}` });
    const subs = await Promise.all(Array.from({ length: 12 }, () => other.submit(request())));
    fake.finish(Number(subs[0]!.externalId), "CLOSED");
    fake.resetHttp();
    const outcomes = await Promise.all([...subs.map((s) => other.cancel(s.externalId)), other.cancel("424242")]);
    expect(outcomes[0]).toEqual({ kind: "already_finished", state: "success" });
    expect(outcomes.slice(1, 12)).toEqual(Array(11).fill({ kind: "cancelled" }));
    expect(outcomes[12]).toEqual({ kind: "error", message: "Koji task 424242 does not exist" });
    expect(fake.calls).toHaveLength(2);
    await (other as { close(): Promise<void> }).close();
  });

  it("unknown task: status throws a permanent error, cancel reports an error", async () => {
    const err = await failure(koji.status("999999"));
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ transient: false, status: 404 });
    expect(await koji.cancel("999999")).toEqual({ kind: "error", message: "Koji task 999999 does not exist" });
    expect((await koji.cancel("not-a-number")).kind).toBe("error");
  });

  it("GenericError 'No such task' from cancelTask is an error", async () => {
    const sub = await koji.submit(request());
    const id = Number(sub.externalId);
    fake.beforeCall = (method) => {
      if (method === "cancelTask") fake.reset();
    };
    const out = await koji.cancel(sub.externalId);
    expect(out.kind).toBe("error");
    expect(out).toMatchObject({ message: `No such task: ${id}` });
  });

  it("another user's task: ActionNotAllowed (1004) → error 'not allowed: …'", async () => {
    const other = createKojiClient({ url: fake.hubUrl, token: `other:${OTHER_PASSWORD}` });
    const sub = await other.submit(request());
    const out = await koji.cancel(sub.externalId);
    expect(out).toEqual({ kind: "error", message: "not allowed: admin permission required (logged in as packit)" });
    expect(fake.task(Number(sub.externalId))!.state).toBe(0);
  });

  it("a wrong password is a permanent error that names the user, never the password", async () => {
    const bad = createKojiClient({ url: fake.hubUrl, token: `packit:wrong-${PASSWORD}` });
    const err = await failure(bad.submit(request()));
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ transient: false });
    expect((err as Error).message).toBe("koji: Koji login failed: invalid username or password (as packit)");
    expect((err as Error).message).not.toContain("wrong-");
    expect(await bad.cancel(String(fake.submissions))).toMatchObject({ kind: "error" });
  });

  it("logs in again once when the session expired (AuthExpired)", async () => {
    await koji.submit(request());
    fake.expireSessions();
    fake.resetHttp();
    const sub = await koji.submit(request());
    expect(sub.externalId).toMatch(/^\d+$/);
    // The first build was refused (AuthExpired) before it ran.
    expect(fake.calls.map((c) => decodeCall(c.body).method)).toEqual(["build", "login", "build"]);
    expect(fake.calledMethods()).toEqual(["login", "build"]);
  });

  it.each([
    [
      "an HTML error page",
      { body: "<html><body>502 Bad Gateway</body></html>", contentType: "text/html" },
      /not XML-RPC: .*text\/html: "<html>/,
    ],
    [
      "truncated XML",
      { body: "<?xml version='1.0'?>\n<methodResponse><params><param><value><struct><member><name>id</name>", contentType: "text/xml" },
      /not XML-RPC: .*text\/xml/,
    ],
    ["an empty body", { body: "", contentType: "text/plain" }, /not XML-RPC: .*\(empty, text\/plain\)/],
  ])(
    "a status answer that is %s is a transient 'malformed answer', and the next poll reads the task (issue 23 item 8)",
    async (_what, reply, detail) => {
      const sub = await koji.submit(request());
      fake.faults.malformReply = reply;
      fake.faults.malformNext = 1;
      const err = await failure(koji.status(sub.externalId));
      expect(err).toBeInstanceOf(BackendError);
      expect(err).toMatchObject({ transient: true });
      expect((err as Error).message).toMatch(/^koji: getTaskInfo at http:\/\/127\.0\.0\.1:\d+\/kojihub: malformed answer: /);
      expect((err as Error).message).toMatch(detail);
      expect(await koji.status(sub.externalId)).toMatchObject({ state: "queued" });
    },
  );

  it("a task info of the wrong shape is a transient 'malformed answer'", async () => {
    const sub = await koji.submit(request());
    fake.faults.malformReply = {
      body: "<?xml version='1.0'?><methodResponse><params><param><value><struct><member><name>id</name><value><string>x</string></value></member></struct></value></param></params></methodResponse>",
      contentType: "text/xml",
    };
    fake.faults.malformNext = 1;
    const err = await failure(koji.status(sub.externalId));
    expect(err).toMatchObject({
      transient: true,
      message: "koji: getTaskInfo: malformed answer: a task info without a numeric id and state",
    });
  });

  it("an injected 500 is a transient BackendError", async () => {
    const sub = await koji.submit(request());
    fake.faults.failNext = 1;
    const err = await failure(koji.status(sub.externalId));
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ transient: true, status: 500 });
    fake.faults.failNext = 1;
    await expect(koji.cancel(sub.externalId)).rejects.toMatchObject({ transient: true });
  });

  it("an answer slower than timeoutMs is a transient BackendError", async () => {
    const quick = createKojiClient({ url: fake.hubUrl, token: `packit:${PASSWORD}`, timeoutMs: 80 });
    fake.faults.delayMs = 400;
    const err = await failure(quick.submit(request()));
    fake.faults.delayMs = 0;
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ transient: true });
    expect((err as Error).message).toMatch(/timed out after 80 ms/);
  });

  it("an aborted signal rejects with its reason", async () => {
    const ac = new AbortController();
    ac.abort(new Error("shutting down"));
    await expect(koji.status("1", { signal: ac.signal })).rejects.toThrow("shutting down");
  });

  it("findByToken finds an earlier submission by the token in custom_user_metadata, or null", async () => {
    const req = request();
    const sub = await koji.submit(req);
    await koji.submit(request());
    expect(await koji.findByToken(req)).toEqual(sub);
    expect(await koji.findByToken(request())).toBeNull();
    const list = fake.calls.filter((c) => decodeCall(c.body).method === "listTasks").pop()!;
    // Keyword arguments, as koji's own client sends them.
    expect(decodeCall(list.body).params[0]).toMatchObject({
      opts: { method: "build", owner: 1, decode: true },
      queryOpts: { order: "-id" },
      __starstar: true,
    });
  });

  it("a non-XML answer is a permanent BackendError", async () => {
    fake.faults.failNext = 1;
    fake.faults.failStatus = 404;
    const err = await failure(koji.status("1"));
    fake.faults.failStatus = 500;
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ transient: false, status: 404 });
  });
});
