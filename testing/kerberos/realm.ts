/**
 * One Kerberos realm per process for the fake hubs: a KDC (see kdc.ts) with the
 * app's principal `packit` and the hubs' service principal `HTTP/127.0.0.1`, their
 * keytabs, and this process's `KRB5_CONFIG` / `KRB5_KTNAME` pointed at it for the
 * fakes' acceptor side. One per process because those are process environment the
 * krb5 library reads; the KDC is killed and its directory removed at exit.
 */
import { join } from "node:path";
import { startKdc, type Kdc } from "./kdc.js";

/** The hubs' GSSAPI service: `HTTP/127.0.0.1@REALM` (the fakes listen on 127.0.0.1). */
export const HUB_SERVICE = "HTTP@127.0.0.1";
const APP_PRINCIPAL_NAME = "packit";

export interface KerberosRealm {
  kdc: Kdc;
  /** `packit@REALM`. */
  appPrincipal: string;
  /** The app's keytab (`packit@REALM`): what `backends.koji.keytab` names. */
  appKeytab: string;
  /** The hubs' service keytab (`HTTP/127.0.0.1@REALM`). */
  serviceKeytab: string;
  krb5Config: string;
}

let realm: Promise<KerberosRealm> | undefined;

/** The process's realm, started on first use. */
export function kerberosRealm(): Promise<KerberosRealm> {
  realm ??= (async () => {
    const kdc = await startKdc();
    const appPrincipal = await kdc.addPrincipal(APP_PRINCIPAL_NAME);
    await kdc.addPrincipal("HTTP/127.0.0.1");
    const appKeytab = join(kdc.dir, "app.keytab");
    const serviceKeytab = join(kdc.dir, "hubs.keytab");
    await kdc.writeKeytab(appKeytab, [APP_PRINCIPAL_NAME]);
    await kdc.writeKeytab(serviceKeytab, ["HTTP/127.0.0.1"]);
    if (process.env.KRB5_CONFIG !== undefined && process.env.KRB5_CONFIG !== kdc.krb5Config) {
      await kdc.stop();
      throw new Error(`KRB5_CONFIG is already set to ${process.env.KRB5_CONFIG}: a test realm needs its own`);
    }
    process.env.KRB5_CONFIG = kdc.krb5Config;
    return { kdc, appPrincipal, appKeytab, serviceKeytab, krb5Config: kdc.krb5Config };
  })();
  return realm;
}
