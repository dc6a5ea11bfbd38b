import { spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteDb } from "../src/db/sqlite.js";
import { freePort } from "../src/util/net.js";
import { TaskStore } from "../src/queue/index.js";
import { DELIVERY_QUEUE, LONG_QUEUE, SHORT_QUEUE } from "../src/tasks.js";
import { DeliveryLog } from "../src/webhooks/deliveries.js";
import { FAKE_COPR_ACCOUNT, startFakeCopr } from "../testing/fakes/copr.js";
import { FAKE_TF_API_KEY, startFakeTestingFarm } from "../testing/fakes/testing-farm.js";
import { pullRequestEvent, pushEvent, randomSha, startGitHubSim, type GitHubSim, type SimRepo } from "../testing/github-sim/index.js";
import { percentile } from "./engine.js";

/** CPU time a process has used, ms (Linux: utime + stime of /proc/<pid>/stat, in 10 ms ticks). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Webhook POSTs in flight at once, as the issue measured. */
const CONCURRENCY = 16;
/** Measured runs per kind and receiver, alternating service and bare Probot. */
const ROUNDS = 3;
const PER_RUN = 400;
/** Deliveries sent to each receiver before a kind is measured (JIT, connections, tokens, caches). */
const WARMUP = 100;
/**
 * How long the service may take to finish what a run's deliveries implied (their tasks,
 * and what those queued: submissions, check-run writes) before the next run, so that a
 * run is not measured against the previous one's leftovers.
 */
const DRAIN_LIMIT_MS = 15_000;

/** Unconfigured kinds first: what configured deliveries leave running (builds, check-run writes) must not weigh on them. */
const KINDS = ["push-unconfigured", "synchronize-unconfigured", "push-configured", "synchronize-configured"] as const;
type Kind = (typeof KINDS)[number];

const CONFIG = `specfile_path: widget.spec
jobs:
  - job: copr_build
    trigger: pull_request
    targets: [fedora-rawhide-x86_64]
  - job: copr_build
    trigger: commit
    branch: main
    targets: [fedora-rawhide-x86_64]
`;
/** Repositories per kind; deliveries go round-robin over them (one branch or pull request each). */
const REPOS_PER_KIND = 16;

interface Delivery {
  event: string;
  id: string;
  body: string;
  signature: string;
}

interface RunResult {
  latencies: number[];
  wallMs: number;
}

interface Receiver {
  url: string;
  /** CPU time the process has used so far, ms: what a delivery costs, whatever else loads the machine. */
  cpuMs(): number;
  output(): string;
  stop(): Promise<void>;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

/** A node process running `script` (with `npm start`'s node flags), ready when `ready` says so. */
async function startProcess(
  script: string,
  env: Record<string, string>,
  ready: (url: string, output: string) => Promise<boolean>,
): Promise<Receiver> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ["--max-semi-space-size=64", "--import", "tsx", script], {
    env: { ...process.env, LOG_LEVEL: "info", NODE_ENV: "production", ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Only the end of the output is kept: enough to say why a process died.
  let out = "";
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const deadline = Date.now() + 60_000;
  while (!(await ready(url, out).catch(() => false))) {
    if (exited() || Date.now() > deadline) throw new Error(`${script} did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    cpuMs: () => processCpuMs(child.pid!),
    output: () => out,
    async stop() {
      if (exited()) return;
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await gone;
    },
  };
}

/** Signed deliveries of one kind, each the next head of its repository's branch or pull request. */
function deliveriesOf(kind: Kind, sim: GitHubSim): (n: number) => Delivery[] {
  const configured = !kind.endsWith("-unconfigured");
  const repos: SimRepo[] = Array.from({ length: REPOS_PER_KIND }, (_, i) =>
    sim.addRepo({
      installationId: 100,
      owner: "acme",
      name: `${kind}-${i}`,
      files: configured ? { ".packit.yaml": CONFIG, "widget.spec": "Name: widget\n" } : {},
    }),
  );
  // The pull requests' author is a collaborator: their jobs run without approval, as before it existed.
  for (const r of repos) sim.setPermission("acme", r.name, "contributor", "write");
  const heads = repos.map(() => randomSha());
  let next = 0;
  const one = (): Delivery => {
    const i = next++ % repos.length;
    const repo = repos[i]!;
    const before = heads[i]!;
    const after = randomSha();
    heads[i] = after;
    const [event, payload] = kind.startsWith("push")
      ? ["push", pushEvent({ repo, ref: "main", before, after, commits: [{ id: after, modified: ["src/main.c"] }] })]
      : ["pull_request", pullRequestEvent("synchronize", { repo, number: 1, headSha: after, before, after, author: "contributor" })];
    const body = JSON.stringify(payload);
    return { event, id: randomUUID(), body, signature: `sha256=${createHmac("sha256", sim.webhookSecret).update(body).digest("hex")}` };
  };
  return (n) => Array.from({ length: n }, one);
}

/** POST the deliveries to `url` with CONCURRENCY in flight, timing each answer; every answer must be 2xx. */
async function load(url: string, deliveries: readonly Delivery[]): Promise<RunResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const target = new URL("/api/github/webhooks", url);
  const post = (d: Delivery) =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        target,
        {
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            "content-length": String(Buffer.byteLength(d.body)),
            "user-agent": "GitHub-Hookshot/bench",
            "x-github-event": d.event,
            "x-github-delivery": d.id,
            "x-github-hook-installation-target-type": "integration",
            "x-hub-signature-256": d.signature,
          },
        },
        (res) => {
          let text = "";
          res.on("data", (c: Buffer) => (text += c.toString()));
          res.on("end", () =>
            res.statusCode! >= 200 && res.statusCode! < 300
              ? resolve()
              : reject(new Error(`webhooks bench: ${d.event} answered ${res.statusCode}: ${text.slice(0, 300)}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(d.body);
    });
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < deliveries.length) {
      const d = deliveries[next++]!;
      const t0 = performance.now();
      await post(d);
      latencies.push(performance.now() - t0);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  } finally {
    agent.destroy();
  }
  return { latencies, wallMs: performance.now() - started };
}

function summary(runs: readonly RunResult[]) {
  const sorted = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const wallMs = runs.reduce((s, r) => s + r.wallMs, 0);
  return { perS: sorted.length / (wallMs / 1000), p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/**
 * The real service (`npm start`'s code path, a child process, on a fresh SQLite file,
 * against the simulated GitHub and fake Copr and Testing Farm) and bare Probot 14
 * with a no-op handler (a child process too), fed by the same load generator: signed
 * deliveries over HTTP, 16 in flight, alternating runs of PER_RUN deliveries. Before
 * each run the service finishes what the previous run's deliveries implied (their
 * tasks), so a run is never measured against the other's leftover work.
 */
export async function run(): Promise<Record<string, unknown>> {
  console.error(
    `webhooks: load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} on this machine at the start`,
  );
  const sim = await startGitHubSim();
  const [copr, tf] = await Promise.all([startFakeCopr({ phaseMs: 50 }), startFakeTestingFarm({ phaseMs: 50 })]);
  sim.addInstallation({ id: 100, account: { login: "acme", type: "Organization" } });
  const dir = mkdtempSync(join(tmpdir(), "packit-bench-webhooks-"));
  const dbPath = join(dir, "packit-probot.sqlite");
  const credentials = { APP_ID: String(sim.appId), PRIVATE_KEY: sim.privateKey, WEBHOOK_SECRET: sim.webhookSecret };
  const receivers: Receiver[] = [];
  let db: SqliteDb | undefined;
  try {
    const service = await startProcess(
      "src/main.ts",
      {
        ...credentials,
        PACKIT__DATABASE__PATH: dbPath,
        // The simulated installation is the operator's own.
        PACKIT__APPROVAL__INSTALLATIONS: "open",
        PACKIT__GITHUB__BASE_URL: sim.url,
        PACKIT__BACKENDS__COPR__URL: copr.url,
        PACKIT__BACKENDS__COPR__LOGIN: FAKE_COPR_ACCOUNT.login,
        PACKIT__BACKENDS__COPR__USERNAME: FAKE_COPR_ACCOUNT.username,
        PACKIT__BACKENDS__COPR__TOKEN: FAKE_COPR_ACCOUNT.token,
        PACKIT__BACKENDS__TESTING_FARM__URL: tf.url,
        PACKIT__BACKENDS__TESTING_FARM__API_KEY: FAKE_TF_API_KEY,
      },
      async (url) => (await fetch(`${url}/readyz`)).ok,
    );
    receivers.push(service);
    const bare = await startProcess("bench/bare-probot.ts", credentials, (_url, out) => Promise.resolve(out.includes("listening")));
    receivers.push(bare);
    db = new SqliteDb(dbPath);
    const deliveries = new DeliveryLog(db);
    const tasks = new TaskStore(db);
    const queues = [DELIVERY_QUEUE, SHORT_QUEUE, LONG_QUEUE];
    // Busy while a delivery is open or a task is running or due (the builds' next polls, minutes away, are not).
    const busy = async () =>
      (await deliveries.unfinished()) > 0 ||
      (await tasks.counts()).some((c) => c.status === "doing") ||
      ((await tasks.nextDueAt(queues)) ?? Number.POSITIVE_INFINITY) <= Date.now();
    const drain = async () => {
      const t0 = performance.now();
      while ((await busy()) && performance.now() - t0 < DRAIN_LIMIT_MS) await new Promise((r) => setTimeout(r, 50));
      const open = await deliveries.unfinished();
      return (await busy())
        ? `${open} deliveries open, tasks still due after ${DRAIN_LIMIT_MS} ms`
        : `done in ${Math.round(performance.now() - t0)} ms`;
    };

    const kinds: Record<string, Record<string, number>> = {};
    for (const kind of KINDS) {
      const make = deliveriesOf(kind, sim);
      await load(service.url, make(WARMUP));
      await drain();
      await load(bare.url, make(WARMUP));
      const ours: RunResult[] = [];
      const theirs: RunResult[] = [];
      const drains: string[] = [];
      const cpu = { answering: 0, afterwards: 0, bare: 0 };
      for (let r = 0; r < ROUNDS; r++) {
        let at = service.cpuMs();
        ours.push(await load(service.url, make(PER_RUN)));
        cpu.answering += service.cpuMs() - at;
        at = service.cpuMs();
        drains.push(await drain());
        cpu.afterwards += service.cpuMs() - at;
        at = bare.cpuMs();
        theirs.push(await load(bare.url, make(PER_RUN)));
        cpu.bare += bare.cpuMs() - at;
      }
      const perDelivery = (ms: number) => round2(ms / (ROUNDS * PER_RUN));
      const s = summary(ours);
      const b = summary(theirs);
      kinds[kind] = {
        per_s: round1(s.perS),
        p50_ms: round2(s.p50),
        p99_ms: round2(s.p99),
        bare_per_s: round1(b.perS),
        bare_p99_ms: round2(b.p99),
        ratio_per_s: round2(s.perS / b.perS),
      };
      console.error(
        `webhooks ${kind}: service ${round1(s.perS)}/s p50 ${round2(s.p50)} ms p99 ${round2(s.p99)} ms; bare Probot ${round1(b.perS)}/s p50 ${round2(b.p50)} ms p99 ${round2(b.p99)} ms; ` +
          `the service's delivery tasks after each run: ${drains.join("; ")}; ` +
          `CPU ms a delivery: service ${perDelivery(cpu.answering)} while answering and ${perDelivery(cpu.afterwards)} after, bare Probot ${perDelivery(cpu.bare)}`,
      );
    }
    const outcomes = await db.all<{ event: string; outcome: string | null; n: number }>(
      "SELECT event, outcome, COUNT(*) AS n FROM deliveries GROUP BY event, outcome ORDER BY event, outcome",
    );
    console.error(
      `webhooks: delivery outcomes ${outcomes.map((o) => `${o.event}:${o.outcome ?? "open"}=${o.n}`).join(" ")}; Copr builds ${copr.submissions}`,
    );
    if (outcomes.some((o) => o.outcome === "error"))
      throw new Error("webhooks bench: some deliveries ended in error:\n" + service.output().slice(-3000));
    return { name: "webhooks", kinds };
  } finally {
    await db?.close();
    await Promise.all(receivers.map((r) => r.stop()));
    await Promise.all([sim.stop(), copr.stop(), tf.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
