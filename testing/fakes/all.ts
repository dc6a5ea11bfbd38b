/**
 * All five fake backends at once, and what a client needs to reach each: its URL
 * and credentials (what `npm run fakes -- --json` prints), or the service's
 * `backends` settings (what the demo environment runs the app with).
 */
import { FAKE_COPR_ACCOUNT, startFakeCopr, type FakeCopr } from "./copr.js";
import { startFakeImageBuilder, type FakeImageBuilder } from "./image-builder.js";
import { startKerberizedHubs } from "../kerberos/hubs.js";
import type { KerberosCredentials, KojiFake } from "./koji.js";
import type { OpenScanHubFake } from "./openscanhub.js";
import { FAKE_OFFLINE_TOKEN } from "./redhat-sso.js";
import { FAKE_TF_API_KEY, startFakeTestingFarm, type FakeTestingFarm } from "./testing-farm.js";

export interface Fakes {
  copr: FakeCopr;
  testingFarm: FakeTestingFarm;
  koji: KojiFake;
  imageBuilder: FakeImageBuilder;
  openscanhub: OpenScanHubFake;
}

/** Where each fake is and how to authenticate to it. */
export interface FakeEndpoints {
  copr: string;
  testingFarm: string;
  /** The hub's XML-RPC endpoint. */
  koji: string;
  /** The API root, ending in /api/image-builder/v1. */
  imageBuilder: string;
  /** The hub's XML-RPC client endpoint. */
  openScanHub: string;
  credentials: {
    copr: { login: string; username: string; token: string };
    testingFarm: { apiKey: string };
    koji: KerberosCredentials;
    imageBuilder: { tokenUrl: string; refreshToken: string };
    openScanHub: KerberosCredentials;
  };
}

/** Start every fake on its own free loopback port; `phaseMs` is how long each build or test phase lasts. */
export async function startFakes(opts: { phaseMs?: number } = {}): Promise<Fakes> {
  const started = await Promise.allSettled([
    startFakeCopr({ phaseMs: opts.phaseMs }),
    startFakeTestingFarm({ phaseMs: opts.phaseMs }),
    // Koji and OpenScanHub take Kerberos only, as Fedora's hubs do (a throwaway realm per process).
    startKerberizedHubs({ phaseMs: opts.phaseMs }),
    startFakeImageBuilder({ phaseMs: opts.phaseMs }),
  ]);
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await Promise.all(started.flatMap((s) => (s.status === "fulfilled" ? [s.value.stop()] : [])));
    throw failed.reason;
  }
  const [copr, testingFarm, hubs, imageBuilder] = started.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [
    FakeCopr,
    FakeTestingFarm,
    Awaited<ReturnType<typeof startKerberizedHubs>>,
    FakeImageBuilder,
  ];
  return { copr, testingFarm, koji: hubs.koji, imageBuilder, openscanhub: hubs.openscanhub };
}

export async function stopFakes(f: Fakes): Promise<void> {
  await Promise.all(Object.values(f).map((fake: { stop(): Promise<void> }) => fake.stop()));
}

/** The app's Kerberos login to a hub started by `startKerberizedHubs`. */
function kerberosCredentials(hub: { credentials?: KerberosCredentials }): KerberosCredentials {
  if (!hub.credentials) throw new Error("this hub was not started with Kerberos");
  return hub.credentials;
}

export function fakeEndpoints(f: Fakes): FakeEndpoints {
  const { login, username, token } = FAKE_COPR_ACCOUNT;
  return {
    copr: f.copr.url,
    testingFarm: f.testingFarm.url,
    koji: f.koji.hubUrl,
    imageBuilder: f.imageBuilder.apiUrl,
    openScanHub: f.openscanhub.hubUrl,
    credentials: {
      copr: { login, username, token },
      testingFarm: { apiKey: FAKE_TF_API_KEY },
      koji: kerberosCredentials(f.koji),
      imageBuilder: { tokenUrl: f.imageBuilder.sso.tokenUrl, refreshToken: FAKE_OFFLINE_TOKEN },
      openScanHub: kerberosCredentials(f.openscanhub),
    },
  };
}

/** The service's `backends` settings for these fakes. */
export function backendSettings(f: Fakes, timeoutMs: number): Record<string, unknown> {
  const e = fakeEndpoints(f);
  const gssapi = (c: KerberosCredentials) => ({ auth: "gssapi", principal: c.principal, keytab: c.keytab, krb5Config: c.krb5Config });
  return {
    copr: { url: e.copr, ...e.credentials.copr, timeoutMs },
    testingFarm: { url: e.testingFarm, ...e.credentials.testingFarm, timeoutMs },
    koji: { url: e.koji, ...gssapi(e.credentials.koji), timeoutMs },
    imageBuilder: { url: e.imageBuilder, ...e.credentials.imageBuilder, timeoutMs },
    openscanhub: { url: e.openScanHub, ...gssapi(e.credentials.openScanHub), timeoutMs },
  };
}
