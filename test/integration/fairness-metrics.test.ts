import { afterEach, describe, expect, it } from "vitest";
import { pullRequestEvent, pushEvent } from "../../testing/github-sim/index.js";
import { deliveriesSettled, randomSha, startWorld, waitFor, type World } from "../support/env.js";

const manyTargets = (n: number) => Array.from({ length: n }, (_, i) => `fedora-${i}-x86_64`);
const config = (targets: string[]) => `jobs:\n  - job: copr_build\n    trigger: pull_request\n    targets: [${targets.join(", ")}]\n`;

describe("priorities, fairness and metrics", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it("a project with 100 queued jobs does not starve one with 2: both progress and the small one finishes first", async () => {
    // One long-task slot and slow submissions make the queue the bottleneck.
    world = await startWorld(config(manyTargets(100)), { settings: { worker: { concurrency: 1 } } });
    world.fakes.copr.faults.delayMs = (req) => (req.method === "POST" ? 15 : 0);
    const small = world.sim.addRepo({
      installationId: 100,
      owner: "acme",
      name: "small",
      files: { ".packit.yaml": config(["fedora-rawhide-x86_64", "fedora-44-x86_64"]) },
    });
    world.sim.setPermission("acme", "small", "contributor", "write");
    await world.send(
      "pull_request",
      pullRequestEvent("opened", { repo: world.repo, number: 1, headSha: randomSha(), author: "contributor" }),
    );
    await new Promise((r) => setTimeout(r, 100)); // the big project's tasks are queued first
    await world.send("pull_request", pullRequestEvent("opened", { repo: small, number: 1, headSha: randomSha(), author: "contributor" }));

    const succeeded = async (repo: string) =>
      (await world!.deps.db.get<{ n: number }>(
        "SELECT COUNT(*) AS n FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id JOIN repositories r ON r.id = p.repo_id WHERE r.name = ? AND j.state = 'success'",
        [repo],
      ))!.n;
    await waitFor(async () => (await succeeded("small")) === 2, 20_000, "the small project's two builds to finish");
    const bigStarted = world.fakes.copr.builds().filter((b) => b.projectname.startsWith("acme-widget")).length;
    expect(bigStarted).toBeGreaterThan(0); // the big one progressed too
    expect(await succeeded("widget")).toBeLessThan(100); // and the small one finished first
  });

  it("exposes the counters of a scenario on /metrics", async () => {
    world = await startWorld();
    const unconfigured = world.sim.addRepo({ installationId: 100, owner: "acme", name: "bare" });
    await world.send(
      "pull_request",
      pullRequestEvent("opened", { repo: world.repo, number: 2, headSha: randomSha(), author: "contributor" }),
    );
    for (let i = 0; i < 3; i++) {
      const after = randomSha();
      await world.send(
        "push",
        pushEvent({ repo: unconfigured, ref: "main", before: randomSha(), after, commits: [{ id: after, modified: ["x"] }] }),
      );
      // One after another, as pushes come: the later two find the first one's answer in the cache.
      await deliveriesSettled(world);
    }
    await waitFor(() => world!.fakes.testingFarm.requests().length === 2, 10_000, "tests to start");
    const text = await (await fetch(world.service.metricsUrl!)).text();
    const value = (line: string) =>
      Number(
        text
          .split("\n")
          .find((l) => l.startsWith(line))
          ?.split(" ")
          .at(-1),
      );
    expect(value('packit_webhook_events_total{event="pull_request.opened",outcome="handled"}')).toBe(1);
    expect(value('packit_webhook_events_total{event="push",outcome="no_config"}')).toBe(3);
    expect(value("packit_events_without_config_total")).toBe(3);
    expect(value("packit_config_checked_events_total")).toBe(4);
    expect(value('packit_config_lookups_total{source="cache",result="absent"}')).toBe(2);
    expect(value('packit_job_transitions_total{backend="copr",state="success"}')).toBe(2);
    expect(text).toMatch(/packit_task_duration_seconds_count\{task="submit-job",outcome="succeeded"\} \d+/);
    expect(text).toMatch(/packit_queue_tasks\{queue="long",status="(todo|succeeded)"\} \d+/);
    expect(text).toMatch(/packit_github_requests_total\{route="graphql",status="200"\} \d+/);
    expect(text).toContain("packit_process_cpu_user_seconds_total");
  });
});
