import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, beforeEach, expect, it } from "vitest";
import { ApprovalStore } from "../../src/approval/store.js";
import { AuditLog } from "../../src/audit/index.js";
import { CheckRunStore } from "../../src/checks/store.js";
import { TABLES } from "../../src/db/copy.js";
import { DashboardStore } from "../../src/dashboard/store.js";
import type { Db } from "../../src/db/types.js";
import { ConfigCache } from "../../src/packit-config/cache.js";
import { PipelineStore } from "../../src/pipeline/store.js";
import { TaskStore } from "../../src/queue/index.js";
import { DeliveryLog } from "../../src/webhooks/deliveries.js";
import { tempDatabase, type TempDatabase } from "../support/db.js";

const run = promisify(execFile);

/** Every row of every table, in a stable order, values as plain JSON. */
async function dump(db: Db): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) out[t] = await db.all(`SELECT * FROM ${t} ORDER BY 1, 2`);
  return out;
}

let sqlite: TempDatabase;
let pg: TempDatabase;
beforeEach(async () => {
  [sqlite, pg] = await Promise.all([tempDatabase("sqlite"), tempDatabase("postgres")]);
});
afterEach(async () => {
  await Promise.all([sqlite.cleanup(), pg.cleanup()]);
});

it("npm run cli -- migrate-to-postgres copies every row of the SQLite installation, and the copy goes on working", async () => {
  // A bit of everything: an installation, a pipeline whose newer head superseded it, jobs with a dependency, checks, tasks, audit, deliveries, a lease.
  const db = sqlite.db;
  const pipelines = new PipelineStore(db);
  const repo = await pipelines.ensureRepo({
    id: 42,
    installationId: 9,
    owner: "acme",
    name: "widget",
    nodeId: "R_42",
    defaultBranch: "main",
  });
  await new ConfigCache(db).put(repo.id, "main", { state: "present", path: ".packit.yaml", blobSha: "b1", text: "jobs: []\n" });
  const job = {
    key: "rpm-build:f",
    type: "copr_build",
    backend: "copr" as const,
    target: "f",
    options: { x: 1 },
    manualTrigger: false,
    cancelSuperseded: true,
  };
  const old = await pipelines.createPipeline({ repoId: repo.id, installationId: 9, trigger: "pull_request", prNumber: 3, headSha: "a" }, [
    job,
    { ...job, key: "tests:f", type: "tests", after: "rpm-build:f" },
  ]);
  const now = await pipelines.createPipeline(
    { repoId: repo.id, installationId: 9, trigger: "pull_request", prNumber: 3, headSha: "b", beforeSha: "a" },
    [job],
  );
  await pipelines.markSuperseded(old.pipeline.id, now.pipeline.id);
  await new ApprovalStore(db, Date.now).requestPr({
    repoId: repo.id,
    prNumber: 3,
    headSha: "b",
    author: "outsider",
    pipelineId: now.pipeline.id,
  });
  await pipelines.transition(old.jobs[0]!.id, "submitted", { externalId: "77", url: "https://copr/77" });
  await new CheckRunStore(db).record({
    installationId: 9,
    repoId: repo.id,
    headSha: "a",
    name: "rpm-build:f",
    jobId: old.jobs[0]!.id,
    state: { status: "queued" } as never,
  });
  const tasks = new TaskStore<{ work: { n: number } }>(db);
  for (let i = 0; i < 5; i++) await tasks.enqueue("work", { n: i }, { fairnessKey: `k${i % 2}`, lockKey: `l${i}` });
  const claimed = await tasks.claim("w", ["default"], 60_000);
  await tasks.finish(claimed!.id, "w", { status: "succeeded" });
  await new AuditLog(db).add({ actor: "maintainer", action: "cancel.comment", subject: "acme/widget#3", detail: { overall: "all" } });
  await new DeliveryLog(db).record("delivery-1", "push");
  await db.run("INSERT INTO locks (name, holder, expires_at) VALUES ('maintenance-sweep', 'h', 1)");
  await new DashboardStore(db).createSession({ id: "s1", login: "maintainer", repoIds: [repo.id], expiresAt: Date.now() + 60_000 });
  const before = await dump(db);
  // Every table of the schema is copied (a new migration's table must be added to TABLES).
  const schema = await db.all<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_version' ORDER BY name",
  );
  expect(schema.map((t) => t.name)).toEqual([...TABLES].sort());

  const { stdout } = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "migrate-to-postgres", pg.url!], {
    env: { ...process.env, PACKIT__DATABASE__PATH: sqlite.path, DATABASE_URL: "" },
  });
  expect(stdout).toContain("pipelines\t2");
  expect(stdout).not.toContain(new URL(pg.url!).password);

  // Every row arrived, value for value.
  expect(await dump(pg.db)).toEqual(before);
  for (const t of TABLES) expect(before[t]!.length, `${t} has rows to copy`).toBeGreaterThan(0);

  // The copy works on: new rows get ids past the copied ones, and the queue claims where SQLite left off.
  const copied = new PipelineStore(pg.db);
  const next = await copied.createPipeline({ repoId: repo.id, installationId: 9, trigger: "push", branch: "main", headSha: "c" }, [job]);
  expect(next.pipeline.id).toBeGreaterThan(now.pipeline.id);
  expect(next.jobs[0]!.id).toBeGreaterThan(now.jobs[0]!.id);
  const pgTasks = new TaskStore<{ work: { n: number } }>(pg.db);
  const claimedThere = await pgTasks.claim("w", ["default"], 60_000);
  expect(claimedThere?.payload).toMatchObject({ n: expect.any(Number) });
  expect(await pgTasks.enqueue("work", { n: 9 })).toBeGreaterThan(Math.max(...(before.tasks as { id: number }[]).map((r) => r.id)));

  // A target that holds rows is refused, and keeps them.
  const again = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "migrate-to-postgres", pg.url!], {
    env: { ...process.env, PACKIT__DATABASE__PATH: sqlite.path, DATABASE_URL: "" },
  }).catch((e: { code: number; stderr: string }) => e);
  expect((again as { code: number }).code).toBe(1);
  expect((again as { stderr: string }).stderr).toMatch(/the target database is not empty \(installations: 1 rows/);
}, 60_000);
