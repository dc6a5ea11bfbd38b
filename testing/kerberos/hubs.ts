/**
 * The fake Koji and fake OpenScanHub as Fedora runs them: Kerberos login only,
 * against this process's throwaway realm (realm.ts). What the fakes CLI, the demo
 * and the shared test environment start.
 */
import { startKojiFake, type KerberosCredentials, type KojiFake, type KojiFakeOptions } from "../fakes/koji.js";
import { startOpenScanHubFake, type OpenScanHubFake, type OpenScanHubFakeOptions } from "../fakes/openscanhub.js";
import { HUB_SERVICE, kerberosRealm, type KerberosRealm } from "./realm.js";

export interface KerberizedHubs {
  realm: KerberosRealm;
  koji: KojiFake;
  openscanhub: OpenScanHubFake;
  /** What a client needs to log in to each: the app's principal, its keytab and the realm's krb5.conf. */
  credentials: { koji: KerberosCredentials; openScanHub: KerberosCredentials };
  /** Stop both fakes (the realm lives as long as the process). */
  stop(): Promise<void>;
}

export interface KerberizedHubsOptions {
  phaseMs?: number;
  koji?: Omit<KojiFakeOptions, "kerberos" | "principals" | "users">;
  openscanhub?: Omit<OpenScanHubFakeOptions, "kerberos" | "users">;
}

/** Start the realm (once per process) and both hubs, which accept the app's principal and nothing else. */
export async function startKerberizedHubs(opts: KerberizedHubsOptions = {}): Promise<KerberizedHubs> {
  const realm = await kerberosRealm();
  const acceptor = { keytab: realm.serviceKeytab, service: HUB_SERVICE };
  const credentials: KerberosCredentials = { principal: realm.appPrincipal, keytab: realm.appKeytab, krb5Config: realm.krb5Config };
  const [koji, openscanhub] = await Promise.all([
    // Like Fedora's hubs: no password logins; the app's principal is the Koji user "packit".
    startKojiFake({ phaseMs: opts.phaseMs, ...opts.koji, users: {}, principals: { [realm.appPrincipal]: "packit" }, kerberos: acceptor }),
    startOpenScanHubFake({ phaseMs: opts.phaseMs, ...opts.openscanhub, users: {}, kerberos: acceptor }),
  ]);
  koji.credentials = credentials;
  openscanhub.credentials = credentials;
  return {
    realm,
    koji,
    openscanhub,
    credentials: { koji: credentials, openScanHub: credentials },
    stop: async () => {
      await Promise.all([koji.stop(), openscanhub.stop()]);
    },
  };
}
