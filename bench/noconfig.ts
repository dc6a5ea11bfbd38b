import type { Db } from "../src/db/types.js";
import { ConfigCache } from "../src/packit-config/cache.js";
import { DeliveryLog } from "../src/webhooks/deliveries.js";
import { startEnvironment } from "../testing/demo/environment.js";
import { pushEvent, randomSha, type SimRepo } from "../testing/github-sim/index.js";
import { percentile } from "./engine.js";

const REPOS = 50;
const EVENTS = 10_000;
const INSTALLATION = 100;
/** Webhook POSTs in flight at once (1 = strictly sequential). */
const CONCURRENCY = 1;
/** Stop early rather than run far past the ~60 s budget (reported as fewer events). */
const TIME_BUDGET_MS = 50_000;

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Pushes to repositories that have no Packit config, through the real webhook
 * handler: signed webhooks over HTTP (`env.send`) to the running service.
 *
 * 50 repositories without any config file; each gets one priming push (its config
 * lookup: one GraphQL request, measured as `first_lookup_requests`, with the
 * installation token fetched beforehand as a running service would have it). Then
 * 10,000 pushes round-robin over the 50, each a commit that touches only
 * `src/main.c`, sent one after another. Counted: GitHub requests during the 10,000
 * (goal 0); timed: each webhook POST's client-side round trip (goal p99 < 5 ms).
 */
export async function run(): Promise<Record<string, unknown>> {
  const env = await startEnvironment();
  try {
    const { sim, deps } = env;
    sim.addInstallation({ id: INSTALLATION, account: { login: "acme", type: "Organization" } });
    const repos: SimRepo[] = Array.from({ length: REPOS }, (_, i) =>
      sim.addRepo({ installationId: INSTALLATION, owner: "acme", name: `noconfig-${i}`, files: {} }),
    );
    const heads = new Map(repos.map((r) => [r.id, randomSha()]));

    const push = (repo: SimRepo, paths: string[]) => {
      const before = heads.get(repo.id)!;
      const after = randomSha();
      heads.set(repo.id, after);
      return pushEvent({ repo, ref: "main", before, after, commits: [{ id: after, modified: paths }] });
    };
    const send = async (payload: object) => {
      const res = await env.send("push", payload);
      if (res.status < 200 || res.status >= 300) throw new Error(`noconfig bench: webhook answered ${res.status}: ${res.body}`);
    };

    // Warm-up: the installation token (a running service has it cached).
    const github = await deps.github(INSTALLATION);
    await github.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: repos[0]!.name });

    // Priming: one push per repository; the first lookup of each asks GitHub.
    const firstLookup: number[] = [];
    for (const repo of repos) {
      const before = sim.requests.length;
      await send(push(repo, ["README.md"]));
      firstLookup.push(sim.requests.length - before);
    }
    const cached = { n: await new ConfigCache(deps.db).countInState("absent") };
    if (cached.n !== REPOS) throw new Error(`noconfig bench: ${cached.n} of ${REPOS} repositories cached as absent after priming`);

    // The measured events: payloads are built (and signed inside env.send) per event.
    const requestsBefore = sim.requests.length;
    const ignoredBefore = await deliveriesIgnored(deps.db);
    const latencies: number[] = [];
    const started = performance.now();
    let next = 0;
    let outOfTime = false;
    const lane = async () => {
      while (next < EVENTS) {
        if (performance.now() - started > TIME_BUDGET_MS) {
          outOfTime = true;
          return;
        }
        const i = next++;
        const payload = push(repos[i % REPOS]!, ["src/main.c"]);
        const t0 = performance.now();
        await send(payload);
        latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const totalMs = performance.now() - started;
    // The answers came first; each delivery's outcome is its task's to record.
    while ((await new DeliveryLog(deps.db).unfinished()) > 0) await new Promise((r) => setTimeout(r, 20));
    const githubRequests = sim.requests.length - requestsBefore;
    const ignored = (await deliveriesIgnored(deps.db)) - ignoredBefore;
    if (ignored !== latencies.length) {
      throw new Error(`noconfig bench: ${ignored} of ${latencies.length} deliveries were recorded as ignored (no config)`);
    }
    if (outOfTime) console.error(`noconfig: time budget reached after ${latencies.length} events`);

    const sorted = [...latencies].sort((a, b) => a - b);
    console.error(
      `noconfig: ${latencies.length} events in ${(totalMs / 1000).toFixed(1)} s (${Math.round(latencies.length / (totalMs / 1000))}/s); ` +
        `p90 ${round2(percentile(sorted, 90))} ms, p99.9 ${round2(percentile(sorted, 99.9))} ms, max ${round2(sorted.at(-1)!)} ms; ` +
        `${sorted.filter((l) => l >= 5).length} events took ≥ 5 ms; first lookups: ${firstLookup.join(",")}`,
    );
    return {
      name: "noconfig",
      events: latencies.length,
      github_requests: githubRequests,
      p50_ms: round2(percentile(sorted, 50)),
      p99_ms: round2(percentile(sorted, 99)),
      first_lookup_requests: Math.max(...firstLookup),
    };
  } finally {
    await env.stop();
  }
}

function deliveriesIgnored(db: Db): Promise<number> {
  return new DeliveryLog(db).count("push", "ignored");
}
