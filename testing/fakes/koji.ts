/**
 * A local Koji hub speaking XML-RPC with koji's session rules and fault shapes
 * (kojihub/auth.py, kojihub/task.py, kojihub/kojihub.py):
 * - `login` → `{"session-id", "session-key"}`; session calls carry them and a
 *   `callnum` in the query; lower callnum → SequenceError 1008, equal → RetryError 1009,
 *   bad session → AuthError 1002, expired → AuthExpired 1007.
 * - `build` needs a session (AuthError "Not logged in"); `getTaskInfo`, `getUser`,
 *   `listTasks` do not.
 * - `cancelTask` returns nil always; on an unknown task GenericError "No such task: N";
 *   on another user's task ActionNotAllowed "admin permission required (…)";
 *   on a CLOSED/FAILED/CANCELED task it changes nothing.
 *
 * Tasks move FREE → OPEN → CLOSED|FAILED, one step per `phaseMs` (default 50 ms),
 * computed from the clock when read — no timers. `phaseMs: Infinity` leaves every
 * step to `start()` / `finish()`.
 */
import { asStruct, encodeCall, XmlRpcFault, type XmlRpcStruct, type XmlRpcValue } from "../../src/backends/xmlrpc/codec.js";
import { withBeforeCall, xmlRpcHandler, xmlRpcMethods, type XmlRpcMethods } from "./xmlrpc-server.js";
import { startHttpFake, type FakeRequest, type FakeServer } from "./http-fake.js";

const FREE = 0;
const OPEN = 1;
const CLOSED = 2;
const CANCELED = 3;
const FAILED = 5;

export type KojiOutcome = "CLOSED" | "FAILED";
export type KojiFinalState = KojiOutcome | "CANCELED";

/** A task as the fake keeps it. */
export interface FakeKojiTask {
  id: number;
  state: number;
  method: "build";
  owner: number;
  ownerName: string;
  /** The build call's parameters: `[src, target, opts]`. */
  request: XmlRpcValue[];
  createdAt: number;
  startedAt?: number;
  completedAt?: number;
  /** Set by start()/finish(): the clock no longer moves this task. */
  manual: boolean;
}

/** Selects tasks: a string matches the SCM URL (substring) or the target; a RegExp "src target". */
export type KojiTaskMatcher = string | RegExp | ((task: FakeKojiTask) => boolean);

export interface KojiFakeOptions {
  /** Time per phase (FREE, OPEN), ms. Infinity = manual. Default 50. */
  phaseMs?: number;
  /** user → password. Default `{ packit: "packit-password", other: "other-password" }`. */
  users?: Record<string, string>;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

export interface KojiFake extends FakeServer {
  /** The hub's XML-RPC URL (`<url>/kojihub`), what a client is configured with. */
  readonly hubUrl: string;
  /** Successful `build` calls since start or reset. */
  readonly submissions: number;
  /** A task as it is now (advanced on the clock), or undefined. */
  task(id: number): FakeKojiTask | undefined;
  /** Tasks matching `matcher` end in `outcome` (later calls take precedence). */
  setOutcome(matcher: KojiTaskMatcher, outcome: KojiOutcome): void;
  /** FREE → OPEN now (manual control). */
  start(id: number): void;
  /** End a task now in the given state. */
  finish(id: number, state: KojiFinalState): void;
  /** Every open session answers AuthExpired (1007) from now on. */
  expireSessions(): void;
  /** Called before each method runs (after the session check): lets a test change state mid-sequence. */
  beforeCall: ((method: string, params: XmlRpcValue[]) => void) | undefined;
  /** The XML-RPC method names received, in order (from the recorded calls). */
  calledMethods(): string[];
  /** Forget tasks, outcomes, sessions and the submission count. */
  reset(): void;
}

interface Session {
  id: number;
  key: string;
  userId: number;
  userName: string;
  lastCall: number | undefined;
  expired: boolean;
}

const genericError = (msg: string) => new XmlRpcFault(1000, msg);
const authError = (msg: string) => new XmlRpcFault(1002, msg);

function isoTime(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString().replace("T", " ").replace("Z", "000+00:00");
}

/** Start a fake Koji hub on 127.0.0.1 (port 0). */
export async function startKojiFake(options: KojiFakeOptions = {}): Promise<KojiFake> {
  const phaseMs = options.phaseMs ?? 50;
  const clock = options.now ?? Date.now;
  const passwords = options.users ?? { packit: "packit-password", other: "other-password" };
  const userIds = new Map(Object.keys(passwords).map((name, i) => [name, i + 1]));

  const tasks = new Map<number, FakeKojiTask>();
  const sessions = new Map<number, Session>();
  let outcomes: { matcher: KojiTaskMatcher; outcome: KojiOutcome }[] = [];
  let submissions = 0;
  let nextTaskId = 1000;
  let nextSessionId = 1;

  function matches(m: KojiTaskMatcher, t: FakeKojiTask): boolean {
    const [src, target] = t.request as [string, string];
    if (typeof m === "function") return m(t);
    if (m instanceof RegExp) return m.test(`${src} ${target}`);
    return src.includes(m) || target === m;
  }

  function outcomeOf(t: FakeKojiTask): number {
    for (let i = outcomes.length - 1; i >= 0; i--) {
      if (matches(outcomes[i]!.matcher, t)) return outcomes[i]!.outcome === "FAILED" ? FAILED : CLOSED;
    }
    return CLOSED;
  }

  /** Bring a task up to the clock. */
  function advance(t: FakeKojiTask): FakeKojiTask {
    if (t.manual || !Number.isFinite(phaseMs)) return t;
    const now = clock();
    if (t.state === FREE && now - t.createdAt >= phaseMs) {
      t.state = OPEN;
      t.startedAt = t.createdAt + phaseMs;
    }
    if (t.state === OPEN && t.startedAt !== undefined && now - t.startedAt >= phaseMs) {
      t.state = outcomeOf(t);
      t.completedAt = t.startedAt + phaseMs;
    }
    return t;
  }

  function mustTask(id: number): FakeKojiTask {
    const t = tasks.get(id);
    if (!t) throw new Error(`koji fake: no task ${id}`);
    return t;
  }

  function exportTask(t: FakeKojiTask): XmlRpcStruct {
    advance(t);
    const ts = (ms: number | undefined) => (ms === undefined ? null : ms / 1000);
    return {
      id: t.id,
      state: t.state,
      create_time: isoTime(t.createdAt),
      create_ts: ts(t.createdAt),
      start_time: isoTime(t.startedAt),
      start_ts: ts(t.startedAt),
      completion_time: isoTime(t.completedAt),
      completion_ts: ts(t.completedAt),
      channel_id: 1,
      host_id: t.state === FREE ? null : 1,
      parent: null,
      label: null,
      waiting: null,
      awaited: null,
      owner: t.owner,
      method: t.method,
      arch: "noarch",
      priority: 20,
      weight: 0.2,
    };
  }

  function userInfo(name: string): XmlRpcStruct {
    return { id: userIds.get(name)!, name, status: 0, usertype: 0, krb_principals: [] };
  }

  /** kojihub/auth.py: a request that carries session parameters is checked, whatever the method. */
  function sessionOf(req: FakeRequest, method: string): Session | undefined {
    const sid = req.query.get("session-id");
    if (sid === null) return undefined;
    const s = sessions.get(Number(sid));
    if (!s || s.key !== req.query.get("session-key")) throw authError("Invalid session or bad credentials");
    if (s.expired) throw new XmlRpcFault(1007, `session "${s.id}" has expired`);
    const raw = req.query.get("callnum");
    if (raw !== null) {
      const callnum = Number(raw);
      if (!Number.isInteger(callnum)) throw authError(`Invalid callnum: '${raw}'`);
      if (s.lastCall !== undefined && s.lastCall > callnum) {
        throw new XmlRpcFault(1008, `${s.lastCall} > ${callnum} (session ${s.id})`);
      }
      if (s.lastCall === callnum) {
        throw new XmlRpcFault(1009, `unable to retry call ${callnum} (method ${method}) for session ${s.id}`);
      }
      s.lastCall = callnum;
    }
    return s;
  }

  function methodsFor(session: Session | undefined): XmlRpcMethods {
    const assertLogin = (): Session => {
      if (!session) throw authError("Not logged in");
      return session;
    };
    return {
      login(user: unknown, password: unknown) {
        if (session) throw genericError("Already logged in");
        if (typeof user !== "string" || typeof password !== "string" || password === "" || passwords[user] !== password) {
          throw authError("invalid username or password");
        }
        const s: Session = {
          id: nextSessionId++,
          key: `${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`,
          userId: userIds.get(user)!,
          userName: user,
          lastCall: undefined,
          expired: false,
        };
        sessions.set(s.id, s);
        return { "session-id": s.id, "session-key": s.key };
      },
      logout() {
        if (session) sessions.delete(session.id);
        return null;
      },
      getLoggedInUser() {
        return session ? { ...userInfo(session.userName), authtype: 0 } : null;
      },
      getUser(info: unknown = null, strict: unknown = false) {
        const name =
          typeof info === "string" ? info : typeof info === "number" ? [...userIds].find(([, id]) => id === info)?.[0] : session?.userName;
        if (name !== undefined && userIds.has(name)) return userInfo(name);
        if (strict) throw genericError(`No such user: ${String(info)}`);
        return null;
      },
      build(src: unknown, target: unknown, opts: unknown = null) {
        const s = assertLogin();
        if (typeof src !== "string" || src === "") throw genericError("Invalid source");
        if (typeof target !== "string" || target === "") throw genericError("Invalid build target");
        const id = nextTaskId++;
        tasks.set(id, {
          id,
          state: FREE,
          method: "build",
          owner: s.userId,
          ownerName: s.userName,
          request: [src, target, asStruct(opts) ?? {}],
          createdAt: clock(),
          manual: false,
        });
        submissions++;
        return id;
      },
      getTaskInfo(taskId: unknown, request: unknown = false, strict: unknown = false) {
        const one = (id: unknown) => {
          const t = typeof id === "number" ? tasks.get(id) : undefined;
          if (!t) {
            if (strict) throw genericError("query returned no rows");
            return null;
          }
          const info = exportTask(t);
          if (request) info.request = t.request;
          return info;
        };
        return Array.isArray(taskId) ? taskId.map(one) : one(taskId);
      },
      listTasks(opts: unknown = null, queryOpts: unknown = null) {
        const o = asStruct(opts) ?? {};
        const q = asStruct(queryOpts) ?? {};
        const inList = (v: XmlRpcValue | undefined, x: number) => (Array.isArray(v) ? v.includes(x) : v === x);
        const seconds = (v: XmlRpcValue | undefined) => (typeof v === "string" ? Date.parse(v) / 1000 : Number(v));
        let list = [...tasks.values()].map(advance).filter((t) => {
          if (o.method !== undefined && t.method !== o.method) return false;
          if (o.owner !== undefined && !inList(o.owner, t.owner)) return false;
          if (o.state !== undefined && !inList(o.state, t.state)) return false;
          if (o.not_state !== undefined && inList(o.not_state, t.state)) return false;
          if (o.createdAfter != null && !(t.createdAt / 1000 > seconds(o.createdAfter))) return false;
          if (o.createdBefore != null && !(t.createdAt / 1000 < seconds(o.createdBefore))) return false;
          return true;
        });
        list.sort((a, b) => (q.order === "-id" ? b.id - a.id : a.id - b.id));
        if (typeof q.offset === "number") list = list.slice(q.offset);
        if (typeof q.limit === "number") list = list.slice(0, q.limit);
        return list.map((t) => ({
          ...exportTask(t),
          // Undecoded, koji returns the request as the XML-RPC text it stored.
          request: o.decode ? t.request : encodeCall(t.method, t.request),
          result: null,
          owner_name: t.ownerName,
          owner_type: 0,
        }));
      },
      cancelTask(taskId: unknown) {
        // RootExports.cancelTask: owner, else host, else admin; then Task.cancel().
        if (!session) throw new XmlRpcFault(1004, "admin permission required (user not logged in)");
        const t = typeof taskId === "number" ? tasks.get(taskId) : undefined;
        if (!t) throw genericError(`No such task: ${String(taskId)}`);
        if (t.owner !== session.userId) {
          throw new XmlRpcFault(1004, `admin permission required (logged in as ${session.userName})`);
        }
        advance(t);
        if (t.state !== CLOSED && t.state !== FAILED && t.state !== CANCELED) {
          t.state = CANCELED;
          t.completedAt = clock();
          t.manual = true;
        }
        return null;
      },
      // Scratch builds create no build records, so there is never a build to find or cancel.
      getBuild(buildInfo: unknown, strict: unknown = false) {
        if (strict) throw genericError(`No such build: ${JSON.stringify(buildInfo)}`);
        return null;
      },
      cancelBuild(buildId: unknown, strict: unknown = false) {
        if (strict) throw genericError(`No such build: ${String(buildId)}`);
        return false;
      },
    };
  }

  let fake: KojiFake;
  const server = await startHttpFake(
    "koji",
    xmlRpcHandler(({ req, method }) => {
      const session = sessionOf(req, method);
      return withBeforeCall(methodsFor(session), fake.beforeCall);
    }),
  );

  fake = {
    name: server.name,
    url: server.url,
    calls: server.calls,
    faults: server.faults,
    resetHttp: server.resetHttp,
    stop: server.stop,
    hubUrl: `${server.url}/kojihub`,
    get submissions() {
      return submissions;
    },
    beforeCall: undefined,
    task(id) {
      const t = tasks.get(id);
      return t ? { ...advance(t), request: [...t.request] } : undefined;
    },
    setOutcome(matcher, outcome) {
      outcomes.push({ matcher, outcome });
    },
    start(id) {
      const t = mustTask(id);
      t.state = OPEN;
      t.startedAt = clock();
    },
    finish(id, state) {
      const t = advance(mustTask(id));
      t.state = state === "CLOSED" ? CLOSED : state === "FAILED" ? FAILED : CANCELED;
      t.startedAt ??= clock();
      t.completedAt = clock();
      t.manual = true;
    },
    expireSessions() {
      for (const s of sessions.values()) s.expired = true;
    },
    calledMethods() {
      return xmlRpcMethods(server.calls);
    },
    reset() {
      tasks.clear();
      sessions.clear();
      outcomes = [];
      submissions = 0;
    },
  };
  return fake;
}
