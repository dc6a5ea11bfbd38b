import { describe, expect, it } from "vitest";
import { DeliveryLog } from "../../../src/webhooks/deliveries.js";
import { ENGINES, tempDatabase } from "../../support/db.js";

describe.each(ENGINES)("delivery dedupe on %s", (engine) => {
  it("records a delivery once; a redelivery is a duplicate unless its task gave up", async () => {
    const t = await tempDatabase(engine);
    try {
      const log = new DeliveryLog(t.db, () => 1000);
      expect(await log.record("a", "push")).toEqual({ id: "a", event: "push", receivedAt: 1000 });
      expect(await log.record("a", "push")).toBeUndefined(); // its task is queued: a duplicate
      await log.finish("a", "handled");
      expect(await log.record("a", "push")).toBeUndefined();

      expect(await log.record("b", "push")).toBeDefined();
      await log.finish("b", "error");
      expect(await log.record("b", "push")).toBeDefined(); // the redelivery retries it
      expect(await log.outcome("b")).toBeNull();

      // A transaction that did not commit (the process died, the disk was full) recorded nothing.
      await expect(
        t.db.tx(async () => {
          await log.record("c", "push");
          throw new Error("killed before the commit");
        }),
      ).rejects.toThrow(/killed/);
      expect(await log.outcome("c")).toBeUndefined();
      expect(await log.record("c", "push")).toBeDefined();
    } finally {
      await t.cleanup();
    }
  });

  it("keeps the first outcome: a task run again after a crash does not overwrite it", async () => {
    const t = await tempDatabase(engine);
    try {
      const log = new DeliveryLog(t.db);
      await log.record("a", "push");
      await log.finish("a", "handled");
      await log.finish("a", "ignored");
      expect(await log.outcome("a")).toBe("handled");
      expect(await log.record("n", "push", "ignored")).toBeDefined(); // a delivery that implies no work
      expect(await log.outcome("n")).toBe("ignored");
    } finally {
      await t.cleanup();
    }
  });

  it("lets one of several replicas record a delivery they receive at the same moment", async () => {
    const t = await tempDatabase(engine);
    try {
      const replicas = engine === "postgres" ? [t.db, await t.reopen(), await t.reopen()] : [t.db, t.db, t.db];
      const records = await Promise.all(replicas.map((db) => new DeliveryLog(db).record("same", "push")));
      expect(records.filter(Boolean)).toHaveLength(1);
    } finally {
      await t.cleanup();
    }
  });
});
