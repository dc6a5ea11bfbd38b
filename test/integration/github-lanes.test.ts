import { afterAll, beforeAll, expect, it } from "vitest";
import { Probot } from "probot";
import { createOctokitClass, type GitHub } from "../../src/github/octokit.js";
import { createLogger } from "../../src/log.js";
import { createMetrics } from "../../src/metrics/index.js";
import { lookupConfig } from "../../src/packit-config/lookup.js";
import { randomSha, startGitHubSim, type GitHubSim } from "../../testing/github-sim/index.js";

const INSTALLATION = 100;
/** GitHub's own advice and the service's default. */
const WRITE_INTERVAL_MS = 1000;
/** Shorter than GitHub's 3 s (the default), to see that the setting is the one that spaces comments. */
const NOTIFICATION_INTERVAL_MS = 1200;

let sim: GitHubSim;
let github: GitHub;
let Octokit: ReturnType<typeof createOctokitClass>;
let commentId: number;
const head = randomSha();

beforeAll(async () => {
  sim = await startGitHubSim();
  sim.addInstallation({ id: INSTALLATION, account: { login: "acme", type: "Organization" } });
  sim.addRepo({ installationId: INSTALLATION, owner: "acme", name: "widget", files: { ".packit.yaml": "jobs: []\n" } });
  sim.addPullRequest({ owner: "acme", repo: "widget", number: 1, headSha: head });
  commentId = sim.addComment("acme", "widget", 1, { body: "/packit build", author: "contributor" }).id;
  const log = await createLogger({ level: "silent" });
  Octokit = createOctokitClass({
    log,
    metrics: createMetrics({ defaultMetrics: false }),
    retries: 0,
    writeIntervalMs: WRITE_INTERVAL_MS,
    notificationIntervalMs: NOTIFICATION_INTERVAL_MS,
    requestTimeoutMs: 30_000,
    retryBaseMs: 1000,
  });
  github = await new Probot({ appId: sim.appId, privateKey: sim.privateKey, baseUrl: sim.url, log, Octokit }).auth(INSTALLATION);
  // The installation token is fetched by the first request; later ones reuse it (as in the service).
  await github.rest.repos.get({ owner: "acme", repo: "widget" });
});
afterAll(async () => {
  await Octokit?.close();
  await sim?.stop();
});

it("20 config lookups of one installation go out at once while its writes stay spaced, check-run writes in a lane of their own", async () => {
  const from = sim.requests.length;
  const started = Date.now();
  await Promise.all([
    ...Array.from({ length: 20 }, () => lookupConfig(github, { owner: "acme", repo: "widget", ref: head })),
    ...Array.from({ length: 3 }, () =>
      github.rest.reactions.createForIssueComment({ owner: "acme", repo: "widget", comment_id: commentId, content: "eyes" }),
    ),
    ...Array.from({ length: 3 }, (_, i) =>
      github.rest.checks.create({ owner: "acme", repo: "widget", name: `rpm-build:${i}`, head_sha: head }),
    ),
  ]);
  const requests = sim.requests.slice(from);
  const arrivals = (match: (r: (typeof requests)[number]) => boolean) =>
    requests
      .filter(match)
      .map((r) => r.at - started)
      .sort((a, b) => a - b);
  const reads = arrivals((r) => r.group === "graphql");
  const reactions = arrivals((r) => r.method === "POST" && r.path.endsWith("/reactions"));
  const checkRuns = arrivals((r) => r.method === "POST" && r.path.endsWith("/check-runs"));
  const gaps = (t: number[]) => t.slice(1).map((x, i) => x - t[i]!);

  expect(reads).toHaveLength(20);
  // Spaced like writes, the 20th lookup would go out 19 s after the first: here all are in before the third reaction (≥ 2 s).
  expect(reads.at(-1)!).toBeLessThan(reactions.at(-1)!);
  expect(reactions).toHaveLength(3);
  for (const gap of gaps(reactions)) expect(gap).toBeGreaterThanOrEqual(WRITE_INTERVAL_MS - 100);
  expect(checkRuns).toHaveLength(3);
  for (const gap of gaps(checkRuns)) expect(gap).toBeGreaterThanOrEqual(WRITE_INTERVAL_MS - 100);
  // Neither kind of write waited for the other: each lane's first write is in before the other's second.
  expect(checkRuns[0]!).toBeLessThan(reactions[1]!);
  expect(reactions[0]!).toBeLessThan(checkRuns[1]!);
}, 30_000);

it("spaces an installation's comments github.notificationIntervalMs apart", async () => {
  const from = sim.requests.length;
  await Promise.all(
    Array.from({ length: 3 }, (_, i) => github.rest.issues.createComment({ owner: "acme", repo: "widget", issue_number: 1, body: `${i}` })),
  );
  const at = sim.requests
    .slice(from)
    .filter((r) => r.method === "POST" && r.path.endsWith("/comments"))
    .map((r) => r.at)
    .sort((a, b) => a - b);
  expect(at).toHaveLength(3);
  for (const gap of at.slice(1).map((x, i) => x - at[i]!)) expect(gap).toBeGreaterThanOrEqual(NOTIFICATION_INTERVAL_MS - 100);
  // Not Octokit's own 3 s: the three are out well before 6 s.
  expect(at[2]! - at[0]!).toBeLessThan(2 * 3000 - 1000);
}, 30_000);
