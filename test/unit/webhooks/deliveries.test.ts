import { describe, expect, it } from "vitest";
import { DeliveryLog } from "../../../src/webhooks/deliveries.js";
import { tempDatabase } from "../../support/db.js";

describe("delivery dedupe", () => {
  it("processes a delivery once, again after a recorded failure, and again after a failure the database refused to record", () => {
    const t = tempDatabase();
    try {
      const log = new DeliveryLog(t.db);
      expect(log.claim("a", "push")).toBe(true);
      expect(log.claim("a", "push")).toBe(false); // in progress: a duplicate
      log.finish("a", "handled");
      expect(log.claim("a", "push")).toBe(false);

      expect(log.claim("b", "push")).toBe(true);
      log.finish("b", "error");
      expect(log.claim("b", "push")).toBe(true); // the redelivery retries it

      expect(log.claim("c", "push")).toBe(true);
      // The disk is full: the failure cannot be written down.
      t.db.exec("CREATE TRIGGER refuse BEFORE UPDATE ON deliveries BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END");
      expect(() => log.finish("c", "error")).toThrow(/full/);
      t.db.exec("DROP TRIGGER refuse");
      expect(new DeliveryLog(t.db).claim("c", "push")).toBe(true); // not mistaken for "in progress"
      expect(log.claim("c", "push")).toBe(false); // and claimed once only
    } finally {
      t.cleanup();
    }
  });
});
