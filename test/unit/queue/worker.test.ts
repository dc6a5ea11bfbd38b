import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PermanentTaskError, TaskStore, Worker, exponentialBackoff, type TaskHandlers } from "../../../src/queue/index.js";
import { ENGINES, silentLog, sqliteOf, tempDatabase, waitFor, type TempDatabase } from "../../support/db.js";

type Tasks = { job: { name: string } };

describe.each(ENGINES)("Worker on %s", (engine) => {
  let t: TempDatabase;
  let store: TaskStore<Tasks>;
  const workers: Worker<Tasks>[] = [];
  beforeEach(async () => {
    t = await tempDatabase(engine);
    store = new TaskStore<Tasks>(t.db);
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop(100)));
    await t.cleanup();
  });

  function startWorker(
    handlers: Partial<TaskHandlers<Tasks>>,
    opts: { pollIntervalMs?: number; concurrency?: number; onEnd?: string[] } = {},
    s = store,
  ) {
    const w = new Worker<Tasks>(s, handlers, {
      queues: ["default"],
      concurrency: opts.concurrency ?? 2,
      pollIntervalMs: opts.pollIntervalMs ?? 1000,
      leaseMs: 5000,
      retry: exponentialBackoff({ baseMs: 10, maxMs: 10, jitter: false }),
      log: silentLog,
      onTaskEnd: (e) => opts.onEnd?.push(`${String((e.task.payload as { name?: string } | undefined)?.name)}:${e.outcome}`),
    });
    workers.push(w);
    w.start();
    return w;
  }

  it("runs a task as soon as it is enqueued, without waiting for a poll", async () => {
    const ran: string[] = [];
    startWorker(
      {
        job(p) {
          ran.push(p.name);
          return Promise.resolve();
        },
      },
      { pollIntervalMs: 60_000 },
    );
    const id = await store.enqueue("job", { name: "a" });
    await waitFor(async () => (await store.get(id))?.status === "succeeded", 1000, "task to succeed");
    expect(ran).toEqual(["a"]);
  });

  it("retries a failing task with backoff until it succeeds", async () => {
    let calls = 0;
    startWorker(
      {
        job() {
          return ++calls < 3 ? Promise.reject(new Error(`flaky ${calls}`)) : Promise.resolve();
        },
      },
      { pollIntervalMs: 20 },
    );
    const id = await store.enqueue("job", { name: "a" }, { maxAttempts: 5 });
    await waitFor(async () => (await store.get(id))?.status === "succeeded", 3000, "success after retries");
    expect(await store.get(id)).toMatchObject({ attempts: 3, lastError: "flaky 2" });
  });

  it("stops retrying after max attempts, and never retries a permanent error", async () => {
    startWorker(
      {
        job(p) {
          return Promise.reject(p.name === "perm" ? new PermanentTaskError("bad input") : new Error("always"));
        },
      },
      { pollIntervalMs: 20 },
    );
    const a = await store.enqueue("job", { name: "always" }, { maxAttempts: 2 });
    const b = await store.enqueue("job", { name: "perm" }, { maxAttempts: 5 });
    await waitFor(async () => (await store.get(a))?.status === "failed" && (await store.get(b))?.status === "failed", 3000, "failures");
    expect(await store.get(a)).toMatchObject({ attempts: 2, lastError: "always" });
    expect(await store.get(b)).toMatchObject({ attempts: 1, lastError: "bad input" });
  });

  it("fails a task with no handler, clearly", async () => {
    startWorker({});
    const id = await store.enqueue("job", { name: "x" });
    await waitFor(async () => (await store.get(id))?.status === "failed");
    expect((await store.get(id))?.lastError).toBe('no handler for task "job"');
  });

  it("delivers an abort to a running task in-process at once; aborted-then-failed is not retried", async () => {
    let sawAbort = false;
    startWorker({
      job: (_p, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener("abort", () => {
            sawAbort = true;
            reject(new Error("stopped on abort"));
          });
        }),
    });
    const id = await store.enqueue("job", { name: "long" }, { maxAttempts: 5 });
    await waitFor(async () => (await store.get(id))?.status === "doing");
    expect(await store.cancel(id, { abort: true })).toEqual({ ok: true, status: "abort_requested" });
    await waitFor(async () => (await store.get(id))?.status === "aborted", 1000, "aborted");
    expect(sawAbort).toBe(true);
    expect(await store.get(id)).toMatchObject({ attempts: 1, lastError: "stopped on abort" });
  });

  it("delivers an abort requested by another process within the poll interval", async () => {
    let abortedAt = 0;
    startWorker(
      {
        job: (_p, ctx) =>
          new Promise((resolve) => {
            ctx.signal.addEventListener("abort", () => {
              abortedAt = Date.now();
              resolve();
            });
          }),
      },
      { pollIntervalMs: 100 },
    );
    const id = await store.enqueue("job", { name: "long" });
    await waitFor(async () => (await store.get(id))?.status === "doing");
    // Another connection (as the CLI in another process would) sets the flag; no event reaches this worker.
    const other = new TaskStore<Tasks>(await t.reopen());
    const requestedAt = Date.now();
    await other.cancel(id, { abort: true });
    await waitFor(async () => (await store.get(id))?.status === "aborted", 2000, "aborted via poll");
    expect(abortedAt - requestedAt).toBeLessThanOrEqual(250);
  });

  it("respects concurrency", async () => {
    let active = 0;
    let peak = 0;
    let started = 0;
    const waiting: (() => void)[] = [];
    // Each task holds its slot until three run at once (or the last one started): a peak of 3 is reached whatever the speed.
    const job = async () => {
      active++;
      started++;
      peak = Math.max(peak, active);
      if (active === 3 || started === 10) waiting.splice(0).forEach((go) => go());
      else await new Promise<void>((go) => waiting.push(go));
      await new Promise((r) => setTimeout(r, 5));
      active--;
    };
    const ids = await store.enqueueMany(Array.from({ length: 10 }, (_, i) => ({ name: "job" as const, payload: { name: String(i) } })));
    startWorker({ job }, { concurrency: 3 });
    await waitFor(
      async () => (await Promise.all(ids.map((id) => store.get(id)))).every((x) => x?.status === "succeeded"),
      3000,
      "all done",
    );
    expect(peak).toBe(3);
  });

  it("on stop, lets short tasks finish and gives long ones back to the queue", async () => {
    let longStarted!: () => void;
    const longRunning = new Promise<void>((r) => (longStarted = r));
    let stopping!: () => void;
    const stopCalled = new Promise<void>((r) => (stopping = r));
    const w = startWorker({
      job: (p, ctx) =>
        new Promise((resolve, reject) => {
          // The short task is still running when stop() is called, and ends within its grace.
          if (p.name === "short") void stopCalled.then(() => setTimeout(resolve, 20));
          else {
            longStarted();
            ctx.signal.addEventListener("abort", () => reject(new Error("shutdown")));
          }
        }),
    });
    const short = await store.enqueue("job", { name: "short" });
    const long = await store.enqueue("job", { name: "long" });
    await longRunning;
    expect((await store.get(short))?.status).toBe("doing");
    const stopped = w.stop(200);
    stopping();
    await stopped;
    expect((await store.get(short))?.status).toBe("succeeded");
    expect(await store.get(long)).toMatchObject({ status: "todo", attempts: 0 });
  });
});

describe.each(ENGINES)("Worker wake-ups on %s", (engine) => {
  it("runs a task scheduled a little ahead when it is due, not at the next poll", async () => {
    const t = await tempDatabase(engine);
    const store = new TaskStore<Tasks>(t.db);
    const w = new Worker<Tasks>(
      store,
      { async job() {} },
      {
        queues: ["default"],
        concurrency: 1,
        pollIntervalMs: 60_000,
        leaseMs: 5000,
        retry: exponentialBackoff({ baseMs: 10, maxMs: 10 }),
        log: silentLog,
      },
    );
    w.start();
    try {
      const id = await store.enqueue("job", { name: "soon" }, { runAt: Date.now() + 50 });
      await waitFor(async () => (await store.get(id))?.status === "succeeded", 1000, "the task due in 50 ms");
    } finally {
      await w.stop(100);
      await t.cleanup();
    }
  });
});

describe.each(ENGINES)("Worker leases on %s", (engine) => {
  it("renews its running tasks' leases even while recovering dead workers' tasks keeps failing", async () => {
    const t = await tempDatabase(engine);
    const store = new TaskStore<Tasks>(t.db);
    store.recoverExpired = () => Promise.reject(new Error("recovery refused"));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const w = new Worker<Tasks>(
      store,
      { job: () => held },
      {
        queues: ["default"],
        concurrency: 1,
        pollIntervalMs: 20,
        leaseMs: 300,
        retry: exponentialBackoff({ baseMs: 10, maxMs: 10 }),
        log: silentLog,
      },
    );
    try {
      const id = await store.enqueue("job", { name: "a" });
      w.start();
      await waitFor(async () => (await store.get(id))?.status === "doing", 5000, "the task to start");
      const first = (await store.get(id))!.leaseUntil!;
      await waitFor(async () => (await store.get(id))!.leaseUntil! > first + 100, 5000, "the lease renewed");
      release();
      await waitFor(async () => (await store.get(id))?.status === "succeeded", 5000, "the task to succeed");
    } finally {
      release();
      await w.stop(100);
      await t.cleanup();
    }
  });
});

describe("Worker on a full disk (issue 23 item 6)", () => {
  it("logs a claim that keeps failing once per interval with a count, and claims again when space is back", async () => {
    const t = await tempDatabase("sqlite");
    let clock = 1_000_000;
    const store = new TaskStore<Tasks>(t.db, { now: () => clock });
    const errors: { obj: { times?: number; storageFull?: boolean }; msg?: string }[] = [];
    const infos: string[] = [];
    const log = {
      ...silentLog,
      error: (obj: object, msg?: string) => errors.push({ obj, msg }),
      info: (_: object, msg?: string) => infos.push(msg ?? ""),
    };
    const ran: string[] = [];
    const id = await store.enqueue("job", { name: "a" });
    // Every claim's write is refused the way a full disk refuses it.
    sqliteOf(t.db).exec("CREATE TRIGGER disk_full BEFORE UPDATE ON tasks BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END");
    let claims = 0;
    const claim = store.claim.bind(store);
    store.claim = (...args) => (claims++, claim(...args));
    const w = new Worker<Tasks>(
      store,
      {
        job(p) {
          ran.push(p.name);
          return Promise.resolve();
        },
      },
      {
        queues: ["default"],
        concurrency: 1,
        pollIntervalMs: 5,
        leaseMs: 5000,
        retry: exponentialBackoff({ baseMs: 10, maxMs: 10 }),
        log,
        faultLogIntervalMs: 60_000,
      },
    );
    try {
      w.start();
      await waitFor(() => errors.length === 1, 5000, "the first report");
      expect(errors[0]).toMatchObject({ msg: "worker could not claim a task", obj: { times: 1, storageFull: true } });
      await waitFor(() => claims >= 10, 5000, "ten claims refused");
      expect(errors).toHaveLength(1);
      clock += 61_000; // a minute later: one more line, counting every failure in between
      await waitFor(() => errors.length === 2, 5000, "the report a minute later");
      expect(errors[1]!.obj.times).toBeGreaterThanOrEqual(9);
      expect(errors[1]!.msg).toMatch(/^worker could not claim a task \(\d+ times since the last report\)$/);

      sqliteOf(t.db).exec("DROP TRIGGER disk_full");
      await waitFor(async () => (await store.get(id))?.status === "succeeded", 5000, "the task claimed once space is back");
      expect(ran).toEqual(["a"]);
      expect(infos.some((m) => /^worker could not claim a task: works again after \d+ failures$/.test(m))).toBe(true);
      expect(errors).toHaveLength(2);
    } finally {
      await w.stop(100);
      await t.cleanup();
    }
  });
});
