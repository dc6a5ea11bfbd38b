import { afterEach, describe, expect, it, vi } from "vitest";
import { TaskStore, Worker, exponentialBackoff } from "../../../src/queue/index.js";
import { WebhookLoad } from "../../../src/webhooks/request-load.js";
import { silentLog, tempDatabase, waitFor } from "../../support/db.js";

describe("WebhookLoad: a burst of deliveries goes before the workers' next task", () => {
  afterEach(() => vi.useRealTimers());

  it("lets a claim go at once when no delivery is being answered or arrived just now", () => {
    vi.useFakeTimers();
    const load = new WebhookLoad(() => Date.now());
    expect(load.yieldFor(1000)).toBeUndefined();
    const end = load.begin();
    vi.advanceTimersByTime(5);
    end();
    vi.advanceTimersByTime(100);
    expect(load.yieldFor(1000)).toBeUndefined();
  });

  it("waits until the deliveries have been quiet a moment", async () => {
    vi.useFakeTimers();
    const load = new WebhookLoad(() => Date.now());
    const end = load.begin();
    let resolvedAt: number | undefined;
    const start = Date.now();
    void load.yieldFor(1000)!.then(() => (resolvedAt = Date.now() - start));
    await vi.advanceTimersByTimeAsync(300);
    expect(resolvedAt).toBeUndefined(); // still answering
    end();
    await vi.advanceTimersByTimeAsync(100);
    expect(resolvedAt).toBeGreaterThanOrEqual(300);
    expect(resolvedAt).toBeLessThan(350);
  });

  it("waits at most maxMs while deliveries keep coming: the workers slow down, never stop", async () => {
    vi.useFakeTimers();
    const load = new WebhookLoad(() => Date.now());
    load.begin()();
    const stream = setInterval(() => load.begin()(), 5);
    let resolvedAt: number | undefined;
    const start = Date.now();
    void load.yieldFor(500)!.then(() => (resolvedAt = Date.now() - start));
    await vi.advanceTimersByTimeAsync(600);
    clearInterval(stream);
    expect(resolvedAt).toBeGreaterThanOrEqual(500);
    expect(resolvedAt).toBeLessThan(520);
  });

  it("holds a worker's next task until the delivery being answered is answered", async () => {
    const t = await tempDatabase("sqlite");
    const store = new TaskStore<{ job: object }>(t.db);
    const load = new WebhookLoad();
    const order: string[] = [];
    const worker = new Worker(
      store,
      { job: () => Promise.resolve(void order.push("task ran")) },
      {
        queues: ["default"],
        concurrency: 1,
        pollIntervalMs: 60_000,
        leaseMs: 5000,
        retry: exponentialBackoff({ baseMs: 10, maxMs: 10, jitter: false }),
        log: silentLog,
        beforeClaim: () => load.yieldFor(10_000),
      },
    );
    try {
      const answered = load.begin();
      worker.start();
      const id = await store.enqueue("job", {});
      setTimeout(() => {
        order.push("delivery answered");
        answered();
      }, 100);
      await waitFor(async () => (await store.get(id))?.status === "succeeded", 15_000, "the task to run");
      expect(order).toEqual(["delivery answered", "task ran"]);
    } finally {
      await worker.stop(100);
      await t.cleanup();
    }
  });
});
