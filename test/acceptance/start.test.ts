import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { afterEach, expect, it } from "vitest";
import { startServerProcess, type ServerProcess } from "../../testing/server-process.js";

let server: ServerProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), "packit-start-"));
afterEach(async () => {
  await server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

it("npm start without App credentials serves Probot's setup page and the health endpoints, creating the database", async () => {
  server = await startServerProcess({
    APP_ID: "",
    PRIVATE_KEY: "",
    PRIVATE_KEY_PATH: "",
    PACKIT__DATABASE__PATH: join(dir, "sub", "db.sqlite"),
  });
  const setup = await fetch(`${server.url}/probot`);
  expect(setup.status).toBe(200);
  expect(await setup.text()).toContain("packit-probot");
  expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: "ok", role: "all" });
  expect(await (await fetch(`${server.url}/readyz`)).json()).toMatchObject({ status: "ready" });
}, 40_000);

it("stops with a message naming the bad setting", async () => {
  await expect(startServerProcess({ PACKIT__MAINTENANCE__MODE: "nuke", PACKIT__DATABASE__PATH: join(dir, "db.sqlite") })).rejects.toThrow(
    /maintenance\.mode/,
  );
}, 40_000);

it("stops with a message naming database.url when the PostgreSQL server cannot be reached, never showing the password", async () => {
  const err = await startServerProcess({ DATABASE_URL: "postgres://packit:s3cret-pw@127.0.0.1:1/packit" }).then(
    () => new Error("the service started"),
    (e: Error) => e,
  );
  expect(String(err)).toMatch(/database\.url \(DATABASE_URL\): cannot use postgres:\/\/packit:\*\*\*@127\.0\.0\.1:1\/packit/);
  expect(String(err)).not.toContain("s3cret-pw");
}, 40_000);

it("stops with the usage when --role names no role", async () => {
  await expect(startServerProcess({ PACKIT__DATABASE__PATH: join(dir, "db.sqlite") }, { args: ["--role", "scheduler"] })).rejects.toThrow(
    /--role: must be one of all, web, worker, not \\?"scheduler/,
  );
}, 40_000);

it("a worker process without the App's credentials stops with a message saying what it needs", async () => {
  await expect(startServerProcess({ PACKIT__DATABASE__PATH: join(dir, "db.sqlite"), PACKIT__ROLE: "worker" })).rejects.toThrow(
    /role worker: needs the GitHub App's credentials/,
  );
}, 40_000);

it("refuses to start with the App's credentials but no webhook secret: unsigned deliveries would be taken", async () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const err = await startServerProcess({
    APP_ID: "1",
    PRIVATE_KEY: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    WEBHOOK_SECRET: "",
    PACKIT__DATABASE__PATH: join(dir, "db.sqlite"),
  }).then(
    () => new Error("the server started"),
    (e: Error) => e,
  );
  expect(err.message).toMatch(/WEBHOOK_SECRET is not/);
}, 40_000);
