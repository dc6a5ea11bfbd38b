/**
 * All five fake backends at once, and what a client needs to reach each: its URL
 * and credentials (what `npm run fakes -- --json` prints), or the service's
 * `backends` settings (what the demo environment runs the app with).
 */
import { FAKE_COPR_ACCOUNT, startFakeCopr, type FakeCopr } from "./copr.js";
import { startFakeImageBuilder, type FakeImageBuilder } from "./image-builder.js";
import { startKojiFake, type KojiFake } from "./koji.js";
import { startOpenScanHubFake, type OpenScanHubFake } from "./openscanhub.js";
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
    koji: XmlRpcCredentials;
    imageBuilder: { tokenUrl: string; refreshToken: string };
    openScanHub: XmlRpcCredentials;
  };
}

export interface XmlRpcCredentials {
  user: string;
  password: string;
}

/** Start every fake on its own free loopback port; `phaseMs` is how long each build or test phase lasts. */
export async function startFakes(opts: { phaseMs?: number } = {}): Promise<Fakes> {
  const started = await Promise.allSettled([
    startFakeCopr({ phaseMs: opts.phaseMs }),
    startFakeTestingFarm({ phaseMs: opts.phaseMs }),
    startKojiFake({ phaseMs: opts.phaseMs }),
    startFakeImageBuilder({ phaseMs: opts.phaseMs }),
    startOpenScanHubFake({ phaseMs: opts.phaseMs }),
  ]);
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.stop() : undefined)));
    throw failed.reason;
  }
  const [copr, testingFarm, koji, imageBuilder, openscanhub] = started.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [
    FakeCopr,
    FakeTestingFarm,
    KojiFake,
    FakeImageBuilder,
    OpenScanHubFake,
  ];
  return { copr, testingFarm, koji, imageBuilder, openscanhub };
}

export async function stopFakes(f: Fakes): Promise<void> {
  await Promise.all(Object.values(f).map((fake: { stop(): Promise<void> }) => fake.stop()));
}

/**
 * What the Koji and OpenScanHub fakes take today: a user and password for their
 * password logins (`login` / `auth.login_password`). Kerberos replaces this.
 */
export function xmlRpcCredentials(): XmlRpcCredentials {
  return { user: "packit", password: "packit-password" };
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
      koji: xmlRpcCredentials(),
      imageBuilder: { tokenUrl: f.imageBuilder.sso.tokenUrl, refreshToken: FAKE_OFFLINE_TOKEN },
      openScanHub: xmlRpcCredentials(),
    },
  };
}

/** The service's `backends` settings for these fakes. */
export function backendSettings(f: Fakes, timeoutMs: number): Record<string, unknown> {
  const e = fakeEndpoints(f);
  const xmlRpcToken = (c: XmlRpcCredentials) => `${c.user}:${c.password}`;
  return {
    copr: { url: e.copr, ...e.credentials.copr, timeoutMs },
    testingFarm: { url: e.testingFarm, ...e.credentials.testingFarm, timeoutMs },
    koji: { url: e.koji, token: xmlRpcToken(e.credentials.koji), timeoutMs },
    imageBuilder: { url: e.imageBuilder, ...e.credentials.imageBuilder, timeoutMs },
    openscanhub: { url: e.openScanHub, token: xmlRpcToken(e.credentials.openScanHub), timeoutMs },
  };
}
