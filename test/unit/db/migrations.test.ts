import { describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../../src/db/migrations.js";
import { LATEST_SCHEMA_VERSION, migrate, openDatabase, schemaVersion } from "../../../src/db/open.js";
import { SqliteDb } from "../../../src/db/sqlite.js";
import { PipelineStore } from "../../../src/pipeline/store.js";
import { TaskStore } from "../../../src/queue/index.js";
import { tempDatabase } from "../../support/db.js";

describe("migrations", () => {
  it("upgrade a database of the first release in place, keeping its pipelines and queued tasks", async () => {
    const db = new SqliteDb(":memory:");
    db.raw.exec("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at INTEGER NOT NULL)");
    db.raw.exec(MIGRATIONS[0]!.sql);
    db.raw.prepare("INSERT INTO schema_version VALUES (1, 0)").run();
    db.raw.prepare("INSERT INTO pipelines (repo_id, installation_id, trigger, head_sha, created_at) VALUES (1, 1, 'push', 'abc', 0)").run();
    db.raw
      .prepare(
        "INSERT INTO tasks (queue, name, payload, status, max_attempts, scheduled_at, created_at) VALUES ('default', 'work', '{}', 'todo', 1, 0, 0)",
      )
      .run();
    db.raw.prepare("INSERT INTO task_keys (queue, fairness_key) VALUES ('default', '')").run();

    expect(await migrate(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(await new PipelineStore(db).pipeline(1)).toMatchObject({ head_sha: "abc", source_clone_url: null });
    // A task queued before the upgrade is still claimed.
    expect((await new TaskStore(db).claim("w", ["default"], 1000))?.name).toBe("work");
    // Applied once: a second start changes nothing.
    expect(await migrate(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(await schemaVersion(db)).toBe(MIGRATIONS.length);
    await db.close();
  });

  it("run once on PostgreSQL when several replicas start together (advisory lock)", async () => {
    const t = await tempDatabase("postgres");
    try {
      // tempDatabase migrated it already; start from an empty database of its own instead.
      await t.db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
      const replicas = await Promise.all([1, 2, 3].map(() => openDatabase({ url: t.url!, poolSize: 2 })));
      try {
        const versions = await t.db.all<{ version: number }>("SELECT version FROM schema_version ORDER BY version");
        expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
      } finally {
        await Promise.all(replicas.map((r) => r.close()));
      }
    } finally {
      await t.cleanup();
    }
  });

  it("refuse a database URL that is not PostgreSQL, or that cannot be reached, naming the setting and never the password", async () => {
    await expect(openDatabase({ url: "mysql://u:s3cret@localhost/x" })).rejects.toThrow(
      /^database\.url \(DATABASE_URL\): not a postgres:\/\/ URL/,
    );
    const err = await openDatabase({ url: "postgres://packit:s3cret@127.0.0.1:1/packit" }).catch((e: Error) => e);
    expect(String((err as Error).message)).toMatch(
      /^database\.url \(DATABASE_URL\): cannot use postgres:\/\/packit:\*\*\*@127\.0\.0\.1:1\/packit: /,
    );
    expect(String((err as Error).message)).not.toContain("s3cret");
  });
});
