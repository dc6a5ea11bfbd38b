/**
 * Koji login with a TLS client certificate (koji's `ssl_login`), against the fake
 * hub served over HTTPS with certificates made here with the openssl CLI.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKojiClient } from "../../../src/backends/koji/client.js";
import { decodeCall } from "../../../src/backends/xmlrpc/codec.js";
import { xmlRpcCall } from "../../../src/backends/xmlrpc/client.js";
import { createHubAgent } from "../../../src/backends/xmlrpc/transport.js";
import type { SubmitRequest } from "../../../src/backends/types.js";
import { startKojiFake, type KojiFake } from "../../../testing/fakes/koji.js";
import { failureRecorder } from "../../support/backends.js";

const dir = mkdtempSync(join(tmpdir(), "packit-koji-tls-"));
const path = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });

/** A CA and a certificate it signs for `cn` (with `san`, for servers). */
function makeCa(name: string): void {
  openssl(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-subj",
    `/CN=${name}`,
    "-days",
    "2",
  );
}
function makeCert(ca: string, name: string, cn: string, san?: string): void {
  openssl(
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${cn}`,
  );
  const ext = [];
  if (san) {
    writeFileSync(path(`${name}.ext`), `subjectAltName=${san}\n`);
    ext.push("-extfile", `${name}.ext`);
  }
  openssl(
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    ...ext,
  );
}

let seq = 0;
function request(): SubmitRequest {
  seq++;
  return {
    token: `tls-${seq}`,
    target: "rawhide",
    source: { owner: "o", repo: "r", cloneUrl: "https://github.com/o/r.git", sha: `${seq}`.padStart(40, "c") },
    options: {},
  };
}

const { failure } = failureRecorder();
let fake: KojiFake;
const clientWith = (cert: string | undefined, ca: string | undefined = path("hub-ca.crt")) =>
  createKojiClient({
    url: fake.hubUrl,
    auth: cert ? "certificate" : undefined,
    certificate: cert && path(`${cert}.crt`),
    key: cert && path(`${cert}.key`),
    ca,
    timeoutMs: 5000,
  });

beforeAll(async () => {
  makeCa("hub-ca");
  makeCa("user-ca");
  makeCa("rogue-ca");
  makeCert("hub-ca", "hub", "127.0.0.1", "IP:127.0.0.1");
  makeCert("user-ca", "packit", "packit");
  makeCert("user-ca", "nobody", "nobody");
  makeCert("rogue-ca", "forged", "packit");
  const { readFileSync } = await import("node:fs");
  fake = await startKojiFake({
    phaseMs: Infinity,
    users: {}, // no password logins
    principals: { "packit@EXAMPLE.ORG": "packit" },
    tls: { key: readFileSync(path("hub.key")), cert: readFileSync(path("hub.crt")), ca: readFileSync(path("user-ca.crt")) },
  });
});
afterAll(async () => {
  await fake?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("Koji certificate login", () => {
  it("sslLogins at <hub>/ssllogin over HTTPS with the client certificate; the CN is the user", async () => {
    const koji = clientWith("packit");
    fake.resetHttp();
    const sub = await koji.submit(request());
    expect(fake.hubUrl).toMatch(/^https:/);
    expect(fake.calls.map((c) => `${c.path} ${decodeCall(c.body).method}`)).toEqual(["/kojihub/ssllogin sslLogin", "/kojihub build"]);
    expect(fake.task(Number(sub.externalId))!.ownerName).toBe("packit");
    expect(await koji.cancel(sub.externalId)).toEqual({ kind: "cancelled" });
    await koji.close();
    expect(fake.openSessions()).toEqual([]);
  });

  it.each([
    ["no client certificate", undefined, /^koji: Koji login failed: no credentials configured/],
    [
      "a certificate of another CA",
      "forged",
      /^koji: Koji login failed: could not verify client: FAILED:.* \(as certificate .*forged\.crt\)$/,
    ],
    [
      "a certificate of a user Koji does not know",
      "nobody",
      /^koji: Koji login failed: Unknown user: nobody \(as certificate .*nobody\.crt\)$/,
    ],
  ])("%s: a clear, permanent error", async (_what, cert, message) => {
    const err = await failure(clientWith(cert).submit(request()));
    expect(err).toMatchObject({ transient: false });
    expect(err.message).toMatch(message);
  });

  it("the hub answers a TLS client without a certificate as mod_ssl + kojihub do: could not verify client: NONE", async () => {
    const agent = createHubAgent("koji", fake.hubUrl, { ca: path("hub-ca.crt") });
    await expect(xmlRpcCall("koji", `${fake.hubUrl}/ssllogin`, "sslLogin", [null], { agent })).rejects.toMatchObject({
      code: 1002,
      faultString: "could not verify client: NONE",
    });
    agent.destroy();
  });

  it("a hub certificate the CA setting does not vouch for is a permanent TLS error", async () => {
    const err = await failure(clientWith("packit", path("rogue-ca.crt")).submit(request()));
    expect(err).toMatchObject({ transient: false });
    expect(err.message).toMatch(/^koji: Koji login failed: POST https:\/\/127\.0\.0\.1:\d+\/kojihub\/ssllogin: TLS: /);
  });

  it("a missing key file is named, and nothing is sent", () => {
    fake.resetHttp();
    expect(() =>
      createKojiClient({ url: fake.hubUrl, auth: "certificate", certificate: path("packit.crt"), key: path("missing.key") }),
    ).toThrow(/cannot read the client key .*missing\.key: ENOENT/);
    expect(fake.calls).toHaveLength(0);
  });
});
