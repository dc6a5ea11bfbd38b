/**
 * The server side of HTTP Negotiate for the fake hubs, as Apache's mod_auth_gssapi
 * does it in front of the real ones: verify the client's token with the service
 * keytab, tell the hub who it is (`REMOTE_USER`), and answer with the server's
 * token so the client can authenticate the hub.
 *
 * The krb5 library takes the acceptor keytab from `KRB5_KTNAME` (process
 * environment); it is set once, and a second, different keytab is refused. The
 * app's client side uses `KRB5_CLIENT_KTNAME` instead, so both live in one process.
 */
import kerberos from "kerberos";

export interface NegotiateAcceptor {
  /** The service keytab (`HTTP/127.0.0.1@REALM`). */
  keytab: string;
  /** GSSAPI host-based service name. Default `HTTP@127.0.0.1`. */
  service?: string;
}

export type NegotiateResult = { ok: true; principal: string; wwwAuthenticate: string } | { ok: false; reason: string };

let acceptorKeytab: string | undefined;

function useAcceptorKeytab(keytab: string): void {
  if (acceptorKeytab === keytab) return;
  if (acceptorKeytab !== undefined || (process.env.KRB5_KTNAME !== undefined && process.env.KRB5_KTNAME !== keytab)) {
    throw new Error(`fake hubs in one process share one service keytab (KRB5_KTNAME=${process.env.KRB5_KTNAME ?? acceptorKeytab})`);
  }
  acceptorKeytab = keytab;
  process.env.KRB5_KTNAME = keytab;
}

/** Verify `Authorization: Negotiate <token>`; never throws. */
export async function acceptNegotiate(authorization: string | string[] | undefined, acceptor: NegotiateAcceptor): Promise<NegotiateResult> {
  const token = /^\s*Negotiate\s+(\S+)\s*$/i.exec(typeof authorization === "string" ? authorization : "")?.[1];
  if (!token) return { ok: false, reason: "no Negotiate token" };
  useAcceptorKeytab(acceptor.keytab);
  try {
    const server = await kerberos.initializeServer(acceptor.service ?? "HTTP@127.0.0.1");
    await server.step(token);
    if (!server.contextComplete || !server.username) return { ok: false, reason: "the GSSAPI context did not complete" };
    return { ok: true, principal: server.username, wwwAuthenticate: `Negotiate ${server.response}` };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}
