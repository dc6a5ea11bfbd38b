import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AlreadyEnqueued, TaskStore } from "../../../src/queue/index.js";
import { tempDatabase } from "../../support/db.js";

type Tasks = { work: { n: number } };

describe("TaskStore", () => {
  let t: ReturnType<typeof tempDatabase>;
  let now: number;
  let store: TaskStore<Tasks>;
  beforeEach(() => {
    t = tempDatabase();
    now = 1_000_000;
    store = new TaskStore<Tasks>(t.db, { now: () => now, agingMs: 60_000 });
  });
  afterEach(() => t.cleanup());

  it("moves a task todo → doing → succeeded", () => {
    const id = store.enqueue("work", { n: 1 });
    expect(store.get(id)?.status).toBe("todo");
    const task = store.claim("w1", ["default"], 30_000);
    expect(task).toMatchObject({ id, status: "doing", attempts: 1, workerId: "w1", payload: { n: 1 } });
    expect(store.claim("w2", ["default"], 30_000)).toBeNull();
    store.finish(id, "w1", { status: "succeeded" });
    expect(store.get(id)).toMatchObject({ status: "succeeded", finishedAt: now, leaseUntil: null });
  });

  it("keeps at most one todo task per lock key, and allows a new one once the first runs", () => {
    store.enqueue("work", { n: 1 }, { lockKey: "poll:1" });
    expect(() => store.enqueue("work", { n: 2 }, { lockKey: "poll:1" })).toThrow(AlreadyEnqueued);
    expect(store.enqueueUnlessLocked("work", { n: 2 }, { lockKey: "poll:1" })).toBeNull();
    store.claim("w1", ["default"], 30_000);
    expect(store.enqueueUnlessLocked("work", { n: 3 }, { lockKey: "poll:1" })).not.toBeNull();
  });

  it("claims by priority, then age", () => {
    const low = store.enqueue("work", { n: 1 }, { priority: 0 });
    const high = store.enqueue("work", { n: 2 }, { priority: 5 });
    const high2 = store.enqueue("work", { n: 3 }, { priority: 5 });
    expect(store.claim("w", ["default"], 1000)?.id).toBe(high);
    expect(store.claim("w", ["default"], 1000)?.id).toBe(high2);
    expect(store.claim("w", ["default"], 1000)?.id).toBe(low);
  });

  it("serves fairness keys round-robin at equal priority", () => {
    for (let i = 0; i < 5; i++) store.enqueue("work", { n: i }, { fairnessKey: "big" });
    store.enqueue("work", { n: 100 }, { fairnessKey: "small" });
    store.enqueue("work", { n: 101 }, { fairnessKey: "small" });
    const order = Array.from({ length: 4 }, () => store.claim("w", ["default"], 1000)!.fairnessKey);
    expect(order).toEqual(["big", "small", "big", "small"]);
  });

  it("ages waiting tasks so a low priority still runs", () => {
    const old = store.enqueue("work", { n: 1 }, { priority: 0, fairnessKey: "a" });
    now += 5 * 60_000; // five minutes of waiting is worth five priority points
    store.enqueue("work", { n: 2 }, { priority: 4, fairnessKey: "b" });
    expect(store.claim("w", ["default"], 1000)?.id).toBe(old);
  });

  it("does not claim tasks scheduled for later or from other queues", () => {
    store.enqueue("work", { n: 1 }, { runAt: now + 1000 });
    store.enqueue("work", { n: 2 }, { queue: "short" });
    expect(store.claim("w", ["default"], 1000)).toBeNull();
    expect(store.claim("w", ["short"], 1000)?.payload).toEqual({ n: 2 });
    now += 1000;
    expect(store.claim("w", ["default"], 1000)?.payload).toEqual({ n: 1 });
  });

  it("cancels a todo task, or deletes it, and says why it cannot cancel others", () => {
    const a = store.enqueue("work", { n: 1 });
    expect(store.cancel(a)).toEqual({ ok: true, status: "cancelled" });
    expect(store.get(a)?.status).toBe("cancelled");
    expect(store.cancel(a)).toEqual({ ok: false, reason: "already_finished", status: "cancelled" });

    const b = store.enqueue("work", { n: 2 });
    expect(store.cancel(b, { delete: true })).toEqual({ ok: true, status: "deleted" });
    expect(store.get(b)).toBeNull();
    expect(store.cancel(b)).toEqual({ ok: false, reason: "unknown_task" });

    const c = store.enqueue("work", { n: 3 });
    store.claim("w", ["default"], 1000);
    expect(store.cancel(c)).toEqual({ ok: false, reason: "running", status: "doing" });
    store.finish(c, "w", { status: "succeeded" });
    expect(store.cancel(c, { abort: true })).toEqual({ ok: false, reason: "already_finished", status: "succeeded" });
  });

  it("flags a running task for abort and tells its worker through the heartbeat", () => {
    const id = store.enqueue("work", { n: 1 });
    store.claim("w", ["default"], 1000);
    const seen: number[] = [];
    store.on("abort", (x: number) => seen.push(x));
    expect(store.cancel(id, { abort: true })).toEqual({ ok: true, status: "abort_requested" });
    expect(seen).toEqual([id]);
    expect(store.heartbeat("w", [id], 1000)).toEqual([id]);
  });

  it("requeues the task of a dead worker when its lease expires", () => {
    const id = store.enqueue("work", { n: 1 });
    store.claim("dead", ["default"], 1000);
    expect(store.recoverExpired()).toBe(0);
    now += 1001;
    expect(store.recoverExpired()).toBe(1);
    const again = store.claim("alive", ["default"], 1000);
    expect(again).toMatchObject({ id, attempts: 2, workerId: "alive" });
    // The dead worker can no longer settle it.
    store.finish(id, "dead", { status: "failed", error: "late" });
    expect(store.get(id)?.status).toBe("doing");
  });

  it("does not requeue an expired task whose abort was requested or whose attempts are used up", () => {
    const a = store.enqueue("work", { n: 1 });
    const b = store.enqueue("work", { n: 2 }, { maxAttempts: 1 });
    store.claim("dead", ["default"], 1000);
    store.claim("dead", ["default"], 1000);
    store.cancel(a, { abort: true });
    now += 2000;
    store.recoverExpired();
    expect(store.get(a)?.status).toBe("aborted");
    expect(store.get(b)?.status).toBe("failed");
  });

  it("retries a failed task at the given time, and a retry never breaks the queueing lock", () => {
    const id = store.enqueue("work", { n: 1 }, { lockKey: "k" });
    store.claim("w", ["default"], 1000);
    store.finish(id, "w", { status: "failed", error: "boom", retryAt: now + 500 });
    expect(store.get(id)).toMatchObject({ status: "todo", scheduledAt: now + 500, lastError: "boom" });

    store.claim("w", ["default"], 1000); // not yet due
    now += 500;
    store.claim("w", ["default"], 1000);
    store.enqueue("work", { n: 2 }, { lockKey: "k" });
    store.finish(id, "w", { status: "failed", error: "again", retryAt: now + 500 });
    expect(store.get(id)?.status).toBe("failed");
  });

  it("releases a task at shutdown without counting the attempt", () => {
    const id = store.enqueue("work", { n: 1 });
    store.claim("w", ["default"], 1000);
    expect(store.release(id, "w")).toBe(true);
    expect(store.get(id)).toMatchObject({ status: "todo", attempts: 0 });
  });

  it("enqueues many tasks atomically", () => {
    const ids = store.enqueueMany([
      { name: "work", payload: { n: 1 } },
      { name: "work", payload: { n: 2 }, priority: 3 },
    ]);
    expect(ids).toHaveLength(2);
    expect(() =>
      store.enqueueMany([
        { name: "work", payload: { n: 3 }, lockKey: "x" },
        { name: "work", payload: { n: 4 }, lockKey: "x" },
      ]),
    ).toThrow(AlreadyEnqueued);
    expect(store.counts()).toEqual([{ queue: "default", status: "todo", n: 2 }]);
  });

  it("prunes old finished tasks", () => {
    const id = store.enqueue("work", { n: 1 });
    store.claim("w", ["default"], 1000);
    store.finish(id, "w", { status: "succeeded" });
    expect(store.prune(now)).toBe(0);
    expect(store.prune(now + 1)).toBe(1);
  });
});

describe("TaskStore across processes", () => {
  it("still claims a task whose fairness key another process pruned, once keys are repaired", () => {
    const t = tempDatabase();
    try {
      const a = new TaskStore<Tasks>(t.db);
      const id = a.enqueue("work", { n: 1 }, { fairnessKey: "p" });
      a.claim("w", ["default"], 1000);
      a.finish(id, "w", { status: "succeeded" });
      // Another process prunes the now idle key; this store still believes it exists.
      new TaskStore<Tasks>(t.db).prune(0);
      const next = a.enqueue("work", { n: 2 }, { fairnessKey: "p" });
      expect(a.claim("w", ["default"], 1000)).toBeNull();
      expect(a.repairKeys()).toBe(1);
      expect(a.claim("w", ["default"], 1000)?.id).toBe(next);
    } finally {
      t.cleanup();
    }
  });
});
