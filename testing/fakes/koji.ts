/**
 * A local Koji hub speaking XML-RPC with koji's session rules and fault shapes
 * (kojihub/auth.py, kojihub/kojixmlrpc.py, kojihub/kojihub.py, koji/__init__.py):
 * - Login: `sslLogin` at `/kojihub/ssllogin`, where the "web server" authenticates
 *   first — HTTP Negotiate verified with the service keytab (`kerberos`), as
 *   mod_auth_gssapi does (401 + `WWW-Authenticate: Negotiate` without a valid
 *   token), or a verified TLS client certificate (`tls`, user = its CN); and
 *   `login(user, password)` for the `users` that have a password.
 * - Sessions travel in `Koji-Session-Id` / `-Key` / `-Callnum` headers; URL
 *   sessions are refused (`DisableURLSessions`). Lower callnum → SequenceError 1008,
 *   equal → RetryError 1009, bad session → AuthError 1002, expired → AuthExpired 1007.
 * - `build` and `cancelBuild` need a login (ActionNotAllowed 1004 "you must be logged
 *   in for this operation"); `getTaskInfo`, `getUser`, `listTasks` do not.
 * - `cancelTask` returns nil always; on an unknown task GenericError "No such task: N";
 *   on another user's task ActionNotAllowed "admin permission required (…)"; on a
 *   CLOSED/FAILED/CANCELED task it changes nothing.
 * - Keyword arguments arrive as a trailing `__starstar` struct; a wrong one is
 *   ParameterError 1019. Unknown methods are GenericError 1000 "Invalid method: x".
 * - `multiCall` / `system.multicall` run each call alone: `[value]` or
 *   `{faultCode, faultString}` per call.
 *
 * Tasks move FREE → OPEN → CLOSED|FAILED, one step per `phaseMs` (default 50 ms),
 * computed from the clock when read — no timers. `phaseMs: Infinity` leaves every
 * step to `start()` / `finish()`.
 */
import type { XmlRpcStruct, XmlRpcValue } from "../../src/backends/xmlrpc/codec.js";
import type { NegotiateAcceptor } from "../kerberos/acceptor.js";
import {
  authError,
  bindKojiArgs,
  genericError,
  HubSessions,
  runMultiCall,
  webServerLogin,
  type HubSession,
  type LoginContext,
} from "./koji-hub.js";
import { shown, xmlRpcHandler, type XmlRpcMethods } from "./xmlrpc-server.js";
import { startHttpFake, type FakeReply, type FakeRequest, type FakeServer, type FakeTls } from "./http-fake.js";
import { KojiTasks, type FakeKojiTask, type KojiFinalState, type KojiOutcome, type KojiTaskMatcher } from "./koji-task.js";
import { taskMethods, type KojiMethodTable } from "./koji-task-methods.js";

export interface KojiFakeOptions {
  /** Time per phase (FREE, OPEN), ms. Infinity = manual. Default 50. */
  phaseMs?: number;
  /**
   * Users with a password (`login`), for hubs that still allow it. Default
   * `{ packit: "packit-password", other: "other-password" }`; `{}` for a hub that,
   * like Fedora's, takes Kerberos only.
   */
  users?: Record<string, string>;
  /** Kerberos principals of users (`user_krb_principals`): principal → user name. */
  principals?: Record<string, string>;
  /** Verify HTTP Negotiate at `/kojihub/ssllogin` with this service keytab (see testing/kerberos). */
  kerberos?: NegotiateAcceptor;
  /** Serve HTTPS; with `tls.ca`, a client certificate signed by it logs in as its CN at `/kojihub/ssllogin`. */
  tls?: FakeTls;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

/** What a client needs to log in to a kerberized fake (`npm run fakes -- --json`). */
export interface KerberosCredentials {
  principal: string;
  keytab: string;
  krb5Config: string;
}

export interface KojiFake extends FakeServer {
  /** The hub's XML-RPC URL (`<url>/kojihub`), what a client is configured with. */
  readonly hubUrl: string;
  /** Successful `build` calls since start or reset. */
  readonly submissions: number;
  /** Set by whoever starts the fake with Kerberos (`startKerberizedHubs`). */
  credentials?: KerberosCredentials;
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
  /** Make `principal` the Kerberos principal of `user` (created if new). */
  mapPrincipal(principal: string, user: string): void;
  /** Sessions open now (logged in, not logged out), by user name. */
  openSessions(): string[];
  /** Called before each method runs (after the session check), multiCall members included: lets a test change state mid-sequence. */
  beforeCall: ((method: string, params: XmlRpcValue[]) => void) | undefined;
  /** Every method the hub ran since start or `resetHttp()`, in order; a multiCall is listed, then each of its members. */
  calledMethods(): string[];
  /** Forget tasks, outcomes, sessions, the submission count and the methods run. */
  reset(): void;
}

export async function startKojiFake(options: KojiFakeOptions = {}): Promise<KojiFake> {
  const phaseMs = options.phaseMs ?? 50;
  const clock = options.now ?? Date.now;
  const passwords = options.users ?? { packit: "packit-password", other: "other-password" };
  const principals = { ...options.principals };
  const userIds = new Map<string, number>();
  for (const name of [...Object.keys(passwords), ...Object.values(principals)]) if (!userIds.has(name)) userIds.set(name, userIds.size + 1);

  const tasks = new KojiTasks(phaseMs, clock);
  const sessions = new HubSessions();
  let ran: string[] = [];
  let submissions = 0;

  function userInfo(name: string): XmlRpcStruct {
    const krb = Object.entries(principals)
      .filter(([, n]) => n === name)
      .map(([p]) => p);
    return { id: userIds.get(name)!, name, status: 0, usertype: 0, krb_principals: krb };
  }

  function methodsFor(session: HubSession | undefined, login: LoginContext): XmlRpcMethods {
    const table: KojiMethodTable = {
      login: [
        ["user", "password", "opts"],
        (user, password) => {
          if (typeof password !== "string" || password === "") throw authError("invalid username or password");
          if (session) throw authError("Already logged in");
          if (typeof user !== "string" || passwords[user] !== password) throw authError("invalid username or password");
          return sessions.create(userIds.get(user)!, user);
        },
      ],
      sslLogin: [
        ["proxyuser", "proxyauthtype", "renew", "exclusive"],
        () => {
          if (session) throw authError("Already logged in");
          if (login.remoteUser) {
            const name = principals[login.remoteUser];
            if (!name) throw authError(`Unknown user: ${login.remoteUser}`);
            return sessions.create(userIds.get(name)!, name);
          }
          if (login.clientVerify !== "SUCCESS") throw authError(`could not verify client: ${login.clientVerify ?? "None"}`);
          if (!login.certCN) throw authError("unable to get user information (CN) from client certificate");
          if (!userIds.has(login.certCN)) throw authError(`Unknown user: ${login.certCN}`);
          return sessions.create(userIds.get(login.certCN)!, login.certCN);
        },
      ],
      logout: [
        ["session_id"],
        () => {
          if (!session) throw authError("Not logged in");
          sessions.close(session.id);
          return null;
        },
      ],
      getLoggedInUser: [[], () => (session ? { ...userInfo(session.userName), authtype: 0 } : null)],
      getUser: [
        ["userInfo", "strict", "krb_princs", "groups"],
        (info = null, strict = false) => {
          const name =
            typeof info === "string"
              ? (principals[info] ?? info)
              : typeof info === "number"
                ? [...userIds].find(([, id]) => id === info)?.[0]
                : session?.userName;
          if (name !== undefined && userIds.has(name)) return userInfo(name);
          if (strict) throw genericError(`No such user: ${shown(info)}`);
          return null;
        },
      ],
      ...taskMethods(tasks, clock, session, () => {
        submissions++;
      }),
    };
    const methods: XmlRpcMethods = Object.fromEntries(
      Object.entries(table).map(([name, [names, fn]]) => [name, (...raw: XmlRpcValue[]) => fn(...bindKojiArgs(name, names, raw))]),
    );
    return methods;
  }

  /** Run one method (hooked, recorded); `multiCall` runs its members the same way. */
  async function dispatch(methods: XmlRpcMethods, name: string, params: XmlRpcValue[]): Promise<unknown> {
    if (name === "multiCall" || name === "system.multicall") {
      ran.push(name);
      return runMultiCall(name, params, (method, p) => dispatch(methods, method, p));
    }
    const fn = Object.hasOwn(methods, name) ? methods[name] : undefined;
    if (!fn) throw genericError(`Invalid method: ${name}`);
    fake.beforeCall?.(name, params);
    ran.push(name);
    return fn(...params);
  }

  /** What the web server established for a request to `/kojihub/ssllogin`, before the hub reads it. */
  const logins = new WeakMap<FakeRequest, LoginContext>();
  const rpc = xmlRpcHandler(({ req, method, replyHeaders }) => {
    const negotiated = logins.get(req);
    if (negotiated?.wwwAuthenticate) replyHeaders["www-authenticate"] = negotiated.wwwAuthenticate;
    const methods = methodsFor(sessions.of(req, method), negotiated ?? {});
    return { dispatch: (name: string, params: XmlRpcValue[]) => dispatch(methods, name, params) };
  });

  async function route(req: FakeRequest): Promise<FakeReply> {
    if (req.path !== HUB_PATH && req.path !== SSLLOGIN_PATH) return { status: 404, body: "Not Found" };
    if (req.method !== "POST") return { status: 405, body: "Method Not Allowed" };
    if (req.path === SSLLOGIN_PATH) {
      const ctx = await webServerLogin(req, options.kerberos);
      if ("status" in ctx) return ctx;
      logins.set(req, ctx);
    }
    return rpc(req);
  }

  const server = await startHttpFake("koji", route, { tls: options.tls });

  const fake: KojiFake = {
    name: server.name,
    url: server.url,
    calls: server.calls,
    faults: server.faults,
    resetHttp() {
      server.resetHttp();
      ran = [];
    },
    stop: () => server.stop(),
    hubUrl: `${server.url}${HUB_PATH}`,
    get submissions() {
      return submissions;
    },
    beforeCall: undefined,
    task(id) {
      const t = tasks.byId.get(id);
      return t ? { ...tasks.advance(t), request: [...t.request] } : undefined;
    },
    setOutcome: (matcher, outcome) => tasks.setOutcome(matcher, outcome),
    start: (id) => tasks.start(id),
    finish: (id, state) => tasks.finish(id, state),
    expireSessions() {
      sessions.expireAll();
    },
    mapPrincipal(principal, user) {
      principals[principal] = user;
      if (!userIds.has(user)) userIds.set(user, userIds.size + 1);
    },
    openSessions() {
      return sessions.open();
    },
    calledMethods() {
      return [...ran];
    },
    reset() {
      tasks.clear();
      sessions.clear();
      ran = [];
      submissions = 0;
    },
  };
  return fake;
}

const HUB_PATH = "/kojihub";
const SSLLOGIN_PATH = "/kojihub/ssllogin";
