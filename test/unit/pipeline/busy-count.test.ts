import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PipelineStore } from "../../../src/pipeline/store.js";
import { priorityFor } from "../../../src/priorities/index.js";
import { parseSettings } from "../../../src/settings.js";
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

describe.each(ENGINES)("a project's unfinished jobs (the priority's busy input) on %s", (engine) => {
  let t: TempDatabase;
  beforeEach(async () => (t = await tempDatabase(engine)));
  afterEach(() => t.cleanup());

  it("counts only unfinished jobs of the repository, up to the bound, and a project past the threshold loses the busy penalty's points", async () => {
    const pipelines = new PipelineStore(t.db);
    const repo = await pipelines.ensureRepo({ id: 1, installationId: 1, owner: "acme", name: "widget" });
    const other = await pipelines.ensureRepo({ id: 2, installationId: 1, owner: "acme", name: "gadget" });
    const line = { installationId: 1, trigger: "push" as const, branch: "main" };
    let heads = 0;
    const jobs = async (repoId: number, n: number) => {
      const ids: number[] = [];
      for (let i = 0; i < n; i++)
        ids.push((await pipelines.createPipeline({ ...line, repoId, headSha: `h${heads++}` }, [job])).jobs[0]!.id);
      return ids;
    };
    // History that must not count: finished jobs of the repository, unfinished ones of another.
    for (const id of await jobs(repo.id, 5)) await pipelines.transition(id, "cancelled", { cancelReason: "Superseded" });
    await jobs(other.id, 4);
    await jobs(repo.id, 3);

    expect(await pipelines.unfinishedJobsOfRepo(repo.id, 10)).toBe(3);
    expect(await pipelines.unfinishedJobsOfRepo(repo.id, 2)).toBe(2);

    const priorities = parseSettings({ priorities: { busyThreshold: 2 } }).priorities;
    const priority = async () =>
      priorityFor(
        {
          trigger: "push",
          project: "acme/widget",
          unfinishedJobsOfProject: await pipelines.unfinishedJobsOfRepo(repo.id, priorities.busyThreshold + 1),
          activeRecently: false,
        },
        priorities,
      );
    expect(await priority()).toBe(priorities.push - priorities.busyPenalty);
  });
});
