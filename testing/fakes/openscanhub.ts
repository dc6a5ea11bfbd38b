/**
 * A local OpenScanHub (kobo hub) speaking XML-RPC the way kobo's Django
 * dispatcher does: every exception is fault 1 "<Type>: <message>"; sessions are a
 * `sessionid` cookie; `@login_required` methods answer "PermissionDenied: Login
 * required." without a live one.
 *
 * Login: `GET /auth/krb5login/` with HTTP Negotiate verified with the service keytab
 * (`kerberos`), as mod_auth_gssapi does in front of kobo (401 + `WWW-Authenticate:
 * Negotiate` without a valid token); kobo's Krb5RemoteUserBackend makes the user
 * (the principal without its realm) and Django redirects (301) with the session
 * cookie. `auth.login_password` for the `users` with a password. Sessions expire
 * `sessionAgeMs` after their last renewal (Django's SESSION_COOKIE_AGE);
 * `auth.renew_session()` renews a live one and answers whether a new login is needed.
 *
 * Methods: `auth.login_password`, `auth.renew_session`, `auth.logout`, `upload.register_upload`,
 * `scan.create_user_diff_task`, `scan.mock_build`, `scan.get_task_info` (`{}` when
 * unknown), `client.task_info`, `scan.find_tasks`, `client.cancel_task` (nil; a
 * string for an unknown task; fault "Cannot cancel task N, state is X" for a
 * finished one, or nil with `cancelFinished: "nil"` as newer kobo does).
 * `Task.export()` carries no comment, as in kobo.
 *
 * SRPMs arrive as kobo's file uploads (openscanhub-uploads.ts). A task takes
 * `upload_id` (and a diff task `base_upload_id` or `base_brew_build`) of a finished
 * upload of the same user, and consumes it; there is no `srpm_url` option, as on
 * the real hub. The task is labelled with the uploaded file name.
 *
 * Tasks are CREATED then FREE at once (spawn → free_task), then OPEN and a final
 * state one `phaseMs` apart (default 50 ms), computed from the clock when read — no
 * timers. `phaseMs: Infinity` leaves every step to `start()` / `finish()`.
 */
import { randomBytes } from "node:crypto";
import { asStruct, type XmlRpcStruct, type XmlRpcValue } from "../../src/backends/xmlrpc/codec.js";
import { acceptNegotiate, type NegotiateAcceptor } from "../kerberos/acceptor.js";
import type { KerberosCredentials } from "./koji.js";
import { fault, OshUploads, page, UPLOAD_PATH, type FakeOshUpload, type OshUploadFaults } from "./openscanhub-uploads.js";
import { withBeforeCall, xmlRpcHandler, xmlRpcMethods, type XmlRpcMethods } from "./xmlrpc-server.js";
import { startHttpFake, type FakeReply, type FakeRequest, type FakeServer } from "./http-fake.js";
import {
  FINISHED,
  type FakeOshTask,
  NAMES,
  type OshFinalState,
  type OshOutcome,
  type OshTaskMatcher,
  S,
  matchesTask,
  taskExport,
} from "./openscanhub-task.js";

export interface OpenScanHubFakeOptions {
  /** Time per phase (FREE, OPEN), ms. Infinity = manual. Default 50. */
  phaseMs?: number;
  /** user → password. Default `{ packit: "packit-password", other: "other-password" }`. */
  users?: Record<string, string>;
  /** How `client.cancel_task` answers for a finished task: kobo's fault (default) or newer kobo's nil. */
  cancelFinished?: "fault" | "nil";
  /** Verify HTTP Negotiate at `/auth/krb5login/` with this service keytab (see testing/kerberos). */
  kerberos?: NegotiateAcceptor;
  /** A session lives this long after login or its last `auth.renew_session` (Django's SESSION_COOKIE_AGE). Default 2 weeks. */
  sessionAgeMs?: number;
  now?: () => number;
}

export interface OpenScanHubFake extends FakeServer {
  /** The XML-RPC handler URL (`<url>/xmlrpc/client/`), what a client is configured with. */
  readonly hubUrl: string;
  /** Successful task submissions since start or reset. */
  readonly submissions: number;
  /** Set by whoever starts the fake with Kerberos (`startKerberizedHubs`). */
  credentials?: KerberosCredentials;
  readonly uploadFaults: OshUploadFaults;
  /** Registered uploads, oldest first. */
  uploads(): FakeOshUpload[];
  task(id: number): FakeOshTask | undefined;
  /** Remove a task (as if it never existed). */
  forget(id: number): void;
  setOutcome(matcher: OshTaskMatcher, outcome: OshOutcome): void;
  start(id: number): void;
  finish(id: number, state: OshFinalState): void;
  /** Drop every session: the next login-required call answers "Login required." */
  expireSessions(): void;
  /** Users with a live session now. */
  openSessions(): string[];
  beforeCall: ((method: string, params: XmlRpcValue[]) => void) | undefined;
  /** XML-RPC methods called, in order, with each upload POST as "POST /xmlrpc/upload/" and each Kerberos login as "GET /auth/krb5login/". */
  calledMethods(): string[];
  reset(): void;
}

const KRB5LOGIN_PATH = "/auth/krb5login/";
function cookieValue(req: FakeRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  const text = Array.isArray(header) ? header.join("; ") : (header ?? "");
  for (const part of text.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return undefined;
}

/** Start a fake OpenScanHub on 127.0.0.1 (port 0). */
export async function startOpenScanHubFake(options: OpenScanHubFakeOptions = {}): Promise<OpenScanHubFake> {
  const phaseMs = options.phaseMs ?? 50;
  const clock = options.now ?? Date.now;
  const passwords = options.users ?? { packit: "packit-password", other: "other-password" };
  const cancelFinished = options.cancelFinished ?? "fault";

  const tasks = new Map<number, FakeOshTask>();
  const sessionAgeMs = options.sessionAgeMs ?? 14 * 24 * 3_600_000;
  const sessions = new Map<string, { user: string; expiresAt: number }>(); // sessionid → Django session
  const uploads = new OshUploads();
  let outcomes: { matcher: OshTaskMatcher; outcome: OshOutcome }[] = [];
  let submissions = 0;
  let nextTaskId = 500;

  function outcomeOf(t: FakeOshTask): number {
    for (let i = outcomes.length - 1; i >= 0; i--) {
      if (matchesTask(outcomes[i]!.matcher, t)) return S[outcomes[i]!.outcome];
    }
    return S.CLOSED;
  }

  function advance(t: FakeOshTask): FakeOshTask {
    if (t.manual || !Number.isFinite(phaseMs)) return t;
    const now = clock();
    if (t.state === S.FREE && now - t.createdAt >= phaseMs) {
      t.state = S.OPEN;
      t.startedAt = t.createdAt + phaseMs;
    }
    if (t.state === S.OPEN && t.startedAt !== undefined && now - t.startedAt >= phaseMs) {
      t.state = outcomeOf(t);
      t.finishedAt = t.startedAt + phaseMs;
      if (t.state !== S.CLOSED) t.result = `csmock exited with ${NAMES[t.state]}`;
    }
    return t;
  }

  function mustTask(id: number): FakeOshTask {
    const t = tasks.get(id);
    if (!t) throw new Error(`openscanhub fake: no task ${id}`);
    return t;
  }

  /** kobo `Task.export(flat=True)`: note, no `comment`. */
  /** A task brought up to the clock, as kobo exports it. */
  const exportTask = (t: FakeOshTask): XmlRpcStruct => taskExport(advance(t));

  /** osh `check_nvr` (the fake has no Koji to ask whether the build exists). */
  function brewBuild(nvr: string): string {
    if (!/^.+-[^-]+-[^-]+$/.test(nvr)) throw fault("RuntimeError", `${nvr} is not a correct N-V-R`);
    return nvr;
  }

  /** osh `ClientScanScheduler` / `ClientDiffScanScheduler`: everything is checked before anything is taken. */
  function createTask(user: string, method: FakeOshTask["method"], opts: XmlRpcStruct): number {
    // Like the hub, unknown options (e.g. `srpm_url`) are ignored: no upload, no source.
    if (opts.upload_id === undefined) throw fault("RuntimeError", "No source RPM or tarball or dist-git URL specified.");
    const target = uploads.take(user, opts.upload_id);
    let base: FakeOshUpload | string | undefined;
    if (method === "VersionDiffBuild") {
      if (typeof opts.base_brew_build === "string" && opts.base_brew_build) base = brewBuild(opts.base_brew_build);
      else if (opts.base_upload_id !== undefined) base = uploads.take(user, opts.base_upload_id);
      else throw fault("RuntimeError", "No source RPM or tarball specified.");
    }
    const mockConfig = opts.mock_config;
    if (typeof mockConfig !== "string" || !mockConfig) throw fault("RuntimeError", "Key 'mock_config' is missing");

    const id = nextTaskId++;
    const args: XmlRpcStruct = {
      srpm_name: target.name,
      mock_config: mockConfig,
      profile: opts.profile ?? "default",
      analyzers: opts.analyzers ?? "",
    };
    if (base !== undefined) {
      const baseArgs: XmlRpcStruct = { mock_config: opts.base_mock_config ?? mockConfig };
      if (typeof base === "string") baseArgs.build = { nvr: base };
      else Object.assign(baseArgs, { srpm_name: base.name, upload_id: base.id });
      args.base_task_args = [method, baseArgs, typeof base === "string" ? base : base.name];
    }
    target.taskId = id;
    if (typeof base === "object") base.taskId = id;
    // Created, then freed at once (ClientScanScheduler.spawn → free_task).
    tasks.set(id, {
      id,
      state: S.FREE,
      method,
      owner: user,
      label: target.name,
      comment: typeof opts.comment === "string" ? opts.comment : "",
      args,
      result: "",
      createdAt: clock(),
      manual: false,
    });
    submissions++;
    return id;
  }

  /** A new Django session for `user`: its cookie. */
  function startSession(user: string): string {
    const key = randomBytes(16).toString("hex");
    sessions.set(key, { user, expiresAt: clock() + sessionAgeMs });
    return `sessionid=${key}; HttpOnly; Path=/; SameSite=Lax`;
  }

  /** The live session of a request's cookie (an expired one is an anonymous user, as in Django). */
  function liveSession(req: FakeRequest): { key: string; user: string } | undefined {
    const key = cookieValue(req, "sessionid");
    const s = key === undefined ? undefined : sessions.get(key);
    if (!s || s.expiresAt <= clock()) return undefined;
    return { key: key!, user: s.user };
  }

  /** kobo `krb5login` behind mod_auth_gssapi. */
  async function krb5Login(req: FakeRequest): Promise<FakeReply> {
    if (req.method !== "GET") return page(405, "", { allow: "GET" });
    if (!options.kerberos) return page(404, "Not Found");
    const result = await acceptNegotiate(req.headers.authorization, options.kerberos);
    if (!result.ok) return page(401, "<h1>Unauthorized</h1>", { "www-authenticate": "Negotiate" });
    // Krb5RemoteUserBackend.clean_username: the principal without its realm; unknown users are created.
    const user = result.principal.split("@")[0]!;
    return {
      status: 301,
      body: "",
      headers: {
        location: "/",
        "set-cookie": startSession(user),
        "www-authenticate": result.wwwAuthenticate,
        "content-type": "text/html; charset=utf-8",
      },
    };
  }

  function methodsFor(req: FakeRequest, replyHeaders: Record<string, string>): XmlRpcMethods {
    const live = liveSession(req);
    const sid = live?.key;
    const user = live?.user;
    const loginRequired = (): string => {
      if (!user) throw fault("PermissionDenied", "Login required.");
      return user;
    };
    return {
      "auth.login_password"(username: unknown, password: unknown) {
        if (typeof username !== "string" || typeof password !== "string" || passwords[username] !== password) {
          throw fault("PermissionDenied", "Invalid username or password.");
        }
        replyHeaders["set-cookie"] = startSession(username);
        return replyHeaders["set-cookie"].slice("sessionid=".length).split(";")[0]!;
      },
      "auth.renew_session"() {
        // request.session.modified = True; return not request.user.is_authenticated
        if (!live) return true;
        sessions.get(live.key)!.expiresAt = clock() + sessionAgeMs;
        return false;
      },
      "auth.logout"() {
        if (sid !== undefined) sessions.delete(sid);
        return null;
      },
      "upload.register_upload"(name: unknown, checksum: unknown, size: unknown, targetDir: unknown) {
        const owner = loginRequired();
        if (typeof name !== "string" || typeof checksum !== "string" || typeof size !== "number" || typeof targetDir !== "string") {
          throw fault("TypeError", "register_upload(name, checksum, size, target_dir): wrong argument types");
        }
        return uploads.register(owner, name, checksum, size, targetDir);
      },
      "scan.create_user_diff_task"(opts: unknown) {
        return createTask(loginRequired(), "VersionDiffBuild", asStruct(opts) ?? {});
      },
      "scan.mock_build"(mockConfig: unknown, comment: unknown, opts: unknown) {
        const o = { ...asStruct(opts) };
        o.mock_config = mockConfig as XmlRpcValue;
        o.comment = comment as XmlRpcValue;
        return createTask(loginRequired(), "MockBuild", o);
      },
      "scan.get_task_info"(id: unknown) {
        const t = typeof id === "number" ? tasks.get(id) : undefined;
        return t ? exportTask(t) : {};
      },
      "client.task_info"(id: unknown) {
        const t = typeof id === "number" ? tasks.get(id) : undefined;
        if (!t) throw fault("DoesNotExist", "Task matching query does not exist.");
        return exportTask(t);
      },
      "scan.find_tasks"(query: unknown) {
        const q = asStruct(query);
        if (!q) return [];
        const { nvr, package_name: pkg, regex } = q;
        let pick: ((label: string) => boolean) | undefined;
        if (typeof nvr === "string") pick = (l) => l === nvr;
        if (typeof pkg === "string") pick = (l) => new RegExp(`${pkg}-\\d`).test(l);
        else if (typeof regex === "string") pick = (l) => new RegExp(regex).test(l);
        if (!pick) return [];
        // Ordered by finish time, latest first; unfinished at the tail.
        return [...tasks.values()]
          .map(advance)
          .filter((t) => pick(t.label))
          .sort((a, b) => (b.finishedAt ?? -Infinity) - (a.finishedAt ?? -Infinity) || a.id - b.id)
          .map((t) => t.id);
      },
      "client.cancel_task"(id: unknown) {
        const me = loginRequired();
        const t = typeof id === "number" ? tasks.get(id) : undefined;
        if (!t) return `Specified task ${String(id)} does not exist.`;
        if (t.owner !== me) throw fault("Exception", "You are not task owner or superuser.");
        advance(t);
        if (FINISHED.has(t.state)) {
          if (cancelFinished === "nil") return null;
          throw fault("Exception", `Cannot cancel task ${t.id}, state is ${NAMES[t.state]}`);
        }
        t.state = S.CANCELED;
        t.finishedAt = clock();
        t.manual = true;
        return null;
      },
    };
  }

  const xmlRpc = xmlRpcHandler(({ req, replyHeaders }) => {
    return withBeforeCall(methodsFor(req, replyHeaders), fake.beforeCall);
  });
  const server = await startHttpFake("openscanhub", (req) =>
    req.path === UPLOAD_PATH ? uploads.fileUpload(req) : req.path === KRB5LOGIN_PATH ? krb5Login(req) : xmlRpc(req),
  );

  const fake: OpenScanHubFake = {
    name: server.name,
    url: server.url,
    calls: server.calls,
    faults: server.faults,
    resetHttp() {
      server.resetHttp();
      uploads.resetFaults();
    },
    stop: () => server.stop(),
    hubUrl: `${server.url}/xmlrpc/client/`,
    get submissions() {
      return submissions;
    },
    uploadFaults: uploads.faults,
    uploads() {
      return uploads.list();
    },
    beforeCall: undefined,
    task(id) {
      const t = tasks.get(id);
      return t ? { ...advance(t), args: { ...t.args } } : undefined;
    },
    forget(id) {
      tasks.delete(id);
    },
    setOutcome(matcher, outcome) {
      outcomes.push({ matcher, outcome });
    },
    start(id) {
      const t = mustTask(id);
      t.state = S.OPEN;
      t.startedAt = clock();
    },
    finish(id, state) {
      const t = advance(mustTask(id));
      t.state = S[state];
      t.startedAt ??= clock();
      t.finishedAt = clock();
      t.manual = true;
      if (state !== "CLOSED" && state !== "CANCELED") t.result = `csmock exited with ${state}`;
    },
    expireSessions() {
      sessions.clear();
    },
    openSessions() {
      return [...sessions.values()].filter((s) => s.expiresAt > clock()).map((s) => s.user);
    },
    calledMethods() {
      const methods = xmlRpcMethods(server.calls);
      return server.calls.map((c, i) => (c.path === UPLOAD_PATH || c.path === KRB5LOGIN_PATH ? `${c.method} ${c.path}` : methods[i]!));
    },
    reset() {
      tasks.clear();
      sessions.clear();
      uploads.clear();
      outcomes = [];
      submissions = 0;
    },
  };
  return fake;
}
