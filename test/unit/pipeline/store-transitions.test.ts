import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IllegalJobTransition } from "../../../src/pipeline/job-state.js";
import { moveJob } from "../../../src/pipeline/lifecycle.js";
import { PipelineStore } from "../../../src/pipeline/store.js";
import type { AppDeps } from "../../../src/deps.js";
import { createMetrics } from "../../../src/metrics/index.js";
import { parseSettings } from "../../../src/settings.js";
import { TaskStore } from "../../../src/queue/index.js";
import { CheckRunStore } from "../../../src/checks/store.js";
import type { AppTasks } from "../../../src/tasks.js";
import { ENGINES, tempDatabase, type TempDatabase } from "../../support/db.js";

const job = {
  key: "rpm-build:fedora-rawhide-x86_64",
  type: "copr_build",
  backend: "copr" as const,
  target: "fedora-rawhide-x86_64",
  options: {},
  manualTrigger: false,
  cancelSuperseded: true,
};

describe.each(ENGINES)("job state changes on %s", (engine) => {
  let t: TempDatabase;
  beforeEach(async () => (t = await tempDatabase(engine)));
  afterEach(() => t.cleanup());

  async function oneJob() {
    const pipelines = new PipelineStore(t.db);
    const repo = await pipelines.ensureRepo({ id: 1, installationId: 1, owner: "acme", name: "widget" });
    const { jobs } = await pipelines.createPipeline(
      { repoId: repo.id, installationId: 1, trigger: "pull_request", prNumber: 1, headSha: "a".repeat(40) },
      [job],
    );
    return { pipelines, jobId: jobs[0]!.id };
  }

  it("the store refuses a change the state machine forbids, and keeps the job as it was", async () => {
    const { pipelines, jobId } = await oneJob();
    await expect(pipelines.transition(jobId, "success")).rejects.toBeInstanceOf(IllegalJobTransition);
    expect((await pipelines.job(jobId))?.state).toBe("pending");
    await pipelines.transition(jobId, "submitted", { externalId: "7" });
    await pipelines.transition(jobId, "cancel_requested");
    await expect(pipelines.transition(jobId, "running")).rejects.toThrow("cannot go from cancel_requested to running");
    expect((await pipelines.job(jobId))?.state).toBe("cancel_requested");
  });

  it("a cancelled job is never resurrected: a later change is a no-op", async () => {
    const { pipelines, jobId } = await oneJob();
    await pipelines.transition(jobId, "cancelled", { cancelReason: "Superseded by abc1234" });
    expect(await pipelines.transition(jobId, "submitted", { externalId: "8" })).toBeUndefined();
    expect(await pipelines.job(jobId)).toMatchObject({ state: "cancelled", external_id: null });
  });

  it("moveJob logs a refused change and returns nothing", async () => {
    const { pipelines, jobId } = await oneJob();
    const lines: { msg: string; from?: string; to?: string }[] = [];
    const log = pino(
      { level: "warn" },
      new Writable({ write: (c: Buffer, _e, cb) => (lines.push(JSON.parse(c.toString()) as (typeof lines)[number]), cb()) }),
    );
    const deps = {
      db: t.db,
      pipelines,
      log,
      metrics: createMetrics(),
      settings: parseSettings({}),
      tasks: new TaskStore<AppTasks>(t.db),
      checks: new CheckRunStore(t.db),
      now: Date.now,
    } as unknown as AppDeps;
    expect(await moveJob(deps, jobId, "failure")).toBeUndefined();
    expect(lines).toContainEqual(expect.objectContaining({ msg: "job state change refused", from: "pending", to: "failure" }));
    expect((await pipelines.job(jobId))?.state).toBe("pending");
  });
});
