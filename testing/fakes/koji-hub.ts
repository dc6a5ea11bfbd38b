/**
 * The hub-side machinery of the fake Koji, as kojihub has it: sessions in
 * `Koji-Session-*` headers (kojihub/auth.py), what the web server in front of
 * `/kojihub/ssllogin` tells the hub (mod_auth_gssapi's REMOTE_USER, mod_ssl's
 * SSL_CLIENT_VERIFY), keyword arguments (koji.decode_args) and multiCall
 * (kojihub/kojixmlrpc.py).
 */
import { randomBytes } from "node:crypto";
import { asStruct, XmlRpcFault, type XmlRpcStruct, type XmlRpcValue } from "../../src/backends/xmlrpc/codec.js";
import { acceptNegotiate, type NegotiateAcceptor } from "../kerberos/acceptor.js";
import type { FakeReply, FakeRequest } from "./http-fake.js";

/** koji's exception classes (koji/__init__.py) as faults. */
export const genericError = (msg: string) => new XmlRpcFault(1000, msg);
export const authError = (msg: string) => new XmlRpcFault(1002, msg);
export const notAllowed = (msg: string) => new XmlRpcFault(1004, msg);
const parameterError = (msg: string) => new XmlRpcFault(1019, msg);

function header(req: FakeRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * koji's `decode_args` + `call_with_argcheck`: positional parameters, then the
 * keyword arguments of a trailing `__starstar` struct, bound to `names`.
 */
export function bindKojiArgs(method: string, names: readonly string[], raw: XmlRpcValue[]): (XmlRpcValue | undefined)[] {
  const last = asStruct(raw.at(-1));
  const args: (XmlRpcValue | undefined)[] = last?.__starstar === true ? raw.slice(0, -1) : [...raw];
  if (args.length > names.length) throw parameterError(`${method}() takes at most ${names.length} arguments (${args.length} given)`);
  if (last?.__starstar === true) {
    for (const [k, v] of Object.entries(last)) {
      if (k === "__starstar") continue;
      const i = names.indexOf(k);
      if (i < 0) throw parameterError(`${method}() got an unexpected keyword argument '${k}'`);
      if (i < args.length && args[i] !== undefined) throw parameterError(`${method}() got multiple values for argument '${k}'`);
      args[i] = v;
    }
  }
  return args;
}

export interface HubSession {
  id: number;
  key: string;
  userId: number;
  userName: string;
  lastCall: number | undefined;
  expired: boolean;
}

/** kojihub's `sessions` table. */
export class HubSessions {
  private readonly byId = new Map<number, HubSession>();
  private nextId = 1;

  /** `createSession`: `{session-id, session-key, header-auth}`. */
  create(userId: number, userName: string): XmlRpcStruct {
    const s: HubSession = {
      id: this.nextId++,
      key: `${userId}-${randomBytes(10).toString("hex").slice(0, 19)}`,
      userId,
      userName,
      lastCall: undefined,
      expired: false,
    };
    this.byId.set(s.id, s);
    return { "session-id": s.id, "session-key": s.key, "header-auth": true };
  }

  /** `Session.__init__`: the request's header session (URL sessions are disabled), its expiry and call number checked. */
  of(req: FakeRequest, method: string): HubSession | undefined {
    const sid = header(req, "koji-session-id");
    if (sid === undefined) return undefined;
    const s = this.byId.get(Number(sid));
    if (!s || s.key !== header(req, "koji-session-key")) throw authError("Invalid session or bad credentials");
    if (s.expired && method !== "sslLogin" && method !== "login") throw new XmlRpcFault(1007, `session "${s.id}" has expired`);
    const raw = header(req, "koji-session-callnum");
    if (raw !== undefined) {
      const callnum = Number(raw);
      if (!Number.isInteger(callnum)) throw authError(`Invalid callnum: '${raw}'`);
      if (s.lastCall !== undefined && s.lastCall > callnum) throw new XmlRpcFault(1008, `${s.lastCall} > ${callnum} (session ${s.id})`);
      if (s.lastCall === callnum) throw new XmlRpcFault(1009, `unable to retry call ${callnum} (method ${method}) for session ${s.id}`);
      s.lastCall = callnum;
    }
    return s;
  }

  close(id: number): void {
    this.byId.delete(id);
  }

  expireAll(): void {
    for (const s of this.byId.values()) s.expired = true;
  }

  /** Users of the sessions neither expired nor logged out. */
  open(): string[] {
    return [...this.byId.values()].filter((s) => !s.expired).map((s) => s.userName);
  }

  clear(): void {
    this.byId.clear();
  }
}

/** Who the web server in front of `/kojihub/ssllogin` authenticated (REMOTE_USER, or the certificate's CN). */
export interface LoginContext {
  remoteUser?: string;
  /** The server's Negotiate token for the answer (mutual authentication). */
  wwwAuthenticate?: string;
  clientVerify?: string;
  certCN?: string;
}

/**
 * The web server in front of `/kojihub/ssllogin`: with `kerberos`, mod_auth_gssapi
 * (no or bad token → 401, the hub is never reached); on TLS, mod_ssl's verdict on
 * the client certificate.
 */
export async function webServerLogin(req: FakeRequest, kerberos: NegotiateAcceptor | undefined): Promise<LoginContext | FakeReply> {
  if (kerberos) {
    const result = await acceptNegotiate(req.headers.authorization, kerberos);
    if (!result.ok) {
      return {
        status: 401,
        body: "<html><body><h1>Unauthorized</h1></body></html>",
        headers: { "content-type": "text/html; charset=iso-8859-1", "www-authenticate": "Negotiate" },
      };
    }
    return { remoteUser: result.principal, wwwAuthenticate: result.wwwAuthenticate };
  }
  if (req.tls) {
    const { authorized, peerCommonName, authorizationError } = req.tls;
    return {
      clientVerify: authorized ? "SUCCESS" : peerCommonName ? `FAILED:${authorizationError}` : "NONE",
      certCN: authorized ? peerCommonName : undefined,
    };
  }
  return {};
}

/** `multiCall(calls)`: each call alone, `[value]` or `{faultCode, faultString}`. */
export async function runMultiCall(
  name: string,
  params: XmlRpcValue[],
  dispatch: (method: string, params: XmlRpcValue[]) => Promise<unknown>,
): Promise<XmlRpcValue[]> {
  const [calls] = bindKojiArgs(name, ["calls"], params);
  if (!Array.isArray(calls)) throw parameterError(`${name}() needs a list of calls`);
  const results: XmlRpcValue[] = [];
  for (const call of calls) {
    const c = asStruct(call);
    try {
      if (typeof c?.methodName !== "string" || !Array.isArray(c.params)) throw genericError("multiCall entries are {methodName, params}");
      if (c.methodName === "multiCall" || c.methodName === "system.multicall") throw genericError("multiCall cannot be nested");
      results.push([(await dispatch(c.methodName, c.params)) as XmlRpcValue]);
    } catch (err) {
      const f = err instanceof XmlRpcFault ? err : new XmlRpcFault(1, `${(err as Error).name}: ${(err as Error).message}`);
      results.push({ faultCode: f.code, faultString: f.faultString });
    }
  }
  return results;
}
