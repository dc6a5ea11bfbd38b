import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { healthHandler, loopsAlive, type Verdict } from "../../../src/health/index.js";
import { tempDatabase, type TempDatabase } from "../../support/db.js";

describe("loopsAlive", () => {
  it("is ok while every loop finished a round within the stall bound, and names the stalled ones", () => {
    const loops = [
      { id: "long-1", lastTickAt: 1000 },
      { id: "short-1", lastTickAt: 9000 },
    ];
    expect(loopsAlive(loops, 10_000, 9000)).toEqual({ ok: true });
    expect(loopsAlive(loops, 10_001, 9000)).toEqual({ ok: false, reason: "long-1: no round for 9001 ms" });
  });
});

describe("health of a process that runs workers", () => {
  let t: TempDatabase;
  let server: Server;
  afterEach(async () => {
    await new Promise((r) => server.close(r));
    await t.cleanup();
  });

  async function serve(loops: () => Verdict): Promise<string> {
    t = await tempDatabase();
    const handler = healthHandler({ role: "worker", db: t.db, loops });
    server = createServer((req, res) => void handler(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = server.address();
    return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  }

  it("answers 503 on /healthz and /readyz when its loops stalled, with the reason, and 200 once they go round", async () => {
    let verdict: Verdict = { ok: false, reason: "long-1: no round for 90000 ms" };
    const url = await serve(() => verdict);
    for (const path of ["/healthz", "/readyz"]) {
      const res = await fetch(url + path);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ role: "worker", reason: "long-1: no round for 90000 ms" });
    }
    verdict = { ok: true };
    expect((await fetch(url + "/healthz")).status).toBe(200);
    expect(await (await fetch(url + "/readyz")).json()).toMatchObject({ status: "ready", role: "worker" });
  });
});
