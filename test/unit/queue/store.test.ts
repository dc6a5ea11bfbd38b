import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AlreadyEnqueued, TaskStore } from "../../../src/queue/index.js";
import { LOST_WORKER_MAX_ATTEMPTS } from "../../../src/queue/store.js";
import { ENGINES, tempDatabase, type TempDatabase } from "../../support/db.js";

type Tasks = { work: { n: number } };

describe.each(ENGINES)("TaskStore on %s", (engine) => {
  let t: TempDatabase;
  let now: number;
  let store: TaskStore<Tasks>;
  beforeEach(async () => {
    t = await tempDatabase(engine);
    now = 1_000_000;
    store = new TaskStore<Tasks>(t.db, { now: () => now, agingMs: 60_000 });
  });
  afterEach(() => t.cleanup());

  it("moves a task todo → doing → succeeded", async () => {
    const id = await store.enqueue("work", { n: 1 });
    expect((await store.get(id))?.status).toBe("todo");
    const task = await store.claim("w1", ["default"], 30_000);
    expect(task).toMatchObject({ id, status: "doing", attempts: 1, workerId: "w1", payload: { n: 1 } });
    expect(await store.claim("w2", ["default"], 30_000)).toBeNull();
    await store.finish(id, "w1", { status: "succeeded" });
    expect(await store.get(id)).toMatchObject({ status: "succeeded", finishedAt: now, leaseUntil: null });
  });

  it("keeps at most one todo task per lock key, and allows a new one once the first runs", async () => {
    await store.enqueue("work", { n: 1 }, { lockKey: "poll:1" });
    await expect(store.enqueue("work", { n: 2 }, { lockKey: "poll:1" })).rejects.toThrow(AlreadyEnqueued);
    expect(await store.enqueueUnlessLocked("work", { n: 2 }, { lockKey: "poll:1" })).toBeNull();
    await store.claim("w1", ["default"], 30_000);
    expect(await store.enqueueUnlessLocked("work", { n: 3 }, { lockKey: "poll:1" })).not.toBeNull();
  });

  it("claims by priority, then age", async () => {
    const low = await store.enqueue("work", { n: 1 }, { priority: 0 });
    const high = await store.enqueue("work", { n: 2 }, { priority: 5 });
    const high2 = await store.enqueue("work", { n: 3 }, { priority: 5 });
    expect((await store.claim("w", ["default"], 1000))?.id).toBe(high);
    expect((await store.claim("w", ["default"], 1000))?.id).toBe(high2);
    expect((await store.claim("w", ["default"], 1000))?.id).toBe(low);
  });

  it("serves fairness keys round-robin at equal priority", async () => {
    for (let i = 0; i < 5; i++) await store.enqueue("work", { n: i }, { fairnessKey: "big" });
    await store.enqueue("work", { n: 100 }, { fairnessKey: "small" });
    await store.enqueue("work", { n: 101 }, { fairnessKey: "small" });
    const order: string[] = [];
    for (let i = 0; i < 4; i++) order.push((await store.claim("w", ["default"], 1000))!.fairnessKey);
    expect(order).toEqual(["big", "small", "big", "small"]);
  });

  it("ages waiting tasks so a low priority still runs", async () => {
    const old = await store.enqueue("work", { n: 1 }, { priority: 0, fairnessKey: "a" });
    now += 5 * 60_000; // five minutes of waiting is worth five priority points
    await store.enqueue("work", { n: 2 }, { priority: 4, fairnessKey: "b" });
    expect((await store.claim("w", ["default"], 1000))?.id).toBe(old);
  });

  it("does not claim tasks scheduled for later or from other queues", async () => {
    await store.enqueue("work", { n: 1 }, { runAt: now + 1000 });
    await store.enqueue("work", { n: 2 }, { queue: "short" });
    expect(await store.claim("w", ["default"], 1000)).toBeNull();
    expect((await store.claim("w", ["short"], 1000))?.payload).toEqual({ n: 2 });
    now += 1000;
    expect((await store.claim("w", ["default"], 1000))?.payload).toEqual({ n: 1 });
  });

  it("cancels a todo task, or deletes it, and says why it cannot cancel others", async () => {
    const a = await store.enqueue("work", { n: 1 });
    expect(await store.cancel(a)).toEqual({ ok: true, status: "cancelled" });
    expect((await store.get(a))?.status).toBe("cancelled");
    expect(await store.cancel(a)).toEqual({ ok: false, reason: "already_finished", status: "cancelled" });

    const b = await store.enqueue("work", { n: 2 });
    expect(await store.cancel(b, { delete: true })).toEqual({ ok: true, status: "deleted" });
    expect(await store.get(b)).toBeNull();
    expect(await store.cancel(b)).toEqual({ ok: false, reason: "unknown_task" });

    const c = await store.enqueue("work", { n: 3 });
    await store.claim("w", ["default"], 1000);
    expect(await store.cancel(c)).toEqual({ ok: false, reason: "running", status: "doing" });
    await store.finish(c, "w", { status: "succeeded" });
    expect(await store.cancel(c, { abort: true })).toEqual({ ok: false, reason: "already_finished", status: "succeeded" });
  });

  it("flags a running task for abort and tells its worker through the heartbeat", async () => {
    const id = await store.enqueue("work", { n: 1 });
    await store.claim("w", ["default"], 1000);
    const seen: number[] = [];
    store.on("abort", (x: number) => seen.push(x));
    expect(await store.cancel(id, { abort: true })).toEqual({ ok: true, status: "abort_requested" });
    expect(seen).toEqual([id]);
    expect(await store.heartbeat("w", [id], 1000)).toEqual([id]);
  });

  it("requeues the task of a dead worker when its lease expires", async () => {
    const id = await store.enqueue("work", { n: 1 });
    await store.claim("dead", ["default"], 1000);
    expect(await store.recoverExpired()).toBe(0);
    now += 1001;
    expect(await store.recoverExpired()).toBe(1);
    const again = await store.claim("alive", ["default"], 1000);
    expect(again).toMatchObject({ id, attempts: 2, workerId: "alive" });
    // The dead worker can no longer settle it.
    await store.finish(id, "dead", { status: "failed", error: "late" });
    expect((await store.get(id))?.status).toBe("doing");
  });

  it("does not requeue an expired task whose abort was requested or whose attempts are used up", async () => {
    const a = await store.enqueue("work", { n: 1 });
    const b = await store.enqueue("work", { n: 2 }, { maxAttempts: 1 });
    await store.claim("dead", ["default"], 1000);
    await store.claim("dead", ["default"], 1000);
    await store.cancel(a, { abort: true });
    now += 2000;
    await store.recoverExpired();
    expect((await store.get(a))?.status).toBe("aborted");
    expect((await store.get(b))?.status).toBe("failed");
  });

  it("does not let a run of crashes use up a task's attempts: a lost worker gives one back, up to a ceiling (the kill loop)", async () => {
    const id = await store.enqueue("work", { n: 1 }, { maxAttempts: 6 });
    const loseIt = async () => {
      expect((await store.claim("dead", ["default"], 1000))?.id).toBe(id);
      now += 1001;
      await store.recoverExpired();
    };
    for (let i = 0; i < 10; i++) await loseIt();
    expect(await store.get(id)).toMatchObject({ status: "todo", attempts: 10, maxAttempts: 16 });
    // Its own failures still have their full budget: 5 more retries after this one.
    const task = (await store.claim("w", ["default"], 1000))!;
    expect(task.maxAttempts - task.attempts).toBe(5);
    await store.finish(id, "w", { status: "succeeded" });

    // A task that kills its worker every time (a poison pill) ends failed once the ceiling is reached.
    const poison = await store.enqueue("work", { n: 2 }, { maxAttempts: 6 });
    let losses = 0;
    while ((await store.get(poison))?.status === "todo" && losses < 100) {
      await store.claim("dead", ["default"], 1000);
      now += 1001;
      await store.recoverExpired();
      losses++;
    }
    expect(await store.get(poison)).toMatchObject({ status: "failed", lastError: "worker lost (lease expired) on the last attempt" });
    expect(losses).toBe(LOST_WORKER_MAX_ATTEMPTS);
  });

  it("puts back only the newest of two expired tasks with one lock key (a task that queued its successor, both claimed)", async () => {
    const first = await store.enqueue("work", { n: 1 }, { lockKey: "poll:9" });
    await store.claim("dead", ["default"], 1000);
    const second = await store.enqueue("work", { n: 2 }, { lockKey: "poll:9" });
    await store.claim("dead", ["default"], 1000);
    now += 2000;
    expect(await store.recoverExpired()).toBe(2);
    expect((await store.get(first))?.status).toBe("failed");
    expect((await store.get(second))?.status).toBe("todo");
    expect((await store.claim("alive", ["default"], 1000))?.id).toBe(second);
  });

  it("retries a failed task at the given time, and a retry never breaks the queueing lock", async () => {
    const id = await store.enqueue("work", { n: 1 }, { lockKey: "k" });
    await store.claim("w", ["default"], 1000);
    await store.finish(id, "w", { status: "failed", error: "boom", retryAt: now + 500 });
    expect(await store.get(id)).toMatchObject({ status: "todo", scheduledAt: now + 500, lastError: "boom" });

    await store.claim("w", ["default"], 1000); // not yet due
    now += 500;
    await store.claim("w", ["default"], 1000);
    await store.enqueue("work", { n: 2 }, { lockKey: "k" });
    await store.finish(id, "w", { status: "failed", error: "again", retryAt: now + 500 });
    expect((await store.get(id))?.status).toBe("failed");
  });

  it("releases a task at shutdown without counting the attempt", async () => {
    const id = await store.enqueue("work", { n: 1 });
    await store.claim("w", ["default"], 1000);
    expect(await store.release(id, "w")).toBe(true);
    expect(await store.get(id)).toMatchObject({ status: "todo", attempts: 0 });
  });

  it("enqueues many tasks atomically", async () => {
    const ids = await store.enqueueMany([
      { name: "work", payload: { n: 1 } },
      { name: "work", payload: { n: 2 }, priority: 3 },
    ]);
    expect(ids).toHaveLength(2);
    await expect(
      store.enqueueMany([
        { name: "work", payload: { n: 3 }, lockKey: "x" },
        { name: "work", payload: { n: 4 }, lockKey: "x" },
      ]),
    ).rejects.toThrow(AlreadyEnqueued);
    expect(await store.counts()).toEqual([{ queue: "default", status: "todo", n: 2 }]);
  });

  it("answers a batch of more rows than one INSERT takes with each row's own id, and names the lock key another task holds", async () => {
    await store.enqueue("work", { n: -1 }, { lockKey: "held" });
    const items = Array.from({ length: 1_200 }, (_, n) => ({ name: "work" as const, payload: { n }, lockKey: `k${n}` }));
    const ids = await store.enqueueMany(items);
    const tasks = await Promise.all([0, 499, 500, 1_199].map((i) => store.get(ids[i]!)));
    expect(tasks.map((t) => [t?.payload, t?.lockKey])).toEqual([0, 499, 500, 1_199].map((n) => [{ n }, `k${n}`]));
    const taken = store.enqueueMany([
      ...items.slice(0, 3).map((it) => ({ ...it, lockKey: `new-${it.lockKey}` })),
      { name: "work", payload: { n: 9 }, lockKey: "held" },
    ]);
    await expect(taken).rejects.toThrow(new AlreadyEnqueued("held"));
    expect(await store.countByName("work")).toBe(1_201);
  });

  it("keeps a payload's NUL characters; a key's become U+FFFD on PostgreSQL (its text cannot hold them)", async () => {
    type Nul = { work: { s: string } };
    const s = new TaskStore<Nul>(t.db);
    const [id] = await s.enqueueMany([{ name: "work", payload: { s: "a\0b" }, fairnessKey: "k\0", lockKey: "l\0" }]);
    const task = await s.get(id!);
    expect(task?.payload).toEqual({ s: "a\0b" });
    const kept = engine === "postgres" ? "\uFFFD" : "\0";
    expect([task?.fairnessKey, task?.lockKey]).toEqual([`k${kept}`, `l${kept}`]);
  });

  it("prunes old finished tasks", async () => {
    const id = await store.enqueue("work", { n: 1 });
    await store.claim("w", ["default"], 1000);
    await store.finish(id, "w", { status: "succeeded" });
    expect(await store.prune(now)).toBe(0);
    expect(await store.prune(now + 1)).toBe(1);
  });
});

describe.each(ENGINES)("TaskStore across processes on %s", (engine) => {
  let t: TempDatabase;
  beforeEach(async () => (t = await tempDatabase(engine)));
  afterEach(() => t.cleanup());

  it("claims a task whose fairness key another process pruned while it was idle", async () => {
    const a = new TaskStore<Tasks>(t.db);
    const id = await a.enqueue("work", { n: 1 }, { fairnessKey: "p" });
    await a.claim("w", ["default"], 1000);
    await a.finish(id, "w", { status: "succeeded" });
    // Another process prunes the now idle key.
    await new TaskStore<Tasks>(await t.reopen()).prune(0);
    const next = await a.enqueue("work", { n: 2 }, { fairnessKey: "p" });
    expect((await a.claim("w", ["default"], 1000))?.id).toBe(next);
    expect(await a.repairKeys()).toBe(0);
  });

  it.runIf(engine === "postgres")(
    "recovers an expired task although another process queued its twin in the middle of the recovery",
    async () => {
      const a = new TaskStore<Tasks>(t.db);
      const b = new TaskStore<Tasks>(await t.reopen());
      const expired = await a.enqueue("work", { n: 1 }, { lockKey: "flush-checks:1" });
      await a.claim("dead", ["default"], 1);
      await new Promise((r) => setTimeout(r, 5));
      // The other process queues the twin just before the requeue statement (after the twin checks).
      let twin: number | undefined;
      const run = t.db.run.bind(t.db);
      t.db.run = async (sql, params) => {
        if (twin === undefined && sql.includes("requeued'")) twin = await b.enqueue("work", { n: 2 }, { lockKey: "flush-checks:1" });
        return run(sql, params);
      };
      expect(await a.recoverExpired()).toBe(1);
      expect((await a.get(expired))?.status).toBe("failed");
      expect((await a.get(twin!))?.status).toBe("todo");
    },
  );

  it("never gives one task to two processes claiming at once", async () => {
    const a = new TaskStore<Tasks>(t.db);
    // SQLite serves one process per file; its second "process" shares the connection.
    const b = new TaskStore<Tasks>(engine === "postgres" ? await t.reopen() : t.db);
    const ids = await a.enqueueMany(
      Array.from({ length: 60 }, (_, i) => ({ name: "work" as const, payload: { n: i }, fairnessKey: `k${i % 7}` })),
    );
    const claimed: number[] = [];
    const drain = async (s: TaskStore<Tasks>, w: string) => {
      for (let task = await s.claim(w, ["default"], 10_000); task; task = await s.claim(w, ["default"], 10_000)) {
        claimed.push(task.id);
        await s.finish(task.id, w, { status: "succeeded" });
      }
    };
    await Promise.all([drain(a, "a1"), drain(a, "a2"), drain(b, "b1"), drain(b, "b2")]);
    expect(claimed.sort((x, y) => x - y)).toEqual(ids);
  });

  it.runIf(engine === "postgres")(
    "wakes other processes only for tasks that can run now and that this process's free worker slots cannot take",
    async () => {
      const a = new TaskStore<Tasks>(t.db);
      const sent: { queue: string; promote: boolean }[] = [];
      const notify = t.db.notify.bind(t.db);
      t.db.notify = (channel, payload) => {
        sent.push(JSON.parse(payload) as { queue: string; promote: boolean });
        return notify(channel, payload);
      };
      const announced = async () => {
        await new Promise((r) => setImmediate(r));
        return sent.splice(0).map((m) => ({ queue: m.queue, promote: m.promote }));
      };
      let free = 2;
      const stopServing = a.serveLocally({ id: "w", queues: ["default"], free: () => free });
      // Two free slots take a burst of two; a third task needs another process.
      await a.enqueueMany([
        { name: "work", payload: { n: 1 } },
        { name: "work", payload: { n: 2 } },
      ]);
      expect(await announced()).toEqual([]);
      await a.enqueueMany([1, 2, 3].map((n) => ({ name: "work" as const, payload: { n } })));
      expect(await announced()).toEqual([{ queue: "default", promote: false }]);
      // A task due later wakes nobody; one for a queue no local worker serves does.
      free = 0;
      await a.enqueue("work", { n: 4 }, { runAt: Date.now() + 60_000 });
      expect(await announced()).toEqual([]);
      await a.enqueue("work", { n: 5 }, { queue: "long" });
      expect(await announced()).toEqual([{ queue: "long", promote: false }]);
      // A requeued task is not ready: the receiver promotes before claiming.
      const claimed = await a.claim("w2", ["long"], 10_000);
      await a.release(claimed!.id, "w2");
      expect(await announced()).toEqual([{ queue: "long", promote: true }]);
      stopServing();
    },
  );

  // SQLite has one process per file: the heartbeat carries aborts (tested above).
  it.skipIf(engine === "sqlite")("delivers an abort requested in one process to the worker's store in another", async () => {
    const a = new TaskStore<Tasks>(t.db);
    const b = new TaskStore<Tasks>(await t.reopen());
    await a.watchOtherProcesses();
    const id = await a.enqueue("work", { n: 1 });
    await a.claim("w", ["default"], 10_000);
    const seen = new Promise<number>((resolve) => a.once("abort", resolve));
    expect(await b.cancel(id, { abort: true })).toEqual({ ok: true, status: "abort_requested" });
    expect(await seen).toBe(id);
    await a.stopWatching();
  });
});
