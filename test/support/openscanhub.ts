/**
 * What the OpenScanHub client tests (test/integration/backends/openscanhub*.test.ts)
 * share: a local file server for the SRPMs, scan requests and clients on a staging
 * directory, and the decoded XML-RPC calls a fake hub received.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { OpenScanHubFake } from "../../testing/fakes/openscanhub.js";
import { createOpenScanHubClient, type OpenScanHubClientOptions } from "../../src/backends/openscanhub/client.js";
import type { BackendClient, SubmitRequest } from "../../src/backends/types.js";
import { decodeCall } from "../../src/backends/xmlrpc/codec.js";
import { failureRecorder } from "./backends.js";

export const PASSWORD = "s3cr3t-OSH-PASSWORD";
export const OTHER_PASSWORD = "0ther-OSH-PASSWORD";
export const UPLOAD_PATH = "/xmlrpc/upload/";
export let seq = 0;

// ───────────── the SRPMs: a local file server standing in for Copr's download host ─────────────

/** An SRPM's bytes: its path, repeated; 1.5 MiB so that uploads take several chunks. */
export function srpmBytes(path: string, size = 1.5 * 1024 ** 2): Buffer {
  return Buffer.alloc(size, path);
}
export const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/**
 * Paths pick the answer: `/gone/…` 404, `/broken/…` 500, `/big/…` 3 MiB with a
 * Content-Length, `/big-chunked/…` 3 MiB without one, `/stall/…` 1 KiB then
 * silence; anything else is `srpmBytes(path)`.
 */
export async function startSrpmServer(): Promise<{ url: string; requests: string[]; stop(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "/";
    requests.push(path);
    if (path.startsWith("/gone/")) return void res.writeHead(404).end("Not Found");
    if (path.startsWith("/broken/")) return void res.writeHead(500).end("Internal Server Error");
    if (path.startsWith("/stall/")) return void res.writeHead(200, { "content-length": String(1024 ** 2) }).write(Buffer.alloc(1024, 1));
    if (path.startsWith("/big-chunked/")) {
      res.writeHead(200);
      for (let i = 0; i < 3; i++) res.write(srpmBytes(path, 1024 ** 2));
      return void res.end();
    }
    const body = srpmBytes(path, path.startsWith("/big/") ? 3 * 1024 ** 2 : undefined);
    res.writeHead(200, { "content-type": "application/x-rpm", "content-length": String(body.length) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let files: Awaited<ReturnType<typeof startSrpmServer>>;
/** Where the clients stage SRPMs; it must be empty after every test. */
let staging: string;
export const { failure, messages } = failureRecorder();
/** The file server of this test file (started by `useSrpmFiles`). */
export const srpmServer = () => files;
export const stagingDir = () => staging;

/**
 * A test file's hooks: its SRPM file server and staging directory, the directory empty
 * after each test, and no password, session or upload key in any error message.
 */
export function useSrpmFiles(): void {
  beforeAll(async () => {
    files = await startSrpmServer();
    staging = mkdtempSync(join(tmpdir(), "osh-staging-"));
  });
  afterEach(() => {
    expect(readdirSync(staging)).toEqual([]);
  });
  afterAll(async () => {
    await files.stop();
    rmSync(staging, { recursive: true, force: true });
    for (const m of messages) {
      expect(m).not.toContain(PASSWORD);
      expect(m).not.toContain(OTHER_PASSWORD);
      expect(m).not.toMatch(/sessionid/i);
      expect(m).not.toMatch(/[0-9a-f]{64}/); // upload keys (and checksums)
    }
  });
}

export const srpmPath = (n: number, dir = "results") => `/${dir}/packit/o-r-7/srpm-builds/0${n}/r-1.0-1.2024${n}.fc41.src.rpm`;
export const BASE_PATH = "/results/packit/o-r-main/srpm-builds/01/r-0.9-1.fc41.src.rpm";

/** A scan request; `srpmDir` picks the file server's answer for the target SRPM (see `startSrpmServer`). */
export function request(over: Partial<SubmitRequest> = {}, base = true, srpmDir = "results"): SubmitRequest {
  seq++;
  return {
    token: `tok-${seq}-${Math.random().toString(36).slice(2)}`,
    target: "fedora-rawhide-x86_64",
    source: { owner: "o", repo: "r", cloneUrl: "https://github.com/o/r.git", sha: `${seq}`.padStart(40, "b"), pr: 7 },
    options: base ? { base_srpm_url: `${files.url}${BASE_PATH}` } : {},
    dependency: { externalId: "123", artifacts: { srpmUrl: `${files.url}${srpmPath(seq, srpmDir)}` } },
    ...over,
  };
}

export const srpmName = (req: SubmitRequest) => String(req.dependency!.artifacts!.srpmUrl).split("/").pop()!;

export function clientFor(
  fake: OpenScanHubFake,
  token = `packit:${PASSWORD}`,
  timeoutMs = 2000,
  options: OpenScanHubClientOptions = {},
): BackendClient {
  return createOpenScanHubClient({ url: fake.hubUrl, token, timeoutMs }, { tempDir: staging, ...options });
}

/** The XML-RPC calls of one method, decoded, in order. */
export function callsOf(fake: OpenScanHubFake, method: string) {
  return fake.calls
    .filter((c) => c.path !== UPLOAD_PATH)
    .map((c) => decodeCall(c.body))
    .filter((c) => c.method === method);
}
