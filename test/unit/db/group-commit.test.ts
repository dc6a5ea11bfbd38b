import { afterEach, describe, expect, it } from "vitest";
import { GroupCommit } from "../../../src/db/group-commit.js";
import { ENGINES, tempDatabase, type TempDatabase } from "../../support/db.js";

describe.each(ENGINES)("GroupCommit on %s", (engine) => {
  let t: TempDatabase | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });

  const ids = async (db: TempDatabase["db"]) => (await db.all<{ id: string }>("SELECT id FROM deliveries ORDER BY id")).map((r) => r.id);
  const record = (db: TempDatabase["db"], id: string) => () =>
    db.run("INSERT INTO deliveries (id, event, received_at) VALUES (?, 'push', 0)", [id]).then(() => id);

  it("stores what every transaction arriving together wrote; one that fails undoes only its own writes", async () => {
    t = await tempDatabase(engine);
    const { db } = t;
    const commits = new GroupCommit(db);
    const failing = async () => {
      await record(db, "d-bad")();
      throw new Error("refused");
    };
    const results = await Promise.allSettled([
      commits.run(record(db, "d-1")),
      commits.run(failing),
      commits.run(record(db, "d-2")),
      commits.run(record(db, "d-1")), // a duplicate key: refused, the first d-1 stays
      commits.run(record(db, "d-3")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: "refused" });
    expect(await ids(db)).toEqual(["d-1", "d-2", "d-3"]);
  });

  it("answers only once the writes are committed: another connection sees them", async () => {
    t = await tempDatabase(engine);
    const commits = new GroupCommit(t.db);
    const other = await t.reopen();
    const written = await Promise.all(["a", "b", "c"].map((id) => commits.run(record(t!.db, id))));
    expect(written).toEqual(["a", "b", "c"]);
    expect(await ids(other)).toEqual(["a", "b", "c"]);
  });
});
