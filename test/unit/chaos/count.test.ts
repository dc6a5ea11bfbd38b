import { describe, expect, it } from "vitest";
import { countAll, countsOf, type ChaosSnapshot } from "../../../testing/chaos/count.js";
import { replyMarker } from "../../../src/github/comments.js";

/** A run where everything went right: one PR delivery (pipeline 1, jobs 1 and 2), one command, one Copr build, one TF request. */
function healthy(): ChaosSnapshot {
  return {
    deliveries: [
      { id: "d-pr", kind: "pull_request", answered: true, attempts: 3 },
      { id: "d-cmd", kind: "command", answered: true, attempts: 1, markers: [replyMarker(7, 0)] },
    ],
    pipelines: [{ id: 1, delivery_id: "d-pr" }],
    jobs: [
      { id: 1, pipeline_id: 1, state: "success", backend: "copr", external_id: "11", submission_key: "abc/fedora-rawhide-x86_64" },
      { id: 2, pipeline_id: 1, state: "cancelled", backend: "testing-farm", external_id: "tf-1", submission_key: "token-2" },
    ],
    tasks: [{ id: 1, name: "process-trigger", status: "succeeded" }],
    pendingChecks: [],
    simChecks: [
      { head_sha: "abc", name: "rpm-build:fedora-rawhide-x86_64", external_id: "job:1", status: "completed" },
      { head_sha: "abc", name: "testing-farm:fedora-rawhide-x86_64", external_id: "job:2", status: "completed" },
    ],
    botComments: [`Started 1 job.\n\n${replyMarker(7, 0)}`],
    backendTasks: [
      { backend: "copr", id: "11", key: "abc/fedora-rawhide-x86_64", state: "finished" },
      { backend: "testing-farm", id: "tf-1", key: "token-2", state: "canceled" },
    ],
  };
}

const counts = (s: ChaosSnapshot) => countsOf(countAll(s));
const zero = { lost: 0, orphaned: 0, duplicates: 0, stuck: 0, unanswered: 0 };

describe("chaos counters", () => {
  it("count nothing when every delivery's work happened once and ended", () => {
    expect(counts(healthy())).toEqual(zero);
  });

  it("count a delivery with no pipeline, a job without a check run, and a command without a reply as lost", () => {
    const s = healthy();
    s.pipelines = [];
    expect(counts(s)).toEqual({ ...zero, lost: 1 });
    const t = healthy();
    t.simChecks = t.simChecks.slice(1);
    t.botComments = [];
    expect(countAll(t).lost.details).toEqual(["pull_request d-pr: job 1 has no check run", `command d-cmd: no reply ${replyMarker(7, 0)}`]);
  });

  it("count backend work no job owns, and a cancelled job whose backend work went on, as orphaned", () => {
    const s = healthy();
    s.backendTasks.push({ backend: "copr", id: "12", key: "def/fedora-rawhide-x86_64", state: "running" });
    s.backendTasks[1]!.state = "finished";
    expect(countAll(s).orphaned.details).toEqual([
      "testing-farm tf-1: job 2 cancelled, backend finished",
      "copr 12 (def/fedora-rawhide-x86_64, running): no job knows it",
    ]);
  });

  it("count a second submission of one job, a twin check run and a command answered twice as duplicates", () => {
    const s = healthy();
    s.backendTasks.push({ backend: "testing-farm", id: "tf-2", key: "token-2", state: "finished" });
    s.simChecks.push({ ...s.simChecks[0]! });
    s.botComments.push(s.botComments[0]!);
    expect(countAll(s).duplicates.count).toBe(3);
    // Two jobs of the same head and target (a /packit build re-run) may each have a build.
    const rerun = healthy();
    rerun.jobs.push({ ...rerun.jobs[0]!, id: 3, external_id: "13" });
    rerun.backendTasks.push({ backend: "copr", id: "13", key: "abc/fedora-rawhide-x86_64", state: "finished" });
    rerun.simChecks.push({ ...rerun.simChecks[0]!, external_id: "job:3" });
    expect(counts(rerun)).toEqual(zero);
  });

  it("count unfinished jobs, queued or running tasks, unsent and unconcluded check runs as stuck, and unanswered deliveries", () => {
    const s = healthy();
    s.jobs[0]!.state = "running";
    s.tasks.push({ id: 2, name: "poll-job", status: "todo" }, { id: 3, name: "submit-job", status: "doing" });
    s.pendingChecks.push({ id: 9, name: "rpm-build:fedora-rawhide-x86_64" });
    s.simChecks[1]!.status = "in_progress";
    s.deliveries[1]!.answered = false;
    expect(counts(s)).toEqual({ ...zero, stuck: 5, unanswered: 1 });
  });
});
