/**
 * An OpenScanHub (kobo hub) session as kobo's `HubProxy` keeps one
 * (kobo/client/__init__.py, kobo/hub/xmlrpc/auth.py):
 *
 * - Kerberos (`_login_gssapi`): `GET <hub>/auth/krb5login/` with HTTP Negotiate;
 *   the web server authenticates the request (REMOTE_USER), kobo's
 *   `Krb5RemoteUserBackend` logs the user in and Django answers with a redirect
 *   that sets the `sessionid` cookie. Mutual authentication is required, as
 *   requests-gssapi requires it. `auth.login_password(user, password)` stays for
 *   hubs that allow password login.
 * - The cookie goes with every call (kobo's CookieTransport).
 * - `auth.renew_session()` keeps the Django session alive and answers True when it
 *   is gone (kobo calls it before logging in again). This client calls it when the
 *   session has been idle for `RENEW_AFTER_MS`, and logs in again when it says so.
 * - A call that meets "Login required." logs in again, once.
 * - `auth.logout()` on shutdown.
 */
import type { Agent } from "node:http";
import { BackendError } from "../../errors.js";
import { KerberosError, negotiate, type KerberosIdentity } from "../kerberos/negotiate.js";
import type { CallOptions } from "../types.js";
import { XmlRpcFault, type XmlRpcValue } from "../xmlrpc/codec.js";
import { xmlRpcExchange } from "../xmlrpc/client.js";
import { createHubAgent, hubRequest } from "../xmlrpc/transport.js";
import { redactUrl } from "../http.js";

const BACKEND = "openscanhub";

/** A session idle this long is renewed (`auth.renew_session`) before its next call. */
export const RENEW_AFTER_MS = 10 * 60_000;

export type OshAuth =
  ({ method: "gssapi" } & KerberosIdentity) | { method: "password"; user: string; password: string } | { method: "none" };

/** The hub's web root: everything before `/xmlrpc/`. */
export function oshHubRoot(xmlrpcUrl: string): string {
  const u = new URL(xmlrpcUrl);
  const i = u.pathname.indexOf("/xmlrpc");
  return `${u.origin}${i >= 0 ? u.pathname.slice(0, i) : u.pathname.replace(/\/+$/, "")}`;
}

/** kobo: `urljoin(HUB_URL, "auth/krb5login/")` with HUB_URL `<root>/xmlrpc`, i.e. `<root>/auth/krb5login/`. */
export function oshKrb5LoginUrl(xmlrpcUrl: string): string {
  return `${oshHubRoot(xmlrpcUrl)}/auth/krb5login/`;
}

function isLoginRequired(err: unknown): boolean {
  return err instanceof XmlRpcFault && /Login required/i.test(err.faultString);
}

/** `name=value` pairs of the Set-Cookie headers, as one Cookie header. */
function cookieHeader(headers: Headers): string | undefined {
  const pairs = headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!.trim())
    .filter((p) => p.includes("="));
  return pairs.length > 0 ? pairs.join("; ") : undefined;
}

export class OshSession {
  private cookie: string | undefined;
  private lastUsed = 0;
  private loggingIn: Promise<string> | undefined;
  readonly agent: Agent;

  constructor(
    private readonly url: string,
    private readonly auth: OshAuth,
    private readonly timeoutMs: number | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.agent = createHubAgent(BACKEND, url);
  }

  /** The user the session acts as, when the settings say (password login); Kerberos users are the principal's name. */
  get userName(): string | undefined {
    if (this.auth.method === "password") return this.auth.user;
    if (this.auth.method === "gssapi") return this.auth.principal.split("@")[0];
    return undefined;
  }

  /** A call without the session (read-only methods). */
  async anonymous(method: string, params: unknown[], opts: CallOptions = {}): Promise<XmlRpcValue> {
    return (await this.exchange(method, params, opts)).value;
  }

  /** Run `fn` with the session cookie: renewed when idle, logged in first, and once more on "Login required". */
  async withCookie<T>(opts: CallOptions, fn: (cookie: string) => Promise<T>): Promise<T> {
    let cookie = await this.current(opts);
    try {
      return await fn(cookie);
    } catch (err) {
      if (!isLoginRequired(err)) throw err;
      this.cookie = undefined;
      cookie = await this.current(opts);
      return await fn(cookie);
    } finally {
      this.lastUsed = this.now();
    }
  }

  /** A call with the cookie `withCookie` handed out. */
  async callWith(cookie: string, method: string, params: unknown[], opts: CallOptions = {}): Promise<XmlRpcValue> {
    return (await this.exchange(method, params, opts, { cookie })).value;
  }

  /** `auth.logout()` when logged in; the cookie is forgotten whatever the hub says. */
  async close(): Promise<void> {
    const cookie = this.cookie;
    this.cookie = undefined;
    try {
      if (cookie) await this.exchange("auth.logout", [], { signal: AbortSignal.timeout(this.timeoutMs ?? 5000) }, { cookie });
    } catch {
      // Gone already: logged out as far as we care.
    } finally {
      this.agent.destroy();
    }
  }

  private exchange(method: string, params: unknown[], opts: CallOptions, headers?: Record<string, string>) {
    return xmlRpcExchange(BACKEND, this.url, method, params, {
      timeoutMs: this.timeoutMs,
      signal: opts.signal,
      headers,
      agent: this.agent,
    });
  }

  /** The cookie to use now: renewed after idling (kobo's `renew_session`), or a fresh login; concurrent callers share one login. */
  private async current(opts: CallOptions): Promise<string> {
    if (this.cookie && this.now() - this.lastUsed >= RENEW_AFTER_MS) {
      const cookie = this.cookie;
      const expired = (await this.exchange("auth.renew_session", [], opts, { cookie })).value;
      if (expired === true && this.cookie === cookie) this.cookie = undefined;
      this.lastUsed = this.now();
    }
    if (this.cookie) return this.cookie;
    this.loggingIn ??= this.login(opts).finally(() => (this.loggingIn = undefined));
    return this.loggingIn;
  }

  /** A new session cookie; every refusal is a permanent "OpenScanHub login failed: …" naming who, never a secret. */
  private async login(opts: CallOptions): Promise<string> {
    const auth = this.auth;
    const who = auth.method === "gssapi" ? auth.principal : auth.method === "password" ? auth.user : "nobody";
    const failed = (reason: string, cause?: unknown) =>
      new BackendError(BACKEND, `OpenScanHub login failed: ${reason} (as ${who})`, { transient: false, cause });
    if (auth.method === "none") throw failed("no credentials configured (backends.openscanhub.auth)");
    try {
      let cookie: string | undefined;
      if (auth.method === "gssapi") cookie = await this.krb5Login(auth, opts);
      else {
        const answer = await this.exchange("auth.login_password", [auth.user, auth.password], opts);
        cookie =
          cookieHeader(answer.headers) ?? (typeof answer.value === "string" && answer.value ? `sessionid=${answer.value}` : undefined);
      }
      if (!cookie) throw failed("the hub answered without a session cookie");
      this.cookie = cookie;
      this.lastUsed = this.now();
      return cookie;
    } catch (err) {
      if (err instanceof XmlRpcFault) throw failed(err.faultString, err);
      if (err instanceof KerberosError) throw failed(err.message, err);
      if (err instanceof BackendError && !err.transient && !err.message.includes("login failed"))
        throw failed(err.message.replace(/^openscanhub: /, ""), err);
      throw err;
    }
  }

  /** kobo `_login_gssapi`: GET the krb5 login URL with a Negotiate token; keep the cookie of its answer (no redirects followed). */
  private async krb5Login(id: KerberosIdentity, opts: CallOptions): Promise<string | undefined> {
    const url = oshKrb5LoginUrl(this.url);
    const exchange = await negotiate(new URL(url).hostname, id);
    const res = await hubRequest(BACKEND, url, {
      headers: { authorization: exchange.authorization },
      agent: this.agent,
      timeoutMs: this.timeoutMs,
      signal: opts.signal,
    });
    if (res.status === 401) throw new KerberosError("the hub refused the Kerberos token (HTTP 401)");
    if (res.status >= 400)
      throw new BackendError(BACKEND, `GET ${redactUrl(url)}: HTTP ${res.status}`, { transient: false, status: res.status });
    await exchange.verifyServer(res.headers.get("www-authenticate"));
    return cookieHeader(res.headers);
  }
}
