import { spawn } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TaskStore, Worker, exponentialBackoff } from "../../src/queue/index.js";
import { ENGINES, silentLog, tempDatabase, waitFor, type TempDatabase } from "../support/db.js";

describe.each(ENGINES)("a worker process on %s", (engine) => {
  let t: TempDatabase;
  beforeEach(async () => {
    t = await tempDatabase(engine);
  });
  afterEach(() => t.cleanup());

  it("loses no task when a worker process is killed with SIGKILL mid-task", async () => {
    const store = new TaskStore<{ sleep: { ms: number } }>(t.db);
    const ids = [await store.enqueue("sleep", { ms: 60_000 }), await store.enqueue("sleep", { ms: 10 })];

    const child = spawn(process.execPath, ["--import", "tsx", "test/support/worker-process.ts", t.url ?? t.path], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes(`started ${ids[0]}`), 20_000, "child worker to start the long task");
    expect((await store.get(ids[0]!))?.status).toBe("doing");

    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));

    // A new worker takes over once the dead worker's lease (500 ms) has expired.
    const done: number[] = [];
    const worker = new Worker(
      store,
      {
        sleep(_p, ctx) {
          done.push(ctx.taskId);
          return Promise.resolve();
        },
      },
      {
        queues: ["default"],
        concurrency: 2,
        pollIntervalMs: 50,
        leaseMs: 500,
        retry: exponentialBackoff({ baseMs: 10, maxMs: 10 }),
        log: silentLog,
      },
    );
    worker.start();
    try {
      await waitFor(
        async () => (await Promise.all(ids.map((id) => store.get(id)))).every((x) => x?.status === "succeeded"),
        10_000,
        "both tasks to succeed",
      );
    } finally {
      await worker.stop(100);
    }
    expect(done).toContain(ids[0]);
    expect((await store.get(ids[0]!))?.attempts).toBe(2);
    expect((await store.get(ids[0]!))?.lastError).toContain("lease expired");
  }, 40_000);
});
