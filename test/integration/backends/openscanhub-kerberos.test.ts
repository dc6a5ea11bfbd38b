/**
 * OpenScanHub login as osh-cli does it (kobo's `_login_gssapi`) against a real MIT
 * KDC: `GET <hub>/auth/krb5login/` with HTTP Negotiate, the session cookie on every
 * call, `auth.renew_session` after idling, a new login when the session is gone.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpenScanHubClient } from "../../../src/backends/openscanhub/client.js";
import { RENEW_AFTER_MS } from "../../../src/backends/openscanhub/session.js";
import { hubRequest } from "../../../src/backends/xmlrpc/transport.js";
import type { SubmitRequest } from "../../../src/backends/types.js";
import { startKerberizedHubs, type KerberizedHubs } from "../../../testing/kerberos/hubs.js";
import type { OpenScanHubFake } from "../../../testing/fakes/openscanhub.js";
import { failureRecorder } from "../../support/backends.js";

const SESSION_AGE_MS = 60 * 60_000;
let clock = Date.now();
let hubs: KerberizedHubs;
let fake: OpenScanHubFake;
let files: Server;
let filesUrl: string;
const staging = mkdtempSync(join(tmpdir(), "osh-krb-staging-"));
const { failure } = failureRecorder();

let seq = 0;
function request(): SubmitRequest {
  seq++;
  return {
    token: `krb-${seq}`,
    target: "fedora-rawhide-x86_64",
    source: { owner: "o", repo: "r", cloneUrl: "https://github.com/o/r.git", sha: `${seq}`.padStart(40, "d") },
    options: {},
    dependency: { externalId: "1", artifacts: { srpmUrl: `${filesUrl}/r-1.0-${seq}.fc41.src.rpm` } },
  };
}

const clientAs = (principal: string) => {
  const c = hubs.credentials.openScanHub;
  return createOpenScanHubClient(
    { url: fake.hubUrl, auth: "gssapi", principal, keytab: c.keytab, krb5Config: c.krb5Config, timeoutMs: 5000 },
    { tempDir: staging, now: () => clock },
  );
};

beforeAll(async () => {
  hubs = await startKerberizedHubs({ phaseMs: Infinity, openscanhub: { sessionAgeMs: SESSION_AGE_MS, now: () => clock } });
  fake = hubs.openscanhub;
  files = createServer((req, res) => res.writeHead(200, { "content-type": "application/x-rpm" }).end(`srpm ${req.url}`));
  await new Promise<void>((r) => files.listen(0, "127.0.0.1", r));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  await hubs.realm.kdc.addPrincipal("ghost");
  await hubs.realm.kdc.writeKeytab(hubs.realm.appKeytab, ["ghost"]);
  await hubs.realm.kdc.kadmin(`delprinc -force ${hubs.realm.kdc.principal("ghost")}`);
});
afterAll(async () => {
  await hubs?.stop();
  files?.closeAllConnections();
  await new Promise<void>((r) => (files ? files.close(() => r()) : r()));
  rmSync(staging, { recursive: true, force: true });
});

describe("OpenScanHub Kerberos login against a real KDC", () => {
  it("logs in at <hub>/auth/krb5login/ with Negotiate and sends the session cookie with every call", async () => {
    const osh = clientAs(hubs.credentials.openScanHub.principal);
    fake.resetHttp();
    const sub = await osh.submit(request());
    const login = fake.calls[0]!;
    expect(`${login.method} ${login.path}`).toBe("GET /auth/krb5login/");
    expect(String(login.headers.authorization)).toMatch(/^Negotiate [A-Za-z0-9+/=]{100,}$/);
    const sessionCalls = fake.calls.slice(1).filter((c) => c.path === "/xmlrpc/client/");
    expect(sessionCalls.length).toBeGreaterThan(0);
    for (const c of sessionCalls) expect(String(c.headers.cookie)).toMatch(/^sessionid=[0-9a-f]{32}$/);
    expect(fake.task(Number(sub.externalId))!.owner).toBe("packit");
    expect(await osh.cancel(sub.externalId)).toEqual({ kind: "cancelled" });
    await (osh as { close(): Promise<void> }).close();
    expect(fake.calledMethods().at(-1)).toBe("auth.logout");
    expect(fake.openSessions()).toEqual([]);
  });

  it("renews an idle session with auth.renew_session, and logs in again when the hub says it is gone", async () => {
    const osh = clientAs(hubs.credentials.openScanHub.principal);
    const sub = await osh.submit(request());
    fake.resetHttp();
    clock += RENEW_AFTER_MS + 1; // idle: renewed (still alive), no new login
    await osh.cancel(sub.externalId);
    expect(fake.calledMethods()).toEqual(["scan.get_task_info", "auth.renew_session", "client.cancel_task", "scan.get_task_info"]);
    fake.resetHttp();
    clock += SESSION_AGE_MS + 1; // the Django session expired meanwhile
    await osh.submit(request());
    expect(fake.calledMethods().slice(0, 2)).toEqual(["auth.renew_session", "GET /auth/krb5login/"]);
    await (osh as { close(): Promise<void> }).close();
  });

  it("a call that meets 'Login required.' logs in again, once", async () => {
    const osh = clientAs(hubs.credentials.openScanHub.principal);
    await osh.submit(request());
    fake.expireSessions();
    fake.resetHttp();
    await osh.submit(request());
    expect(fake.calledMethods().filter((m) => m === "GET /auth/krb5login/")).toHaveLength(1);
    await (osh as { close(): Promise<void> }).close();
  });

  it("refuses a login without a valid token (401), and an unknown principal is a clear, permanent error", async () => {
    const noToken = await hubRequest("openscanhub", `${fake.url}/auth/krb5login/`);
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get("www-authenticate")).toBe("Negotiate");
    const before = fake.submissions;
    const err = await failure(clientAs(hubs.realm.kdc.principal("ghost")).submit(request()));
    expect(err).toMatchObject({ transient: false });
    expect(err.message).toBe(
      "openscanhub: OpenScanHub login failed: Client 'ghost@PACKIT.TEST' not found in Kerberos database (as ghost@PACKIT.TEST)",
    );
    expect(fake.submissions).toBe(before);
  });
});
