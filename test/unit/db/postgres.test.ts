import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDatabase, type TempDatabase } from "../../support/db.js";

describe("the PostgreSQL driver", () => {
  let t: TempDatabase;
  beforeEach(async () => (t = await tempDatabase("postgres")));
  afterEach(() => t.cleanup());

  it("runs again a transaction PostgreSQL ended as a deadlock, so both writers succeed once", async () => {
    const { db } = t;
    await db.exec("CREATE TABLE pair (id INT PRIMARY KEY, v INT NOT NULL); INSERT INTO pair VALUES (1, 0), (2, 0)");
    let firstWrites = 0;
    let bothWrote!: () => void;
    const barrier = new Promise<void>((r) => (bothWrote = r));
    let attempts = 0;
    // The run again waits for the other writer's commit: otherwise it can take the row back before the
    // other one wakes up, and deadlock with it a second time (a third attempt, still within the bound).
    let committed!: () => void;
    const oneCommitted = new Promise<void>((r) => (committed = r));
    // Each locks one row, waits until the other holds the other row, then wants it: a deadlock on the first attempt.
    const writer = (first: number, second: number) => {
      let runs = 0;
      return db
        .tx(async () => {
          attempts++;
          if (++runs > 1) await oneCommitted;
          await db.run("UPDATE pair SET v = v + 1 WHERE id = ?", [first]);
          if (++firstWrites === 2) bothWrote();
          if (firstWrites <= 2) await barrier;
          await db.run("UPDATE pair SET v = v + 1 WHERE id = ?", [second]);
        })
        .then(committed);
    };
    await Promise.all([writer(1, 2), writer(2, 1)]);
    expect(attempts).toBe(3); // one of the two ran twice
    expect(await db.all("SELECT id, v FROM pair ORDER BY id")).toEqual([
      { id: 1, v: 2 },
      { id: 2, v: 2 },
    ]);
  });

  it("stores a string with a NUL character (which PostgreSQL text cannot hold) with U+FFFD in its place", async () => {
    await t.db.run("INSERT INTO deliveries (id, event, received_at) VALUES (?, ?, ?)", ["d", "push\u0000x", 1]);
    expect(await t.db.get("SELECT event FROM deliveries WHERE id = 'd'")).toEqual({ event: "push\uFFFDx" });
  });

  it("parses BIGINT columns as numbers: every time is epoch ms", async () => {
    await t.db.run("INSERT INTO deliveries (id, event, received_at) VALUES (?, ?, ?)", ["t", "push", 1_700_000_000_123]);
    expect(await t.db.get("SELECT received_at, COUNT(*) OVER () AS n FROM deliveries")).toEqual({ received_at: 1_700_000_000_123, n: 1 });
  });
});
