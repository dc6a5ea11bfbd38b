import { describe, expect, it } from "vitest";
import type { Db } from "../../../src/db/types.js";
import { DeliveryLog } from "../../../src/webhooks/deliveries.js";
import { ENGINES, tempDatabase } from "../../support/db.js";

/** Make every update of `deliveries` fail as a full disk would; returns the undo. */
async function refuseUpdates(db: Db): Promise<() => Promise<void>> {
  if (db.dialect === "sqlite") {
    await db.exec("CREATE TRIGGER refuse BEFORE UPDATE ON deliveries BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END");
    return () => db.exec("DROP TRIGGER refuse");
  }
  await db.exec(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device (disk full)'; END $$;
    CREATE TRIGGER refuse BEFORE UPDATE ON deliveries FOR EACH ROW EXECUTE FUNCTION refuse()`);
  return () => db.exec("DROP TRIGGER refuse ON deliveries; DROP FUNCTION refuse()");
}

describe.each(ENGINES)("delivery dedupe on %s", (engine) => {
  it("processes a delivery once, again after a recorded failure, and again after a failure the database refused to record", async () => {
    const t = await tempDatabase(engine);
    try {
      const log = new DeliveryLog(t.db);
      expect(await log.claim("a", "push")).toBe(true);
      expect(await log.claim("a", "push")).toBe(false); // in progress: a duplicate
      await log.finish("a", "handled");
      expect(await log.claim("a", "push")).toBe(false);

      expect(await log.claim("b", "push")).toBe(true);
      await log.finish("b", "error");
      expect(await log.claim("b", "push")).toBe(true); // the redelivery retries it

      expect(await log.claim("c", "push")).toBe(true);
      // The disk is full: the failure cannot be written down.
      const undo = await refuseUpdates(t.db);
      await expect(log.finish("c", "error")).rejects.toThrow(/full/);
      await undo();
      expect(await new DeliveryLog(t.db).claim("c", "push")).toBe(true); // not mistaken for "in progress"
      expect(await log.claim("c", "push")).toBe(false); // and claimed once only
    } finally {
      await t.cleanup();
    }
  });

  it("lets one of several replicas claim a delivery they receive at the same moment", async () => {
    const t = await tempDatabase(engine);
    try {
      const replicas = engine === "postgres" ? [t.db, await t.reopen(), await t.reopen()] : [t.db, t.db, t.db];
      const claims = await Promise.all(replicas.map((db) => new DeliveryLog(db).claim("same", "push")));
      expect(claims.filter(Boolean)).toHaveLength(1);
    } finally {
      await t.cleanup();
    }
  });
});
