import { describe, expect, it } from "vitest";
import { onceIn, withLease } from "../../../src/db/locks.js";
import { ENGINES, tempDatabase } from "../../support/db.js";

describe.each(ENGINES)("leases on %s", (engine) => {
  it("lets one holder in at a time, and keeps the lease while long work runs", async () => {
    const t = await tempDatabase(engine);
    try {
      const order: string[] = [];
      const long = withLease(t.db, "x", 60, async () => {
        order.push("long:start");
        await new Promise((r) => setTimeout(r, 250)); // four times the ttl
        order.push("long:end");
        return 1;
      });
      await new Promise((r) => setTimeout(r, 150)); // an unrenewed lease would have expired
      expect(await withLease(t.db, "x", 60, () => Promise.resolve(order.push("second")))).toBeUndefined();
      expect(await long).toBe(1);
      expect(await withLease(t.db, "x", 60, () => Promise.resolve("after"))).toBe("after");
      expect(order).toEqual(["long:start", "long:end"]);
    } finally {
      await t.cleanup();
    }
  });

  it("can be taken over when its holder died (no renewals)", async () => {
    const t = await tempDatabase(engine);
    try {
      await t.db.run("INSERT INTO locks (name, holder, expires_at) VALUES ('x', 'dead', ?)", [Date.now() - 1]);
      expect(await withLease(t.db, "x", 1000, () => Promise.resolve("mine"))).toBe("mine");
    } finally {
      await t.cleanup();
    }
  });

  it("lets exactly one of several processes act on one cron firing", async () => {
    const t = await tempDatabase(engine);
    try {
      const replicas = [t.db, await t.reopen(), await t.reopen()];
      const now = Date.now();
      const won = await Promise.all(replicas.map((db) => onceIn(db, "maintenance-cron", 50_000, now)));
      expect(won.filter(Boolean)).toHaveLength(1);
      // The next firing (a day later) is another one's to take.
      expect(await onceIn(replicas[1]!, "maintenance-cron", 50_000, now + 86_400_000)).toBe(true);
    } finally {
      await t.cleanup();
    }
  });
});
