/**
 * Koji login with Kerberos against a real MIT KDC (testing/kerberos): the app's
 * client gets its ticket from its keytab, `sslLogin`s at `<hub>/ssllogin` with
 * HTTP Negotiate, and the fake hub verifies the token with its service keytab.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKojiClient } from "../../../src/backends/koji/client.js";
import { decodeCall } from "../../../src/backends/xmlrpc/codec.js";
import { xmlRpcCall } from "../../../src/backends/xmlrpc/client.js";
import { hubRequest } from "../../../src/backends/xmlrpc/transport.js";
import type { SubmitRequest } from "../../../src/backends/types.js";
import { startKerberizedHubs, type KerberizedHubs } from "../../../testing/kerberos/hubs.js";
import type { KojiFake } from "../../../testing/fakes/koji.js";
import { failureRecorder } from "../../support/backends.js";
import { waitFor } from "../../support/db.js";

let seq = 0;
function request(): SubmitRequest {
  seq++;
  return {
    token: `krb-${seq}`,
    target: "rawhide",
    source: { owner: "o", repo: "r", cloneUrl: "https://github.com/o/r.git", sha: `${seq}`.padStart(40, "b") },
    options: {},
  };
}

const { failure, messages } = failureRecorder();
let hubs: KerberizedHubs;
let fake: KojiFake;
const clientAs = (principal: string) => {
  const c = hubs.credentials.koji;
  return createKojiClient({ url: fake.hubUrl, auth: "gssapi", principal, keytab: c.keytab, krb5Config: c.krb5Config, timeoutMs: 5000 });
};

beforeAll(async () => {
  hubs = await startKerberizedHubs({ phaseMs: Infinity });
  fake = hubs.koji;
  const { kdc } = hubs.realm;
  // Principals for the failure cases, all in the app's keytab (one client keytab per process):
  // a stale key, a principal the KDC no longer knows, an expired one, and one Koji does not know.
  for (const name of ["stale", "ghost", "expired", "stranger", "brief"])
    await kdc.addPrincipal(name, name === "brief" ? { maxLife: "3 seconds" } : {});
  await kdc.writeKeytab(hubs.realm.appKeytab, ["stale", "ghost", "expired", "stranger", "brief"]);
  fake.mapPrincipal(kdc.principal("brief"), "brief");
  await kdc.kadmin(
    `cpw -randkey ${kdc.principal("stale")}`,
    `delprinc -force ${kdc.principal("ghost")}`,
    `modprinc -expire "2020-01-01" ${kdc.principal("expired")}`,
  );
});
afterAll(async () => {
  await hubs?.stop();
  // No secret in any error: neither session keys nor key material.
  for (const m of messages) expect(m).not.toMatch(/session-key|[0-9]+-[0-9a-f]{19}/);
});

describe("Koji GSSAPI login against a real KDC", () => {
  it("logs in at <hub>/ssllogin with Negotiate, checks the hub's answer, and carries the session in headers", async () => {
    const koji = clientAs(hubs.credentials.koji.principal);
    fake.resetHttp();
    const sub = await koji.submit(request());
    const [login, build] = fake.calls;
    expect(login!.path).toBe("/kojihub/ssllogin");
    expect(decodeCall(login!.body)).toEqual({ method: "sslLogin", params: [null] });
    expect(String(login!.headers.authorization)).toMatch(/^Negotiate [A-Za-z0-9+/=]{100,}$/);
    expect(build!.path).toBe("/kojihub");
    expect(build!.headers["koji-session-callnum"]).toBe("0");
    expect(fake.task(Number(sub.externalId))!.ownerName).toBe("packit");
    expect(fake.openSessions()).toEqual(["packit"]);

    expect(await koji.cancel(sub.externalId)).toEqual({ kind: "cancelled" });
    expect((await koji.status(sub.externalId)).state).toBe("cancelled");
    await koji.close();
    expect(fake.calledMethods().at(-1)).toBe("logout");
    expect(fake.openSessions()).toEqual([]);
  });

  it("the hub refuses a login without a valid token as mod_auth_gssapi does, and sslLogin without the web server's word", async () => {
    const noToken = await hubRequest("koji", `${fake.hubUrl}/ssllogin`, {
      method: "POST",
      body: "<methodCall><methodName>sslLogin</methodName></methodCall>",
    });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get("www-authenticate")).toBe("Negotiate");
    const badToken = await hubRequest("koji", `${fake.hubUrl}/ssllogin`, {
      method: "POST",
      headers: { authorization: "Negotiate YWJjZGVm" },
      body: "",
    });
    expect(badToken.status).toBe(401);
    await expect(xmlRpcCall("koji", fake.hubUrl, "sslLogin", [null])).rejects.toMatchObject({
      code: 1002,
      faultString: "could not verify client: None",
    });
    await expect(xmlRpcCall("koji", fake.hubUrl, "cancelBuild", [1])).rejects.toMatchObject({
      code: 1004,
      faultString: "you must be logged in for this operation",
    });
  });

  it.each([
    [
      "a wrong (stale) keytab",
      "stale",
      /^koji: Koji login failed: .*(Decrypt integrity check failed|Preauthentication failed|Password incorrect).* \(as stale@PACKIT\.TEST\)$/,
    ],
    [
      "a principal the KDC does not know",
      "ghost",
      /^koji: Koji login failed: Client 'ghost@PACKIT\.TEST' not found in Kerberos database \(as ghost@PACKIT\.TEST\)$/,
    ],
    ["an expired principal", "expired", /^koji: Koji login failed: Client's entry in database has expired \(as expired@PACKIT\.TEST\)$/],
    ["a principal without a key in the keytab", "nobody", /^koji: Koji login failed: the keytab .* has no key for nobody@PACKIT\.TEST/],
    [
      "a principal Koji has no user for",
      "stranger",
      /^koji: Koji login failed: Unknown user: stranger@PACKIT\.TEST \(as stranger@PACKIT\.TEST\)$/,
    ],
  ])("%s is a clear, permanent error that submits nothing", async (_what, name, message) => {
    const before = fake.submissions;
    const err = await failure(clientAs(`${name}@PACKIT.TEST`).submit(request()));
    expect(err).toMatchObject({ transient: false });
    expect(err.message).toMatch(message);
    expect(fake.submissions).toBe(before);
  });

  it("gets a fresh ticket from the keytab when the old one has expired", async () => {
    const kdc = hubs.realm.kdc;
    const koji = clientAs(kdc.principal("brief")); // its tickets live 3 s
    await koji.submit(request());
    const issued = kdc.ticketsIssued("brief");
    expect(issued).toBeGreaterThan(0);
    const firstTicketAt = Date.now();
    await waitFor(() => Date.now() - firstTicketAt > 3500, 6000, "the first ticket to expire");
    fake.expireSessions(); // the next call needs a new login, hence a new service ticket
    await koji.submit(request());
    expect(kdc.ticketsIssued("brief")).toBeGreaterThan(issued);
    await koji.close();
  });
});
