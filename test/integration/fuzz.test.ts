/**
 * Webhook fuzzing: ≥ 10,000 payloads mutated from the shapes GitHub sends (the
 * simulator's payload builders), delivered with valid signatures over HTTP to the
 * real service, 8 at a time. Whatever arrives, the process must not crash, every
 * request must get a proper HTTP answer, memory must stay bounded, and the service
 * must still run jobs afterwards.
 *
 * Reproduce a run with `FUZZ_SEED=<seed> npx vitest run test/integration/fuzz.test.ts`
 * (the seed is printed); `FUZZ_N` changes the number of deliveries; `FUZZ_ONLY=<index>`
 * replays one delivery of that seed and prints it, `FUZZ_LOG_FILE=<path>` keeps the
 * service's log (with `FUZZ_LOG=debug` for more).
 */
import { Rng } from "../../testing/rng.js";
import { rowCounts } from "../../src/db/copy.js";
import { sqliteOf } from "../support/db.js";
import { appendFileSync } from "node:fs";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pullRequestEvent, type SimRepo } from "../../testing/github-sim/index.js";
import { createLogger } from "../../src/log.js";
import { deliveriesSettled, startWorld, waitFor, type World } from "../support/env.js";
import { deliver, variation } from "../support/fuzz-deliveries.js";
import { gc } from "../support/heap.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20_251_125) >>> 0;
const N = Math.max(1, Number(process.env.FUZZ_N ?? 10_000));
const CONCURRENCY = 8;
const MB = 1024 * 1024;

/**
 * The fuzzed repository has a config whose jobs all wait for a manual command:
 * valid events are planned and stored, but nothing is submitted to a backend, so
 * the per-request cost stays local.
 */
const MANUAL_CONFIG = `
specfile_path: widget.spec
jobs:
  - job: copr_build
    trigger: pull_request
    manual_trigger: true
    targets: [fedora-rawhide-x86_64]
  - job: copr_build
    trigger: commit
    manual_trigger: true
    targets: [fedora-rawhide-x86_64]
  - job: copr_build
    trigger: release
    manual_trigger: true
    targets: [fedora-rawhide-x86_64]
`;
const ONE_BUILD =
  "specfile_path: gizmo.spec\njobs:\n  - job: copr_build\n    trigger: pull_request\n    targets: [fedora-rawhide-x86_64]\n";

// --- the test ------------------------------------------------------------------------------

describe("webhook fuzzing", () => {
  const processErrors: string[] = [];
  const onRejection = (reason: unknown) => processErrors.push(`unhandledRejection: ${String((reason as Error)?.stack ?? reason)}`);
  const onException = (err: Error) => processErrors.push(`uncaughtException: ${err.stack ?? err.message}`);
  let world: World | undefined;

  beforeAll(() => {
    process.on("unhandledRejection", onRejection);
    process.on("uncaughtException", onException);
  });
  afterAll(async () => {
    await world?.stop();
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  });

  it(`survives ${N} mutated deliveries (seed ${SEED}): no crash, a proper HTTP answer each, bounded memory, and jobs still run`, async () => {
    console.log(`fuzz: seed ${SEED}, ${N} deliveries, concurrency ${CONCURRENCY} (reproduce with FUZZ_SEED=${SEED})`);
    // Log at info, as in production, so that logging hostile payloads is exercised too.
    let logged = 0;
    const logFile = process.env.FUZZ_LOG_FILE; // keep the service's log lines for a replay (FUZZ_ONLY)
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logged += (chunk as Buffer).length;
        if (logFile) appendFileSync(logFile, chunk as Buffer);
        cb();
      },
    });
    world = await startWorld(MANUAL_CONFIG, {
      log: await createLogger({ level: process.env.FUZZ_LOG ?? "info", destination: sink }),
    });
    const w = world;
    // The installation's JSON as GitHub sends it (adding it again keeps its repositories).
    const installation = w.sim.addInstallation({ id: 100, account: { login: "acme", type: "Organization" } });
    const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();

    const rng = new Rng(SEED);
    // Generated up front, in order, so that the seed alone decides every delivery.
    const previousIds: string[] = [];
    const deliveries = Array.from({ length: N }, () => {
      const v = variation(rng, w, installation, previousIds);
      if (previousIds.length < 200) previousIds.push(v.id);
      return v;
    });
    if (process.env.FUZZ_ONLY) {
      // Replay one delivery of this seed and show it: FUZZ_ONLY=<index>.
      const d = deliveries[Number(process.env.FUZZ_ONLY)]!;
      const res = await deliver(w, d.event, d.body, d.id);
      console.log(
        `#${process.env.FUZZ_ONLY} ${d.event} [${d.ops.join("; ")}] → HTTP ${res.status} ${res.text.slice(0, 500)}\n${d.body.slice(0, 20_000)}`,
      );
      return;
    }
    const bytes = deliveries.reduce((n, d) => n + d.body.length, 0);

    gc();
    const heap0 = process.memoryUsage().heapUsed;
    let peak = heap0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 100);
    const statuses = new Map<number, number>();
    const errors = new Map<string, number>();
    const samples = new Map<string, string>();
    const bad: string[] = [];
    let next = 0;
    const t0 = Date.now();
    try {
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let i = next++; i < deliveries.length; i = next++) {
            const d = deliveries[i]!;
            if (process.env.FUZZ_PROGRESS && i % 1000 === 0) console.log(`fuzz: #${i} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
            try {
              const res = await deliver(w, d.event, d.body, d.id);
              statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
              const wellFormed =
                Number.isInteger(res.status) && ((res.status >= 200 && res.status < 300) || (res.status >= 400 && res.status < 600));
              if (!wellFormed) bad.push(`#${i} ${d.event} [${d.ops.join("; ")}]: HTTP ${res.status} ${res.text.slice(0, 200)}`);
              if (res.status >= 500) {
                let msg = res.text || "(empty body)";
                try {
                  const said = (JSON.parse(msg) as { error?: unknown }).error;
                  if (typeof said === "string") msg = said;
                } catch {
                  // not JSON: keep the text
                }
                msg = msg.replace(/\d+/g, "N").replace(/\s+/g, " ").slice(0, 140);
                errors.set(msg, (errors.get(msg) ?? 0) + 1);
                if (!samples.has(msg)) samples.set(msg, `#${i} ${d.event} [${d.ops.join("; ")}]`);
              }
            } catch (err) {
              bad.push(
                `#${i} ${d.event} [${d.ops.join("; ")}]: no HTTP answer: ${(err as Error).message} ${String((err as { cause?: Error }).cause?.message ?? "")}`,
              );
            }
          }
        }),
      );
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - t0) / 1000;
    const rows = await rowCounts(w.deps.db);
    gc();
    const heap1 = process.memoryUsage().heapUsed;
    console.log(
      `fuzz: ${N} deliveries (${(bytes / MB).toFixed(1)} MB) in ${seconds.toFixed(1)} s (${Math.round(N / seconds)}/s); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; ` +
        `stored ${rows.deliveries} deliveries, ${rows.pipelines} pipelines, ${rows.repositories} repositories, ${rows.installations} installations; ` +
        `heap ${(heap0 / MB).toFixed(0)} → peak ${(peak / MB).toFixed(0)} → ${(heap1 / MB).toFixed(0)} MB after GC; ${(logged / MB).toFixed(1)} MB of logs`,
    );
    console.log(
      `fuzz: 5xx answers by message:\n${[...errors]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 25)
        .map(([m, n]) => `  ${n} × ${m}\n      e.g. ${samples.get(m)}`)
        .join("\n")}`,
    );

    expect(bad.slice(0, 20), `${bad.length} deliveries without a proper answer (seed ${SEED})`).toEqual([]);
    expect(processErrors, `unhandled errors in the process (seed ${SEED})`).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(N);
    expect((await fetch(`${w.service.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${w.service.url}/readyz`)).status).toBe(200);
    expect(heap1 - heap0, "heap retained after the run").toBeLessThan(200 * MB);
    expect(peak - heap0, "heap peak during the run").toBeLessThan(400 * MB);
    expect(Object.getOwnPropertyNames(Object.prototype).sort(), "Object.prototype untouched").toEqual(protoBefore);
    expect(({} as Record<string, unknown>).polluted, "no prototype pollution").toBeUndefined();
    if (w.deps.db.dialect === "sqlite") expect(sqliteOf(w.deps.db).pragma("integrity_check", { simple: true })).toBe("ok");

    // A valid delivery afterwards still runs its jobs (a repository the fuzzing never named). The fuzzing's
    // own tasks end first: older tasks rank higher (a point a minute of waiting), so on a loaded machine a
    // fresh delivery waits behind them, and this checks that jobs still run, not how fast the backlog drains.
    await deliveriesSettled(w, 120_000);
    w.sim.addInstallation({ id: 4242, account: { login: "fresh", type: "Organization" } });
    const gizmo: SimRepo = w.sim.addRepo({ installationId: 4242, owner: "fresh", name: "gizmo", files: { ".packit.yaml": ONE_BUILD } });
    w.sim.setPermission("fresh", "gizmo", "contributor", "write");
    const sha = new Rng(SEED ^ 0xabcdef).hex(40);
    const res = await w.send("pull_request", pullRequestEvent("opened", { repo: gizmo, number: 1, headSha: sha, author: "contributor" }));
    expect(res.status, res.body).toBe(200);
    await waitFor(() => w.sim.checkRuns("fresh", "gizmo", sha).some((c) => c.conclusion === "success"), 15_000, "the build after fuzzing");
    expect(processErrors).toEqual([]);
  }, 600_000); // a bound for a loaded machine (90 s on a quiet one), not a measure
});
