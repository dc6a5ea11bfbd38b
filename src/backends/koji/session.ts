/**
 * A Koji hub session as koji's `ClientSession` keeps one (koji/__init__.py):
 *
 * - Login: GSSAPI (`gssapi_login`) and TLS certificates (`ssl_login`) call `sslLogin`
 *   at `<hub>/ssllogin`, where the web server authenticates the request (HTTP
 *   Negotiate, or the client certificate) before the hub makes a session; password
 *   `login(user, password)` stays for hubs that still allow it.
 * - The session travels in the `Koji-Session-Id`, `Koji-Session-Key` and
 *   `Koji-Session-Callnum` headers (hubs may disable URL sessions), the call number
 *   starting at 0 and growing by one per call. The hub refuses a lower (SequenceError)
 *   or repeated (RetryError) number, so calls on the session go out one at a time.
 * - One session per hub. When the hub says it is gone (AuthError, AuthExpired,
 *   SequenceError — refused before anything ran) the client logs in again, once.
 * - Keyword arguments are a trailing struct with `__starstar: true` (`encode_args`).
 * - `multiCall([{methodName, params}])` runs many calls in one request; each result
 *   is `[value]` or `{faultCode, faultString}`.
 * - `logout()` on shutdown.
 *
 * Read-only calls need no session and run in parallel, outside the queue.
 */
import type { Agent } from "node:http";
import { BackendError } from "../../errors.js";
import { KerberosError, negotiate, type KerberosIdentity } from "../kerberos/negotiate.js";
import type { CallOptions } from "../types.js";
import { asStruct, faultText, XmlRpcFault, type XmlRpcStruct, type XmlRpcValue } from "../xmlrpc/codec.js";
import { malformedAnswer, xmlRpcExchange } from "../xmlrpc/client.js";
import { createHubAgent } from "../xmlrpc/transport.js";

const BACKEND = "koji";

/** Koji fault codes (koji.GenericError and subclasses, koji/__init__.py). */
export const KOJI_FAULTS = {
  GenericError: 1000,
  LockError: 1001,
  AuthError: 1002,
  TagError: 1003,
  ActionNotAllowed: 1004,
  BuildError: 1005,
  AuthLockError: 1006,
  AuthExpired: 1007,
  SequenceError: 1008,
  RetryError: 1009,
  ServerOffline: 1014,
  ParameterError: 1019,
} as const;

/** How the client logs in. */
export type KojiAuth =
  | ({ method: "gssapi" } & KerberosIdentity)
  | { method: "certificate"; certificate: string; key: string; ca?: string }
  | { method: "password"; user: string; password: string }
  | { method: "none" };

/** Koji's `encode_args`: keyword arguments as a trailing `__starstar` struct. */
export function kwargs(opts: XmlRpcStruct): XmlRpcStruct {
  return { ...opts, __starstar: true };
}

/** One entry of a multiCall: the value, or the fault of that call alone. */
export type MultiCallResult = { ok: true; value: XmlRpcValue } | { ok: false; fault: XmlRpcFault };

interface SessionInfo {
  id: number;
  key: string;
  callnum: number;
}

/** Session faults after which one fresh login is worth a retry: the hub refused before running the call. */
function isSessionFault(err: unknown): boolean {
  return (
    err instanceof XmlRpcFault &&
    (err.code === KOJI_FAULTS.AuthError || err.code === KOJI_FAULTS.AuthExpired || err.code === KOJI_FAULTS.SequenceError)
  );
}

export class KojiSession {
  private session: SessionInfo | undefined;
  /** Calls on the session, one at a time. */
  private turn: Promise<unknown> = Promise.resolve();
  readonly agent: Agent;

  constructor(
    readonly hubUrl: string,
    private readonly auth: KojiAuth,
    private readonly timeoutMs: number | undefined,
  ) {
    this.agent = createHubAgent(
      BACKEND,
      hubUrl,
      auth.method === "certificate" ? { cert: auth.certificate, key: auth.key, ca: auth.ca } : {},
    );
  }

  /** A read-only call, without the session. */
  async anonymous(method: string, params: unknown[], opts: CallOptions = {}): Promise<XmlRpcValue> {
    return (await this.exchange(this.hubUrl, method, params, opts, {})).value;
  }

  /** A call on the session (logging in first when there is none). */
  call(method: string, params: unknown[], opts: CallOptions = {}): Promise<XmlRpcValue> {
    return this.exclusive(opts, () => this.withLogin(opts, (s) => this.onSession(s, method, params, opts)));
  }

  /** `multiCall(calls)`: per-call results in order; on the session unless `anonymous`. */
  async multiCall(
    calls: { methodName: string; params: unknown[] }[],
    opts: CallOptions & { anonymous?: boolean } = {},
  ): Promise<MultiCallResult[]> {
    if (calls.length === 0) return [];
    const value = opts.anonymous ? await this.anonymous("multiCall", [calls], opts) : await this.call("multiCall", [calls], opts);
    if (!Array.isArray(value) || value.length !== calls.length) {
      throw malformedAnswer(
        BACKEND,
        "multiCall",
        `${Array.isArray(value) ? value.length : "no list of"} results for ${calls.length} calls`,
      );
    }
    return value.map((entry): MultiCallResult => {
      if (Array.isArray(entry) && entry.length === 1) return { ok: true, value: entry[0]! };
      const f = asStruct(entry);
      if (f && typeof f.faultCode === "number")
        return { ok: false, fault: new XmlRpcFault(f.faultCode, faultText(f.faultString), { backend: BACKEND }) };
      throw malformedAnswer(BACKEND, "multiCall", "an entry that is neither [value] nor a fault");
    });
  }

  /** `logout()` when logged in; the session is forgotten whatever the hub says. Sockets are closed. */
  async close(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    try {
      if (s) await this.onSession(s, "logout", [], { signal: AbortSignal.timeout(this.timeoutMs ?? 5000) });
    } catch {
      // An expired or already closed session is logged out as far as we care.
    } finally {
      this.agent.destroy();
    }
  }

  private exclusive<T>(opts: CallOptions, fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(() => {
      opts.signal?.throwIfAborted(); // aborted while waiting for its turn
      return fn();
    });
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async withLogin<T>(opts: CallOptions, fn: (s: SessionInfo) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      this.session ??= await this.login(opts);
      try {
        return await fn(this.session);
      } catch (err) {
        if (!isSessionFault(err) || attempt >= 2) throw err;
        this.session = undefined;
      }
    }
  }

  private onSession(s: SessionInfo, method: string, params: unknown[], opts: CallOptions) {
    const headers = { "Koji-Session-Id": String(s.id), "Koji-Session-Key": s.key, "Koji-Session-Callnum": String(s.callnum++) };
    return this.exchange(this.hubUrl, method, params, opts, headers).then((a) => a.value);
  }

  private exchange(url: string, method: string, params: unknown[], opts: CallOptions, headers: Record<string, string>) {
    return xmlRpcExchange(BACKEND, url, method, params, { timeoutMs: this.timeoutMs, signal: opts.signal, headers, agent: this.agent });
  }

  // ───────────── login ─────────────

  /** A new session; every refusal is a permanent "Koji login failed: …" naming who, never a secret. */
  private async login(opts: CallOptions): Promise<SessionInfo> {
    const auth = this.auth;
    const who =
      auth.method === "gssapi"
        ? auth.principal
        : auth.method === "password"
          ? auth.user
          : auth.method === "certificate"
            ? `certificate ${auth.certificate}`
            : "nobody";
    const failed = (reason: string, cause?: unknown) =>
      new BackendError(BACKEND, `Koji login failed: ${reason} (as ${who})`, { transient: false, cause });
    if (auth.method === "none") throw failed("no credentials configured (backends.koji.auth)");
    if (auth.method === "certificate" && !this.hubUrl.startsWith("https:")) throw failed("a certificate login needs an https:// hub URL");
    try {
      switch (auth.method) {
        case "gssapi":
          return sessionInfo(await this.negotiateLogin(auth, opts));
        case "certificate":
          return sessionInfo((await this.exchange(sslLoginUrl(this.hubUrl), "sslLogin", [null], opts, {})).value);
        case "password":
          return sessionInfo((await this.exchange(this.hubUrl, "login", [auth.user, auth.password], opts, {})).value);
      }
    } catch (err) {
      if (err instanceof XmlRpcFault) throw failed(err.faultString, err);
      if (err instanceof KerberosError) throw failed(err.message, err);
      if (err instanceof BackendError && !err.transient) throw failed(err.message.replace(/^koji: /, ""), err);
      throw err;
    }
  }

  /** `sslLogin` at `<hub>/ssllogin` with a Negotiate token; the hub's answer must authenticate the hub. */
  private async negotiateLogin(id: KerberosIdentity, opts: CallOptions): Promise<XmlRpcValue> {
    const url = sslLoginUrl(this.hubUrl);
    const exchange = await negotiate(new URL(url).hostname, id);
    let answer;
    try {
      answer = await this.exchange(url, "sslLogin", [null], opts, { authorization: exchange.authorization });
    } catch (err) {
      if (err instanceof BackendError && err.status === 401)
        throw new KerberosError("the hub refused the Kerberos token (HTTP 401)", { cause: err });
      throw err;
    }
    await exchange.verifyServer(answer.headers.get("www-authenticate"));
    return answer.value;
  }
}

/** koji: `self.baseurl + '/ssllogin'`. */
export function sslLoginUrl(hubUrl: string): string {
  const u = new URL(hubUrl);
  u.pathname = `${u.pathname.replace(/\/+$/, "")}/ssllogin`;
  return u.toString();
}

function sessionInfo(v: XmlRpcValue): SessionInfo {
  const s = asStruct(v);
  const id = s?.["session-id"];
  const key = s?.["session-key"];
  if (typeof id !== "number" || typeof key !== "string") {
    throw new BackendError(BACKEND, "the hub answered without session-id/session-key", { transient: false });
  }
  return { id, key, callnum: 0 };
}
