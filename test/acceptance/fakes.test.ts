import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createCoprClient } from "../../src/backends/copr/client.js";
import { createImageBuilderClient } from "../../src/backends/image-builder/client.js";
import { createKojiClient } from "../../src/backends/koji/client.js";
import { createOpenScanHubClient } from "../../src/backends/openscanhub/client.js";
import { createTestingFarmClient } from "../../src/backends/testing-farm/client.js";
import type { SubmitRequest } from "../../src/backends/types.js";
import type { FakeEndpoints } from "../../testing/fakes/all.js";

const SCRIPT = "testing/fakes/main.ts";

/** `npm run fakes -- --json` as npm runs it (without npm in between, which would take the signal itself). */
function startFakesProcess(): { child: ChildProcess; line: Promise<string>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const line = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out.slice(0, out.indexOf("\n")));
    });
    child.once("exit", (code) => reject(new Error(`exited ${code} before printing a line: ${err}`)));
  });
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, line, exit };
}

const request = (over: Partial<SubmitRequest> = {}): SubmitRequest => ({
  token: "7e1d2c3b-4a5f-4e6d-8c7b-9a0f1e2d3c4b",
  target: "fedora-41-x86_64",
  source: { owner: "acme", repo: "widget", cloneUrl: "https://github.com/acme/widget.git", sha: "b".repeat(40), pr: 3 },
  options: {},
  ...over,
});

describe("npm run fakes -- --json", () => {
  let running: ReturnType<typeof startFakesProcess> | undefined;
  afterEach(async () => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill("SIGKILL");
      await running.exit;
    }
    running = undefined;
  });

  it("is the package's fakes script", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.fakes).toBe(`tsx ${SCRIPT}`);
  });

  it("prints one JSON line of URLs and credentials that the real clients authenticate with, and stops on SIGTERM with exit 0", async () => {
    running = startFakesProcess();
    const printed = JSON.parse(await running.line) as FakeEndpoints;
    expect(Object.keys(printed)).toEqual(["copr", "testingFarm", "koji", "imageBuilder", "openScanHub", "credentials"]);
    expect(printed.imageBuilder).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/image-builder\/v1$/);
    const { credentials: c } = printed;
    expect(Object.keys(c.copr)).toEqual(["login", "username", "token"]);
    expect(Object.keys(c.imageBuilder)).toEqual(["tokenUrl", "refreshToken"]);

    const copr = createCoprClient({ url: printed.copr, ...c.copr, timeoutMs: 5000 });
    const build = await copr.submit(request());
    expect((await copr.status(build.externalId)).state).not.toBe("error");
    expect((await copr.cancel(build.externalId)).kind).toMatch(/^(cancelled|already_finished)$/);
    // Without the printed token, Copr refuses.
    const refusal = await createCoprClient({ url: printed.copr, ...c.copr, token: "wrong" })
      .submit(request())
      .catch((e: Error) => e.message);
    expect(refusal).toContain("Copr API token expired");

    const tf = createTestingFarmClient({ url: printed.testingFarm, ...c.testingFarm, timeoutMs: 5000 });
    const test = await tf.submit(request({ dependency: { externalId: build.externalId } }));
    expect((await tf.status(test.externalId)).state).not.toBe("error");
    expect(await tf.findByToken(request())).toEqual(test);

    const images = createImageBuilderClient({ url: printed.imageBuilder, ...c.imageBuilder, timeoutMs: 5000 });
    const compose = await images.submit(
      request({
        options: { image_request: { architecture: "x86_64", image_type: "guest-image", upload_request: { type: "aws.s3", options: {} } } },
      }),
    );
    expect((await images.status(compose.externalId)).state).not.toBe("error");

    // Koji and OpenScanHub: Kerberos only, with the printed principal, keytab and krb5.conf (a cancel logs in first).
    expect(Object.keys(c.koji)).toEqual(["principal", "keytab", "krb5Config"]);
    const koji = createKojiClient({ url: printed.koji, auth: "gssapi", ...c.koji, timeoutMs: 5000 });
    const task = await koji.submit(request({ target: "fedora-rawhide" }));
    expect((await koji.status(task.externalId)).state).not.toBe("error");
    expect((await koji.cancel(task.externalId)).kind).toMatch(/^(cancelled|already_finished)$/);
    const osh = createOpenScanHubClient({ url: printed.openScanHub, auth: "gssapi", ...c.openScanHub, timeoutMs: 5000 });
    expect(await osh.cancel("999999")).toMatchObject({ kind: "error", message: "Specified task 999999 does not exist." });

    running.child.kill("SIGTERM");
    expect(await running.exit).toBe(0);
  }, 60_000);

  it("stops on Ctrl-C (SIGINT) with exit 0", async () => {
    running = startFakesProcess();
    await running.line;
    running.child.kill("SIGINT");
    expect(await running.exit).toBe(0);
  }, 30_000);
});
