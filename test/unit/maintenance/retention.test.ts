import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../../src/audit/index.js";
import { CheckRunStore } from "../../../src/checks/store.js";
import { DashboardStore } from "../../../src/dashboard/store.js";
import { pruneOld } from "../../../src/maintenance/index.js";
import { PipelineStore } from "../../../src/pipeline/store.js";
import { TaskStore } from "../../../src/queue/index.js";
import { parseSettings } from "../../../src/settings.js";
import type { AppTasks } from "../../../src/tasks.js";
import { DeliveryLog } from "../../../src/webhooks/deliveries.js";
import { ENGINES, tempDatabase, type TempDatabase } from "../../support/db.js";

const DAY = 86_400_000;

describe.each(ENGINES)("retention on %s", (engine) => {
  let t: TempDatabase;
  beforeEach(async () => (t = await tempDatabase(engine)));
  afterEach(() => t.cleanup());

  it("prunes what the retention settings no longer keep, and nothing still in use", async () => {
    let now = 1_700_000_000_000;
    const clock = () => now;
    const settings = parseSettings({ retention: { deliveriesDays: 14, tasksDays: 14, auditDays: 30, pipelinesDays: 60 } });
    const pipelines = new PipelineStore(t.db, clock);
    const tasks = new TaskStore<AppTasks>(t.db, { now: clock });
    const deliveries = new DeliveryLog(t.db, clock);
    const audit = new AuditLog(t.db, clock);
    const sessions = new DashboardStore(t.db, clock);
    const repo = await pipelines.ensureRepo({ id: 1, installationId: 1, owner: "acme", name: "widget" });
    const job = {
      key: "rpm-build:f",
      type: "copr_build",
      backend: "copr" as const,
      target: "f",
      options: {},
      manualTrigger: false,
      cancelSuperseded: true,
    };
    const line = { repoId: repo.id, installationId: 1, trigger: "pull_request" as const, prNumber: 1 };

    // 100 days ago: a finished pipeline, one still running, and one whose build a young re-run's test depends on.
    const finished = await pipelines.createPipeline({ ...line, headSha: "a" }, [job]);
    await pipelines.transition(finished.jobs[0]!.id, "submitted", { externalId: "1" });
    await pipelines.transition(finished.jobs[0]!.id, "success");
    const running = await pipelines.createPipeline({ ...line, headSha: "b" }, [job]);
    const reused = await pipelines.createPipeline({ ...line, headSha: "c" }, [job]);
    await pipelines.transition(reused.jobs[0]!.id, "submitted", { externalId: "1" });
    await pipelines.transition(reused.jobs[0]!.id, "success");
    // Job-less check runs (an invalid config's) of the finished head, and of a head a kept pipeline still has.
    const checks = new CheckRunStore(t.db, clock);
    const state = { status: "completed" as const, conclusion: "failure" as const, title: "Invalid config", summary: "", actions: [] };
    for (const headSha of ["a", "c"]) await checks.record({ installationId: 1, repoId: repo.id, headSha, name: "config", state });
    await deliveries.record("old", "push");
    await audit.add({ actor: "t", action: "cancel.cli" });
    const oldTask = await tasks.enqueue("flush-checks", { installationId: 1 });
    await tasks.claim("w", ["default"], 1000);
    await tasks.finish(oldTask, "w", { status: "succeeded" });
    const queued = await tasks.enqueue("flush-checks", { installationId: 2 });
    await sessions.createSession({ id: "expired", login: "alice", repoIds: [1], expiresAt: now + DAY });
    await sessions.createSession({ id: "live", login: "bob", repoIds: [1], expiresAt: now + 101 * DAY });

    now += 100 * DAY;
    const young = await pipelines.createPipeline({ ...line, headSha: "c" }, [
      { ...job, key: "tests:f", type: "tests", dependsOnJobId: reused.jobs[0]!.id },
    ]);
    await deliveries.record("new", "push");
    await audit.add({ actor: "t", action: "cancel.comment" });

    expect(await pruneOld({ db: t.db, tasks, pipelines, settings, now: clock })).toEqual({
      deliveries: 1,
      tasks: 1,
      audit: 1,
      pipelines: 1,
      sessions: 1,
    });
    expect(await pipelines.pipeline(finished.pipeline.id)).toBeUndefined();
    expect(await pipelines.job(finished.jobs[0]!.id)).toBeUndefined();
    expect(await pipelines.pipeline(running.pipeline.id)).toBeDefined();
    expect(await pipelines.pipeline(reused.pipeline.id)).toBeDefined();
    expect((await pipelines.job(young.jobs[0]!.id))?.depends_on).toBe(reused.jobs[0]!.id);
    const jobless = await t.db.all<{ head_sha: string }>("SELECT head_sha FROM check_runs WHERE job_id IS NULL ORDER BY head_sha");
    expect(jobless.map((c) => c.head_sha)).toEqual(["c"]);
    expect(await tasks.get(oldTask)).toBeNull();
    expect((await tasks.get(queued))?.status).toBe("todo");
    expect(await deliveries.outcome("old")).toBeUndefined();
    expect(await deliveries.outcome("new")).toBeNull();
    expect((await audit.list()).map((e) => e.action)).toEqual(["cancel.comment"]);
    expect((await t.db.all<{ id: string }>("SELECT id FROM dashboard_sessions")).map((s) => s.id)).toEqual(["live"]);
  });
});
