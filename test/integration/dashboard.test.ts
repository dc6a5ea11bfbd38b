import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pullRequestEvent } from "../../testing/github-sim/index.js";
import type { JobRow } from "../../src/pipeline/store.js";
import { TWO_TARGET_CONFIG } from "../support/configs.js";
import { allCompleted, randomSha, startWorld, waitForChecks, type World } from "../support/env.js";

/** Fakes that never move on their own: a test finishes or cancels the jobs. */
const FROZEN = { phaseMs: 3_600_000 };
const BUILD = "rpm-build:fedora-rawhide-x86_64";
const TESTS = "testing-farm:fedora-rawhide-x86_64";

describe("the dashboard, on the app's own port", () => {
  let world: World;
  let headA: string;
  let headB: string;
  let pipelineA: number;
  let pipelineB: number;
  let pipelineC: number;
  let jobs: JobRow[];
  const get = (path: string, init?: RequestInit) => fetch(`${world.service.url}${path}`, { redirect: "manual", ...init });
  const page = async (path: string) => {
    const res = await get(path);
    expect(res.status, path).toBe(200);
    expect(res.headers.get("content-type"), path).toContain("text/html");
    return res.text();
  };
  const api = async <T>(path: string) => {
    const res = await get(path);
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  const job = (pipeline: number, key: string) => jobs.find((j) => j.pipeline_id === pipeline && j.key === key)!;

  beforeAll(async () => {
    world = await startWorld(TWO_TARGET_CONFIG, FROZEN);
    // A private repository with a pipeline of its own: never shown to anonymous visitors.
    const secret = world.sim.addRepo({
      installationId: 100,
      owner: "acme",
      name: "secret",
      private: true,
      files: { ".packit.yaml": TWO_TARGET_CONFIG },
    });
    world.sim.setPermission("acme", "secret", "contributor", "write");
    await world.send("pull_request", pullRequestEvent("opened", { repo: secret, number: 9, headSha: randomSha(), author: "contributor" }));

    // An earlier pull request whose build finished: what the saving of a cancelled build is estimated from.
    const headC = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 2, headSha: headC, author: "contributor" }));
    await waitForChecks(world, headC, (c) => c[BUILD] === "in_progress", "head C building");
    world.fakes.copr.finish((await world.deps.pipelines.latestJobAtHead(headC, BUILD))!.external_id!, "succeeded");
    await waitForChecks(world, headC, (c) => c[BUILD] === "completed:success", "head C built");
    pipelineC = (await world.deps.pipelines.latestJobAtHead(headC, BUILD))!.pipeline_id;

    headA = randomSha();
    headB = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 1, headSha: headA, author: "contributor" }));
    await waitForChecks(world, headA, (c) => c[BUILD] === "in_progress", "head A building");
    await world.send(
      "pull_request",
      pullRequestEvent("synchronize", { repo: world.repo, number: 1, headSha: headB, before: headA, author: "contributor" }),
    );
    await waitForChecks(world, headA, (c) => allCompleted(c, 4), "head A cancelled");
    await waitForChecks(world, headB, (c) => c[BUILD] === "in_progress", "head B building");
    const buildB = (await world.deps.pipelines.latestJobAtHead(headB, BUILD))!;
    world.fakes.copr.finish(buildB.external_id!, "succeeded");
    await waitForChecks(world, headB, (c) => c[BUILD] === "completed:success" && c[TESTS] === "in_progress", "head B built, tests running");
    pipelineA = (await world.deps.pipelines.latestJobAtHead(headA, BUILD))!.pipeline_id;
    pipelineB = buildB.pipeline_id;
    jobs = [...(await world.deps.pipelines.jobsOfPipeline(pipelineA)), ...(await world.deps.pipelines.jobsOfPipeline(pipelineB))];
  }, 60_000);
  afterAll(async () => world?.stop());

  it("/ lists recent pipelines of public projects, the queue and builder time saved", async () => {
    const html = await page("/");
    expect(html).toContain(`href="/pipelines/${pipelineB}"`);
    expect(html).toContain(`href="/projects/acme/widget"`);
    expect(html).toContain("builder time saved by 1 of 4 cancelled jobs");
    expect(html).toContain("3 had no earlier run of their check to estimate from");
    expect(html).not.toContain("acme/secret");
    const data = await api<{ pipelines: { items: { id: number; name: string }[] }; cancelled: { day: { jobs: number } } }>("/api");
    expect(data.pipelines.items.map((p) => p.id)).toEqual([pipelineB, pipelineA, pipelineC]);
    expect(data.cancelled.day.jobs).toBe(4);
  });

  it("/projects/<owner>/<repo> shows the pull request's pipelines with each job's state and backend page, and a weekly chart", async () => {
    const html = await page("/projects/acme/widget");
    expect(html).toContain("Builder time saved per week");
    expect(html).toContain("pull request #1");
    const build = job(pipelineB, BUILD);
    expect(html).toContain(`href="${build.url}"`);
    expect(html).toContain(`Copr build ${build.external_id}`);
    const data = await api<{ pipelines: { items: { id: number; jobs: { state: string }[] }[] }; savedPerWeek: { jobs: number }[] }>(
      "/api/projects/acme/widget?limit=1",
    );
    expect(data.pipelines.items.map((p) => p.id)).toEqual([pipelineB]);
    // Only the build had an earlier run to estimate from; the tests had none.
    expect(data.savedPerWeek.at(-1)!.jobs).toBe(1);
    const older = await api<{ pipelines: { items: { id: number }[]; next: number | null } }>(
      `/api/projects/acme/widget?limit=1&before=${pipelineB}`,
    );
    expect(older.pipelines.items.map((p) => p.id)).toEqual([pipelineA]);
  });

  it("a private project is not found for anonymous visitors, in pages and the API alike", async () => {
    expect((await get("/projects/acme/secret")).status).toBe(404);
    expect((await get("/api/projects/acme/secret")).status).toBe(404);
    const secretJob = (await world.deps.db.get<{ id: number; pipeline_id: number }>(
      "SELECT j.id, j.pipeline_id FROM jobs j JOIN repositories r ON r.id = j.repo_id WHERE r.name = 'secret' LIMIT 1",
    ))!;
    expect((await get(`/jobs/${secretJob.id}`)).status).toBe(404);
    expect((await get(`/pipelines/${secretJob.pipeline_id}`)).status).toBe(404);
  });

  it("/pipelines/<id> of a superseded head links the head that superseded it", async () => {
    const html = await page(`/pipelines/${pipelineA}`);
    expect(html).toContain("Superseded by");
    expect(html).toContain(`href="/pipelines/${pipelineB}"`);
    for (const j of jobs.filter((x) => x.pipeline_id === pipelineA)) expect(html).toContain(`href="/jobs/${j.id}"`);
  });

  it("/jobs/<id> of a cancelled job says why, by whom, links the superseding head and explains the result code", async () => {
    const cancelled = job(pipelineA, BUILD);
    const html = await page(`/jobs/${cancelled.id}`);
    expect(html).toContain(`Superseded by ${headB.slice(0, 7)}`);
    expect(html).toMatch(new RegExp(`id="superseded-by"[^>]*>|href="/pipelines/${pipelineB}"`));
    expect(html).toContain("supersede");
    expect(html).toContain("the backend stopped it");
    const data = await api<{
      cancellation: { supersededBy: { id: number }; results: { code: number; source: string }[] };
      history: { state: string }[];
    }>(`/api/jobs/${cancelled.id}`);
    expect(data.cancellation.supersededBy.id).toBe(pipelineB);
    expect(data.cancellation.results).toEqual([expect.objectContaining({ code: 0, source: "supersede" })]);
    expect(data.history[0]!.state).toBe("submitted");
    expect(data.history.at(-1)!.state).toBe("cancelled");
    expect(html).toContain("Builder time saved:");
    expect(html).toContain("the last run of this check in this repository");
  });

  it("/jobs/<id> of a finished build shows its duration and backend page; of a waiting test, what it waits for", async () => {
    const built = job(pipelineB, BUILD);
    const data = await api<{ job: { durationMs: number; backendPage: { url: string } }; dependants: { check: string }[] }>(
      `/api/jobs/${built.id}`,
    );
    expect(data.job.durationMs).toBeGreaterThanOrEqual(0);
    expect(data.job.backendPage.url).toBe(built.url);
    expect(data.dependants.map((d) => d.check)).toEqual([TESTS]);
    const waiting = job(pipelineB, "testing-farm:fedora-44-x86_64");
    expect(await page(`/jobs/${waiting.id}`)).toContain("for rpm-build:fedora-44-x86_64 to succeed (it is submitted)");
  });

  it("every check run's details link opens its job page", async () => {
    const runs = [...world.sim.checkRuns("acme", "widget", headA), ...world.sim.checkRuns("acme", "widget", headB)];
    expect(runs.length).toBe(8);
    for (const run of runs) {
      expect(run.details_url, run.name).toMatch(new RegExp(`^${world.service.url}/jobs/\\d+$`));
      const res = await fetch(run.details_url!);
      expect(res.status, run.name).toBe(200);
      expect(await res.text(), run.name).toContain(`${run.name} (job `);
    }
  });

  it("/cancellations lists every cancel by entry point with per-job codes", async () => {
    const html = await page("/cancellations");
    expect(html).toContain("supersede: 1");
    expect(html).toContain(`href="/jobs/${job(pipelineA, BUILD).id}"`);
    const data = await api<{ reports: { items: { source: string; results: { code: number }[] }[] } }>("/api/cancellations");
    expect(data.reports.items).toHaveLength(1);
    expect(data.reports.items[0]!.results.map((r) => r.code).sort()).toEqual([0, 0, 0, 0]);
  });

  it("/maintenance shows what the next sweep would decide; /queue the tasks by state and the running workers", async () => {
    expect(await page("/maintenance")).toMatch(/acme<\/td><td>kept<\/td><td>(installed 0 days ago|a repository has a Packit config)/);
    const queue = await api<{ depth: { queue: string; status: string; n: number }[] }>("/api/queue");
    expect(Array.isArray(queue.depth)).toBe(true);
    expect(await page("/queue")).toContain("Running workers");
  });

  it("refuses bad paging with a clear 400, unknown ids with 404, and leaves other paths to the app", async () => {
    const bad = await get("/api?limit=abc");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'limit must be a whole number from 1 to 500, not "abc"' });
    expect((await get("/jobs/999999")).status).toBe(404);
    expect((await get("/api/jobs/abc")).status).toBe(404);
    expect((await get("/healthz")).status).toBe(200);
  });

  it("never shows secrets in a page", async () => {
    for (const path of ["/", "/cancellations", "/maintenance", "/queue", `/jobs/${job(pipelineA, BUILD).id}`]) {
      const html = await page(path);
      expect(html).not.toContain(world.sim.webhookSecret);
      expect(html).not.toContain("PRIVATE KEY");
    }
  });
});
