import { describe, expect, it } from "vitest";
import { concurrencyLimit } from "../../../src/util/concurrency.js";

/** A call that stays in flight until the test lets it finish. */
function controlled() {
  const calls: { id: number; finish: () => void }[] = [];
  const started: number[] = [];
  const call = (id: number) => () =>
    new Promise<number>((resolve) => {
      started.push(id);
      calls.push({ id, finish: () => resolve(id) });
    });
  const finish = (id: number) => calls.find((c) => c.id === id)!.finish();
  return { call, started, finish };
}

const settle = () => new Promise((r) => setImmediate(r));

describe("concurrencyLimit", () => {
  it("runs at most `limit` calls at once and starts the waiting ones in call order", async () => {
    const gate = concurrencyLimit(2);
    const c = controlled();
    const results = [1, 2, 3, 4, 5].map((id) => gate(c.call(id)));
    await settle();
    expect(c.started).toEqual([1, 2]);

    c.finish(2);
    await settle();
    expect(c.started).toEqual([1, 2, 3]);

    // A caller arriving just as a slot is handed over does not squeeze in past the limit.
    c.finish(1);
    const late = gate(c.call(6));
    await settle();
    expect(c.started).toEqual([1, 2, 3, 4]);

    for (const id of [3, 4, 5, 6]) {
      c.finish(id);
      await settle();
    }
    expect(await Promise.all([...results, late])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(c.started).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("frees the slot of a call that fails", async () => {
    const gate = concurrencyLimit(1);
    await expect(gate(() => Promise.reject(new Error("backend down")))).rejects.toThrow("backend down");
    await expect(gate(() => Promise.resolve("next"))).resolves.toBe("next");
  });
});
