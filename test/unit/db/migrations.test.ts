import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../../src/db/migrations.js";
import { LATEST_SCHEMA_VERSION, migrate, schemaVersion } from "../../../src/db/open.js";
import { PipelineStore } from "../../../src/pipeline/store.js";

describe("migrations", () => {
  it("upgrade a database of the first release in place, keeping its pipelines", () => {
    const db = new Database(":memory:");
    db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at INTEGER NOT NULL)");
    db.exec(MIGRATIONS[0]!.sql);
    db.prepare("INSERT INTO schema_version VALUES (1, 0)").run();
    db.prepare("INSERT INTO pipelines (repo_id, installation_id, trigger, head_sha, created_at) VALUES (1, 1, 'push', 'abc', 0)").run();

    expect(migrate(db)).toBe(LATEST_SCHEMA_VERSION);
    const store = new PipelineStore(db);
    expect(store.pipeline(1)).toMatchObject({ head_sha: "abc", source_clone_url: null });
    // Applied once: a second start changes nothing.
    expect(migrate(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
  });
});
