/**
 * HTTP Negotiate (SPNEGO, RFC 4559) for the Koji and OpenScanHub logins, on MIT
 * GSSAPI through the `kerberos` package.
 *
 * The app gets its tickets from its keytab itself, as koji's `gssapi_login(keytab=…)`
 * and kobo's `_login_gssapi` do: MIT krb5 reads the client keytab from
 * `KRB5_CLIENT_KTNAME`, acquires a ticket-granting ticket when the credential cache
 * has none for the principal, and gets a fresh one when it expires (or is past half
 * its life). The cache is a private `DIR:` collection (one cache per principal) in a
 * new 0700 temp directory, so the operator's own `kinit` tickets are neither used
 * nor overwritten.
 *
 * These are process environment that the krb5 library reads on every call, so they
 * are set here once and never changed: every backend that logs in with GSSAPI must
 * name the same keytab and krb5.conf (settings validation checks this). The server
 * side of the same library reads `KRB5_KTNAME` instead, so a fake hub in the same
 * process (tests) is not disturbed.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import kerberos from "kerberos";

/** What a client needs to log in with Kerberos. */
export interface KerberosIdentity {
  /** The app's principal, e.g. `packit@FEDORAPROJECT.ORG`. */
  principal: string;
  /** The keytab holding the principal's keys. */
  keytab: string;
  /** A krb5.conf other than the system's (`KRB5_CONFIG`). */
  krb5Config?: string;
}

/** GSSAPI refused: no ticket, wrong key, unknown principal, bad answer from the hub. The message is the library's. */
export class KerberosError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KerberosError";
  }
}

interface InitiatorEnvironment {
  keytab: string;
  krb5Config: string | undefined;
  ccache: string;
}

let environment: InitiatorEnvironment | undefined;

/**
 * Point the krb5 library at `id`'s keytab (and krb5.conf) for this process, once.
 * A second identity with another keytab or krb5.conf is refused: the library has
 * one client keytab per process.
 */
function useClientKeytab(id: KerberosIdentity): void {
  if (environment) {
    if (environment.keytab !== id.keytab || (id.krb5Config !== undefined && environment.krb5Config !== id.krb5Config)) {
      throw new KerberosError(`one keytab and krb5.conf per process: ${id.keytab} differs from ${environment.keytab} already in use`);
    }
    return;
  }
  const dir = privateCacheDir();
  environment = { keytab: id.keytab, krb5Config: id.krb5Config, ccache: `DIR:${dir}` };
  process.env.KRB5_CLIENT_KTNAME = id.keytab;
  process.env.KRB5CCNAME = environment.ccache;
  if (id.krb5Config !== undefined) process.env.KRB5_CONFIG = id.krb5Config;
}

const CACHE_PREFIX = "packit-probot-krb5cc-";

/**
 * A new 0700 directory `packit-probot-krb5cc-<pid>-…` for this process's tickets,
 * removed at exit; those of processes that died without exiting are removed here.
 */
function privateCacheDir(): string {
  const base = tmpdir();
  for (const name of readdirSync(base)) {
    const pid = name.startsWith(CACHE_PREFIX) ? Number(/^(\d+)-/.exec(name.slice(CACHE_PREFIX.length))?.[1]) : 0;
    if (pid && pid !== process.pid && !isAlive(pid)) rmSync(join(base, name), { recursive: true, force: true });
  }
  const dir = mkdtempSync(join(base, `${CACHE_PREFIX}${process.pid}-`));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** One Negotiate exchange: the request header, then the check of the server's answer. */
export interface NegotiateExchange {
  /** `Negotiate <base64 token>`, for the `Authorization` header. */
  readonly authorization: string;
  /**
   * Mutual authentication, required as requests-gssapi requires it for koji and kobo:
   * the hub's `WWW-Authenticate: Negotiate <token>` must complete the context.
   */
  verifyServer(wwwAuthenticate: string | null | undefined): Promise<void>;
}

/** Start an exchange with `HTTP@<host>` as `id.principal`, getting a ticket from the keytab when needed. */
export async function negotiate(host: string, id: KerberosIdentity): Promise<NegotiateExchange> {
  useClientKeytab(id);
  let client: kerberos.KerberosClient;
  let token: string;
  try {
    client = await kerberos.initializeClient(`HTTP@${host}`, {
      principal: id.principal,
      mechOID: kerberos.GSS_MECH_OID_SPNEGO,
      gssFlag: kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_SEQUENCE_FLAG,
    });
    token = await client.step("");
  } catch (err) {
    const text = gssMessage(err);
    // MIT's words when the keytab has no key for the principal; name the keytab instead.
    if (/Can't find client principal .* in cache collection/.test(text)) {
      throw new KerberosError(`the keytab ${id.keytab} has no key for ${id.principal} (and no ticket for it is cached)`, { cause: err });
    }
    throw new KerberosError(text, { cause: err });
  }
  return {
    authorization: `Negotiate ${token}`,
    async verifyServer(header) {
      const answer = /^\s*Negotiate\s+(\S+)/i.exec(header ?? "")?.[1];
      if (!answer) throw new KerberosError(`the hub at ${host} did not authenticate itself (no Negotiate token in its answer)`);
      try {
        await client.step(answer);
      } catch (err) {
        throw new KerberosError(`the hub's Negotiate answer does not verify: ${gssMessage(err)}`, { cause: err });
      }
      if (!client.contextComplete) throw new KerberosError(`the hub at ${host} did not complete mutual authentication`);
    },
  };
}

/** The library's text ("… : Client 'x@R' not found in Kerberos database"), without its generic preamble. */
function gssMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (
    text.replace(
      /^(No credentials were supplied, or the credentials were unavailable or inaccessible|Unspecified GSS failure\.\s+Minor code may provide more information):\s*/,
      "",
    ) || text
  );
}
