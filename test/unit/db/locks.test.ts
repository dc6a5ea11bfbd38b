import { describe, expect, it } from "vitest";
import { withLease } from "../../../src/db/locks.js";
import { tempDatabase } from "../../support/db.js";

describe("withLease", () => {
  it("lets one holder in at a time, and keeps the lease while long work runs", async () => {
    const t = tempDatabase();
    try {
      const order: string[] = [];
      const long = withLease(t.db, "x", 60, async () => {
        order.push("long:start");
        await new Promise((r) => setTimeout(r, 250)); // four times the ttl
        order.push("long:end");
        return 1;
      });
      await new Promise((r) => setTimeout(r, 150)); // an unrenewed lease would have expired
      expect(await withLease(t.db, "x", 60, async () => order.push("second"))).toBeUndefined();
      expect(await long).toBe(1);
      expect(await withLease(t.db, "x", 60, async () => "after")).toBe("after");
      expect(order).toEqual(["long:start", "long:end"]);
    } finally {
      t.cleanup();
    }
  });

  it("can be taken over when its holder died (no renewals)", async () => {
    const t = tempDatabase();
    try {
      t.db.prepare("INSERT INTO locks (name, holder, expires_at) VALUES ('x', 'dead', ?)").run(Date.now() - 1);
      expect(await withLease(t.db, "x", 1000, async () => "mine")).toBe("mine");
    } finally {
      t.cleanup();
    }
  });
});
