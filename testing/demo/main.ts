/**
 * `npm run demo [-- --json] [--serve]`: the real service against the simulated GitHub and the
 * fake backends, on loopback, playing one scenario end to end — install, a pull
 * request with builds and tests, a new head superseding the old one, `/packit
 * cancel`, the check-run buttons, a push that costs no API call, the
 * maintenance sweep, and on a second repository the other two backends: a
 * differential OpenScanHub scan against the branch build, and a VM image built
 * on `/packit vm-image-build`. Every step checks what it prints; the exit code
 * says whether all of them behaved. `--serve` keeps it all running afterwards, with
 * the dashboard on the service's port: the first line is `{"dashboard": "<url>"}`.
 * Then the approval scenarios (`approval.ts`) on an environment of their own; the
 * summary lists every step and scenario in `scenarios`.
 */
import { createHash, randomUUID } from "node:crypto";
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import type { BackendName } from "../../src/backends/types.js";
import { fakeSrpm } from "../fakes/copr.js";
import { XmlRpcFault } from "../../src/backends/xmlrpc/codec.js";
import { CANCEL_CODES, renderReport, type CancelCode, type CancelReport } from "../../src/cancel/report.js";
import {
  checkRunEvent,
  installationEvent,
  issueCommentEvent,
  pullRequestEvent,
  pushEvent,
  randomSha,
  type CheckRunRecord,
  type SimInstallation,
  type SimRepo,
} from "../github-sim/index.js";
import { runSweep, type SweepResult } from "../../src/maintenance/sweep.js";
import { AuditLog } from "../../src/audit/index.js";
import { rowCounts } from "../../src/db/copy.js";
import type { JobRow } from "../../src/pipeline/store.js";
import { DeliveryLog } from "../../src/webhooks/deliveries.js";
import { startEnvironment, type Environment } from "./environment.js";
import { runApprovalScenarios } from "./approval.js";

export interface DemoOptions {
  /** End with one JSON line (the summary) after the timeline. */
  json?: boolean;
  /** Where timeline lines go (default: stdout). */
  log?: (line: string) => void;
  /** Run the service on a fresh database on this PostgreSQL server (`npm run demo` passes `DATABASE_URL`). */
  postgresUrl?: string;
  /**
   * `--serve`: first print `{"dashboard": "<url>"}`, and after the scenario keep
   * everything running (the dashboard shows its data) until this resolves
   * (Ctrl-C / SIGTERM when run from the command line). A function is called with the
   * running environment once the scenario is over (the browser tests look at it).
   */
  serveUntil?: Promise<unknown> | ((env: Environment) => Promise<unknown>);
}

export interface DemoSummary {
  name: "demo";
  /** Every step behaved as expected. */
  ok: boolean;
  /** Steps that behaved as expected. */
  steps: number;
  /** Every step of the main scenario and every approval scenario, in order, and whether it behaved (a step not run did not). */
  scenarios: { name: string; ok: boolean }[];
  /** Check runs of acme/widget and acme/gadget on the simulated GitHub by conclusion (or status while unfinished). */
  checks: Record<string, number>;
  /** Requests the app made to the simulated GitHub. */
  github_requests: number;
  /** Per-job cancel results by code, over every cancel report. */
  cancellations: Record<`${CancelCode}`, number>;
  /** Successful submissions per fake backend (the main scenario's). */
  submissions: Record<BackendName, number>;
  elapsed_ms: number;
  /** The first step that did not behave, with what was expected and what happened. */
  failure?: { step: string; expected: string; actual: string };
}

/** Fake backend phase length: long enough to catch work in flight, short enough for a ~10 s demo. */
const PHASE_MS = 150;
/** No single wait of the demo should take this long; a step that does has failed. */
const WAIT_MS = 10_000;

const CONFIG = `specfile_path: widget.spec
jobs:
  - job: copr_build
    trigger: pull_request
    targets: [fedora-rawhide-x86_64, fedora-44-x86_64]
  - job: tests
    trigger: pull_request
    targets: [fedora-rawhide-x86_64, fedora-44-x86_64]
  - job: upstream_koji_build
    trigger: pull_request
    targets: [fedora-rawhide, fedora-44]
  - job: tests
    trigger: pull_request
    identifier: smoke
    manual_trigger: true
    targets: [fedora-rawhide-x86_64]
`;

/** The second repository's: a branch build (the scan's base), a PR build scanned against it, and a VM image on request. */
const GADGET_CONFIG = `specfile_path: gadget.spec
jobs:
  - job: copr_build
    trigger: commit
    branch: main
    targets: [fedora-rawhide-x86_64]
  - job: copr_build
    trigger: pull_request
    targets: [fedora-rawhide-x86_64]
    osh_diff_scan_after_copr_build: true
  - job: vm_image_build
    trigger: pull_request
    copr_chroot: fedora-rawhide-x86_64
    image_distribution: fedora-42
    image_request: {architecture: x86_64, image_type: aws, upload_request: {type: aws, options: {share_with_accounts: ["123456789012"]}}}
`;

const RPM_RAWHIDE = "rpm-build:fedora-rawhide-x86_64";
const RPM_44 = "rpm-build:fedora-44-x86_64";
const TF_RAWHIDE = "testing-farm:fedora-rawhide-x86_64";
const TF_44 = "testing-farm:fedora-44-x86_64";
const KOJI_RAWHIDE = "koji-build:rawhide";
const KOJI_44 = "koji-build:f44";
const TF_SMOKE = "testing-farm:fedora-rawhide-x86_64:smoke";
const RPM_MAIN_RAWHIDE = "rpm-build:main:fedora-rawhide-x86_64";
const OSH_RAWHIDE = "osh-diff-scan:fedora-rawhide-x86_64";
const VM_RAWHIDE = "vm-image-build:fedora-rawhide-x86_64";
const AWS_ACCOUNT = "123456789012";
/** The chroot of acme/gadget's builds, scan and image. */
const GADGET_CHROOT = "fedora-rawhide-x86_64";

/** The repositories of the acme installation. */
type RepoName = "widget" | "gadget";
/** Who opened PR #1 of each, from which branch. */
const PULLS: Record<RepoName, { headRef: string; author: string }> = {
  widget: { headRef: "fix-build", author: "contributor" },
  gadget: { headRef: "new-feature", author: "contributor" },
};

/** A step's expectation did not hold. */
class Unexpected extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`expected ${expected}; got ${actual}`);
  }
}

function expect(ok: boolean, expected: string, actual: () => string): asserts ok {
  if (!ok) throw new Unexpected(expected, actual());
}

const short = (sha: string) => sha.slice(0, 7);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface StepResult {
  line: string;
  /** Shown indented under the step line (reports, replies). */
  details?: string[];
}

interface Step {
  title: string;
  run(): Promise<StepResult>;
}

/** A job to keep running: the next job of `sha` and `key` after `afterJobId`, once claimed. */
interface Hold {
  sha: string;
  key: string;
  /** Only jobs submitted after the hold was asked for. */
  afterSubmission: number;
  jobId?: number;
}

/** A submission the app made, as the demo saw it go out (the fakes' hooks read this synchronously). */
interface Submission {
  seq: number;
  jobId: number;
  sha: string;
  key: string;
}

/** The scenario's world and the probes its steps use. */
class Scenario {
  readonly acme: SimInstallation;
  readonly widget: SimRepo;
  readonly gadget: SimRepo;
  readonly dormant: SimInstallation;
  readonly legacy: SimRepo;
  private readonly holds: Hold[] = [];
  /** "backend:externalId" → the job behind it. */
  private readonly submissions = new Map<string, Submission>();
  private readonly heldKoji = new Set<number>();
  private kojiRefusesCancel = false;
  private stopped = false;
  readonly shaA = randomSha();
  readonly shaB = randomSha();
  /** acme/gadget: a commit pushed to main, and the head of its PR #1. */
  readonly shaMain = randomSha();
  readonly shaC = randomSha();

  constructor(readonly env: Environment) {
    const { sim, fakes } = env;
    this.watchSubmissions();
    // Installed long ago, so the sweep judges them on their configs, not the grace period.
    this.acme = sim.addInstallation({ id: 100, account: { login: "acme", type: "Organization" }, createdAt: "2024-03-01T09:00:00Z" });
    this.widget = sim.addRepo({
      installationId: 100,
      owner: "acme",
      name: "widget",
      files: { ".packit.yaml": CONFIG, "widget.spec": "Name: widget\n" },
    });
    sim.setPermission("acme", "widget", "maintainer", "write");
    // The pull requests' author is a collaborator: their jobs run unasked (outsiders: approval.ts).
    sim.setPermission("acme", "widget", "contributor", "write");
    sim.setPermission("acme", "widget", "stranger", "read");
    this.gadget = sim.addRepo({
      installationId: 100,
      owner: "acme",
      name: "gadget",
      files: { ".packit.yaml": GADGET_CONFIG, "gadget.spec": "Name: gadget\n" },
    });
    sim.setPermission("acme", "gadget", "maintainer", "write");
    sim.setPermission("acme", "gadget", "contributor", "write");
    this.dormant = sim.addInstallation({
      id: 200,
      account: { login: "dormant-org", type: "Organization" },
      createdAt: "2023-06-01T09:00:00Z",
    });
    this.legacy = sim.addRepo({ installationId: 200, owner: "dormant-org", name: "legacy", files: { "README.md": "# legacy\n" } });

    // The fakes advance work on a clock. A held job is pinned "running" just before the
    // app's first read of it, so the app never sees it move on, however slow this machine.
    fakes.copr.faults.delayMs = (req) => {
      const id = /^\/api_3\/build\/(\d+)\/?$/.exec(req.path)?.[1];
      if (req.method === "GET" && id && this.claimHold("copr", id)) fakes.copr.finish(id, "running");
      return 0;
    };
    fakes.testingFarm.faults.delayMs = (req) => {
      const id = /^\/v0\.1\/requests\/([0-9a-f-]{36})\/?$/.exec(req.path)?.[1];
      if (req.method === "GET" && id && this.claimHold("testing-farm", id)) fakes.testingFarm.finish(id, "running");
      return 0;
    };
    // Koji tasks cannot be pinned: a held task is put back to OPEN on every read.
    fakes.koji.beforeCall = (method, params) => {
      const id = Number(params[0]);
      if (method === "getTaskInfo" && this.claimHold("koji", String(id))) this.heldKoji.add(id);
      if (!this.heldKoji.has(id)) return;
      if (method === "getTaskInfo") fakes.koji.start(id);
      if (method === "cancelTask" && this.kojiRefusesCancel) throw new XmlRpcFault(1004, "admin permission required (logged in as packit)");
    };
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * Note each job the app submits to Copr, Testing Farm or Koji when its backend id
   * comes back, before the app's first status read can reach the fake (the fakes'
   * hooks are synchronous; the database is not).
   */
  private watchSubmissions(): void {
    for (const backend of ["copr", "testing-farm", "koji"] as const) {
      const client = this.env.deps.backends[backend];
      const submit = client.submit.bind(client);
      client.submit = async (req, opts) => {
        const res = await submit(req, opts);
        const job = await this.env.deps.pipelines.jobByToken(req.token);
        if (job)
          this.submissions.set(`${backend}:${res.externalId}`, {
            seq: this.submissions.size + 1,
            jobId: job.id,
            sha: req.source.sha,
            key: job.key,
          });
        return res;
      };
    }
  }

  /** Poll until `probe` returns a value; fail the step with what was expected and the last state seen. */
  async until<T>(
    expected: string,
    probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
    actual: () => string | Promise<string>,
    timeoutMs = WAIT_MS,
  ): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (this.stopped) throw new Unexpected(expected, "the demo was stopped");
      const v = await probe();
      if (v !== undefined && v !== false && v !== null) return v;
      if (Date.now() > end) throw new Unexpected(`${expected} within ${timeoutMs / 1000} s`, await actual());
      await sleep(5);
    }
  }

  async send(event: string, payload: object): Promise<void> {
    const res = await this.env.send(event, payload);
    expect(res.status >= 200 && res.status < 300, `${event} answered 2xx`, () => `${res.status} ${res.body.trim()}`);
  }

  repo(name: RepoName): SimRepo {
    return name === "widget" ? this.widget : this.gadget;
  }

  /** Check runs of a head by name: status, or conclusion once completed. */
  checks(sha: string, repo: RepoName = "widget"): Record<string, string> {
    return Object.fromEntries(
      this.env.sim.checkRuns("acme", repo, sha).map((c) => [c.name, c.status === "completed" ? (c.conclusion ?? "completed") : c.status]),
    );
  }

  /** The newest check run of that name (a re-run is a new check run; the old one keeps its result). */
  run(sha: string, name: string, repo: RepoName = "widget"): CheckRunRecord {
    const run = this.env.sim.checkRuns("acme", repo, sha).findLast((c) => c.name === name);
    expect(run !== undefined, `a check run ${name} on ${short(sha)}`, () => JSON.stringify(this.checks(sha, repo)));
    return run;
  }

  async waitForChecks(sha: string, want: Record<string, string>, what: string, repo: RepoName = "widget"): Promise<Record<string, string>> {
    const matches = () => {
      const now = this.checks(sha, repo);
      return Object.entries(want).every(([name, state]) => now[name] === state) ? now : undefined;
    };
    return this.until(`${what}: ${JSON.stringify(want)}`, matches, () => JSON.stringify(this.checks(sha, repo)));
  }

  /** The newest job of a head with this check name, as the app's database has it. */
  latestJob(sha: string, key: string): Promise<JobRow | undefined> {
    return this.env.deps.pipelines.latestJobAtHead(sha, key);
  }

  /**
   * Keep the next job of a head with this check name running in its backend until
   * it is cancelled (or, for Koji, released). Call it before the event that creates
   * the job; resolves once the job is held.
   */
  hold(sha: string, key: string): Promise<void> {
    const hold: Hold = { sha, key, afterSubmission: this.submissions.size };
    this.holds.push(hold);
    const held = this.until(
      `${key} of ${short(sha)} submitted and held`,
      () => hold.jobId !== undefined,
      async () => JSON.stringify((await this.latestJob(sha, key)) ?? null),
    ).then(() => undefined);
    held.catch(() => undefined); // awaited by the step that needs it
    return held;
  }

  /** Whether the job behind a backend id is one to hold now (each hold takes one job). */
  private claimHold(backend: BackendName, externalId: string): boolean {
    if (this.stopped) return false;
    const job = this.submissions.get(`${backend}:${externalId}`);
    if (!job || this.holds.some((h) => h.jobId === job.jobId)) return false;
    const hold = this.holds.find((h) => h.jobId === undefined && h.sha === job.sha && h.key === job.key && job.seq > h.afterSubmission);
    if (hold) hold.jobId = job.jobId;
    return hold !== undefined;
  }

  releaseKoji(): void {
    this.heldKoji.clear();
    this.kojiRefusesCancel = false;
  }

  refuseKojiCancel(): void {
    this.kojiRefusesCancel = true;
  }

  async cancelReports(action: string): Promise<CancelReport[]> {
    return (await new AuditLog(this.env.deps.db).list({ action })).map((e) => e.detail as CancelReport);
  }

  async nextCancelReport(action: string, seen: number): Promise<CancelReport> {
    return this.until(
      `a new ${action} report in the audit table`,
      async () => (await this.cancelReports(action))[seen],
      async () => `${(await this.cancelReports(action)).length} report(s)`,
    );
  }

  /** A delivery's outcome once its task has ended (the webhook's answer comes first). */
  async outcomeOf(deliveryId: string): Promise<string | undefined> {
    const log = new DeliveryLog(this.env.deps.db);
    return this.until(
      `delivery ${deliveryId} to end`,
      async () => (await log.outcome(deliveryId)) ?? undefined,
      () => Promise.resolve("no outcome yet"),
    );
  }

  /** Wait until the app has nothing queued or running (so request counts that follow are its own). */
  async idle(): Promise<void> {
    const busy = async () =>
      (await this.env.deps.tasks.counts()).filter((c) => c.status === "todo" || c.status === "doing").reduce((n, c) => n + c.n, 0);
    await this.until(
      "the app idle (no queued or running tasks)",
      async () => (await busy()) === 0,
      async () => `${await busy()} task(s) queued or running`,
    );
  }

  /** PR #1 of a repository at a new head, as it exists on GitHub (so `/packit` commands can read it) and as the webhook describes it. */
  pullRequest(action: "opened" | "synchronize", headSha: string, before?: string, repo: RepoName = "widget") {
    const { headRef, author } = PULLS[repo];
    this.env.sim.addPullRequest({ owner: "acme", repo, number: 1, headSha, headRef, author });
    return pullRequestEvent(action, { repo: this.repo(repo), number: 1, headSha, headRef, before, author });
  }

  /** A `/packit …` comment on PR #1, as it exists on GitHub and as the webhook describes it. */
  prComment(body: string, author: string, repo: RepoName = "widget") {
    const comment = this.env.sim.addComment("acme", repo, 1, { body, author });
    return issueCommentEvent({
      repo: this.repo(repo),
      issueNumber: 1,
      isPullRequest: true,
      body,
      author,
      issueAuthor: PULLS[repo].author,
      commentId: comment.id,
    });
  }

  appComments(repo: RepoName = "widget"): string[] {
    return this.env.sim
      .comments("acme", repo, 1)
      .filter((c) => c.user?.login.endsWith("[bot]"))
      .map((c) => c.body ?? "");
  }

  pressButton(sha: string, name: string, identifier: "cancel" | "rerun", sender: string) {
    return checkRunEvent("requested_action", {
      repo: this.widget,
      checkRun: this.run(sha, name),
      identifier,
      sender,
      pullRequests: [{ number: 1, headRef: "fix-build" }],
    });
  }

  taskCount(name: string): Promise<number> {
    return this.env.deps.tasks.countByName(name);
  }
}

const indent = (text: string) => text.split("\n").map((l) => `      ${l}`);
/** The SRPM file name the fake Copr gives build `id`. */
const srpmName = (id: number) => `package-1.0-1.${id}.src.rpm`;
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

function describeSweep(res: SweepResult | undefined, login: string): string {
  const d = res?.decisions.find((x) => x.login === login);
  return d ? `${d.action} (${d.reason})` : "not judged";
}

function steps(s: Scenario): Step[] {
  const { env } = s;
  const { sim, fakes } = env;
  const A = short(s.shaA);
  const B = short(s.shaB);
  const M = short(s.shaMain);
  const C = short(s.shaC);
  /** The one Copr build of a commit, as the fake Copr has it. */
  const coprBuildOf = (sha: string) => {
    const found = fakes.copr.builds().filter((b) => b.committish === sha);
    expect(found.length === 1 && found[0]!.state === "succeeded", `one succeeded Copr build of ${short(sha)}`, () =>
      JSON.stringify(found.map((b) => ({ id: b.id, state: b.state }))),
    );
    return found[0]!;
  };
  // Jobs kept running so that later steps find them unfinished, by step that awaits them.
  const held: Record<"build" | "test" | "newHead", Promise<void>[]> = { build: [], test: [], newHead: [] };

  return [
    {
      title: "install",
      async run() {
        const installs: [SimInstallation, SimRepo[]][] = [
          [s.acme, [s.widget, s.gadget]],
          [s.dormant, [s.legacy]],
        ];
        for (const [installation, repositories] of installs) {
          await s.send(
            "installation",
            installationEvent("created", { installation, repositories, sender: `${installation.account.login}-admin` }),
          );
        }
        // Recorded by the deliveries' tasks, a moment after the answers. COUNT(*) is a bigint on PostgreSQL: compared as numbers.
        const counts = async () => {
          const rows = await rowCounts(env.deps.db);
          return { installations: Number(rows.installations), repositories: Number(rows.repositories) };
        };
        await s.until(
          "2 installations and 3 repositories recorded",
          async () => {
            const rows = await counts();
            return rows.installations === 2 && rows.repositories === 3;
          },
          async () => {
            const rows = await counts();
            return `${rows.installations} installations, ${rows.repositories} repositories`;
          },
        );
        return {
          line: "app installed on acme (acme/widget and acme/gadget, configured) and dormant-org (dormant-org/legacy, no .packit.yaml)",
        };
      },
    },
    {
      title: "pull request opened",
      async run() {
        const payload = s.pullRequest("opened", s.shaA);
        // rpm-build:fedora-44 and the rawhide test of this head are still running when the next push comes.
        held.build = [s.hold(s.shaA, RPM_44)];
        held.test = [s.hold(s.shaA, TF_RAWHIDE)];
        await s.send("pull_request", payload);
        const checks = await s.until(
          "6 check runs on the head",
          () => Object.keys(s.checks(s.shaA)).length === 6 && s.checks(s.shaA),
          () => JSON.stringify(s.checks(s.shaA)),
        );
        const prefixes = Object.keys(checks).map((n) => n.split(":")[0]);
        const by = (p: string) => prefixes.filter((x) => x === p).length;
        // The reporter sends only the latest state: on a slow machine a build may already be running when its check is created.
        const firstStates = sim.checkRuns("acme", "widget", s.shaA).map((c) => c.history[0]?.status);
        const queued = firstStates.every((st) => st === "queued") ? "queued" : `created (${firstStates.join(", ")})`;
        return {
          line: `PR #1 opened by @contributor (head ${A}): 6 checks ${queued} — ${by("rpm-build")} rpm-build, ${by("testing-farm")} testing-farm, ${by("koji-build")} koji-build`,
        };
      },
    },
    {
      title: "builds",
      async run() {
        await Promise.all(held.build);
        await s.waitForChecks(
          s.shaA,
          { [RPM_RAWHIDE]: "success", [KOJI_RAWHIDE]: "success", [KOJI_44]: "success", [RPM_44]: "in_progress" },
          "three builds done, one still building",
        );
        return { line: `builds: ${RPM_RAWHIDE}, ${KOJI_RAWHIDE}, ${KOJI_44} succeeded; ${RPM_44} still building (held in Copr)` };
      },
    },
    {
      title: "tests",
      async run() {
        await Promise.all(held.test);
        await s.waitForChecks(s.shaA, { [TF_RAWHIDE]: "in_progress", [TF_44]: "queued" }, "the rawhide test running, the f44 test waiting");
        const waiting = s.run(s.shaA, TF_44).output.title;
        expect(waiting === `Waiting for ${RPM_44}`, `${TF_44} titled "Waiting for ${RPM_44}"`, () => String(waiting));
        return { line: `tests: ${TF_RAWHIDE} running on its Copr build; ${TF_44} "${waiting}"` };
      },
    },
    {
      title: "new head supersedes the old one",
      async run() {
        const seen = (await s.cancelReports("cancel.supersede")).length;
        // On the new head, both tests and koji-build:f44 are kept running for the cancel steps.
        held.newHead = [s.hold(s.shaB, TF_RAWHIDE), s.hold(s.shaB, TF_44), s.hold(s.shaB, KOJI_44)];
        await s.send("pull_request", s.pullRequest("synchronize", s.shaB, s.shaA));
        const report = await s.nextCancelReport("cancel.supersede", seen);
        const codes = report.results.map((r) => `${r.check}=${r.code}`).sort();
        const want = [`${RPM_44}=0`, `${TF_RAWHIDE}=0`, `${TF_44}=0`].sort();
        expect(
          report.overall === "all" && JSON.stringify(codes) === JSON.stringify(want),
          `overall "all", ${want.join(", ")}`,
          () => `${report.overall}, ${codes.join(", ")}`,
        );
        const reason = `Cancelled: superseded by ${B}`;
        await s.waitForChecks(
          s.shaA,
          { [RPM_44]: "cancelled", [TF_RAWHIDE]: "cancelled", [TF_44]: "cancelled" },
          "the superseded jobs' checks cancelled",
        );
        const titles = [RPM_44, TF_RAWHIDE, TF_44].map((n) => s.run(s.shaA, n).output.title);
        expect(
          titles.every((t) => t === reason),
          `cancelled checks titled "${reason}"`,
          () => JSON.stringify(titles),
        );
        return {
          line: `push ${B} to PR #1 (before ${A}): ${report.results.length} unfinished jobs of ${A} cancelled — checks "cancelled", "${reason}"`,
          details: indent(renderReport(report)),
        };
      },
    },
    {
      title: "new head runs",
      async run() {
        await Promise.all(held.newHead);
        await s.waitForChecks(
          s.shaB,
          {
            [RPM_RAWHIDE]: "success",
            [RPM_44]: "success",
            [KOJI_RAWHIDE]: "success",
            [KOJI_44]: "in_progress",
            [TF_RAWHIDE]: "in_progress",
            [TF_44]: "in_progress",
          },
          "builds done, both tests and koji-build:f44 running",
        );
        return { line: `head ${B}: 3 builds succeeded; ${TF_RAWHIDE}, ${TF_44} and ${KOJI_44} running (held)` };
      },
    },
    {
      title: "/packit cancel by the PR author",
      async run() {
        s.refuseKojiCancel();
        const before = s.appComments().length;
        const payload = s.prComment("/packit cancel", "contributor");
        await s.send("issue_comment", payload);
        const reply = await s.until(
          "a reply comment with the cancel report",
          () => s.appComments()[before],
          () => JSON.stringify(s.appComments()),
        );
        expect(reply.startsWith("**Cancel: partial**"), 'a "partial" cancel report', () => reply.split("\n")[0]!);
        const report = (await s.cancelReports("cancel.comment")).at(-1);
        const codes = report?.results.map((r) => `${r.check}=${r.code}`).sort() ?? [];
        const want = [`${KOJI_44}=3`, `${TF_RAWHIDE}=0`, `${TF_44}=0`].sort();
        expect(JSON.stringify(codes) === JSON.stringify(want), want.join(", "), () => codes.join(", "));
        const eyes = sim.reactions("acme", "widget", payload.comment.id).some((r) => r.content === "eyes");
        expect(eyes, "an 👀 reaction on the command", () => "no reaction");
        await s.waitForChecks(
          s.shaB,
          { [TF_RAWHIDE]: "cancelled", [TF_44]: "cancelled", [KOJI_44]: "in_progress" },
          "the tests cancelled, Koji still running",
        );
        return {
          line: `/packit cancel by @contributor (PR author): tests cancelled, Koji refused to cancel ${KOJI_44} (code 3); reply:`,
          details: indent(reply),
        };
      },
    },
    {
      title: "/packit cancel by a stranger",
      async run() {
        const before = s.appComments().length;
        const cancels = await s.taskCount("cancel-jobs");
        await s.send("issue_comment", s.prComment("/packit cancel", "stranger"));
        const reply = await s.until(
          "a refusal reply",
          () => s.appComments()[before],
          () => JSON.stringify(s.appComments()),
        );
        expect(reply.startsWith("Sorry @stranger"), "a reply refusing @stranger", () => reply);
        const cancelsAfter = await s.taskCount("cancel-jobs");
        expect(cancelsAfter === cancels, "no cancel queued", () => `${cancelsAfter - cancels} cancel task(s) queued`);
        // Let Koji finish the build it refused to cancel.
        s.releaseKoji();
        return { line: "/packit cancel by @stranger (read access): refused, nothing cancelled; reply:", details: indent(reply) };
      },
    },
    {
      title: "Re-run button",
      async run() {
        const held = s.hold(s.shaB, TF_RAWHIDE);
        const before = fakes.testingFarm.submissions;
        const old = s.run(s.shaB, TF_RAWHIDE);
        await s.send("check_run", s.pressButton(s.shaB, TF_RAWHIDE, "rerun", "maintainer"));
        await held;
        await s.waitForChecks(s.shaB, { [TF_RAWHIDE]: "in_progress" }, "the re-run test running");
        // A re-run is a new check run, as on GitHub; the old one keeps its result and is linked from the new one.
        const fresh = s.run(s.shaB, TF_RAWHIDE);
        const kept = s.env.sim.checkRuns("acme", "widget", s.shaB).find((c) => c.id === old.id)!;
        const linked = fresh.output.summary?.includes(`(${old.details_url})`) ?? false;
        expect(
          fresh.id !== old.id &&
            kept.status === "completed" &&
            kept.conclusion === old.conclusion &&
            linked &&
            fakes.testingFarm.submissions === before + 1,
          "a new check run linking the old one, which keeps its result; one new Testing Farm request",
          () =>
            `new run ${fresh.id !== old.id}, old ${kept.status}/${kept.conclusion}, linked ${linked}; ${fakes.testingFarm.submissions - before} new request(s)`,
        );
        return {
          line: `Re-run button on ${TF_RAWHIDE} by @maintainer: a new check run (the old one stays ${old.conclusion}), new Testing Farm request`,
        };
      },
    },
    {
      title: "Cancel button",
      async run() {
        const seen = (await s.cancelReports("cancel.button")).length;
        await s.send("check_run", s.pressButton(s.shaB, TF_RAWHIDE, "cancel", "maintainer"));
        const report = await s.nextCancelReport("cancel.button", seen);
        expect(report.results.length === 1 && report.results[0]!.code === 0, `${TF_RAWHIDE} code 0`, () => JSON.stringify(report.results));
        await s.waitForChecks(s.shaB, { [TF_RAWHIDE]: "cancelled" }, "the test cancelled");
        const title = s.run(s.shaB, TF_RAWHIDE).output.title;
        expect(title === "Cancelled by @maintainer", 'titled "Cancelled by @maintainer"', () => String(title));
        return { line: `Cancel button on it: cancelled (code 0), "${title}"` };
      },
    },
    {
      title: "GitHub's Re-run",
      async run() {
        const payload = checkRunEvent("rerequested", {
          repo: s.widget,
          checkRun: s.run(s.shaB, TF_RAWHIDE),
          sender: "maintainer",
          pullRequests: [{ number: 1, headRef: "fix-build" }],
        });
        await s.send("check_run", payload);
        await s.waitForChecks(s.shaB, { [TF_RAWHIDE]: "success", [KOJI_44]: "success" }, "the test re-run to success, Koji done");
        return { line: `GitHub's "Re-run" (check_run.rerequested) on it: ran again → success; ${KOJI_44} finished → success` };
      },
    },
    {
      title: "Cancel on a finished check",
      async run() {
        const seen = (await s.cancelReports("cancel.button")).length;
        await s.send("check_run", s.pressButton(s.shaB, KOJI_RAWHIDE, "cancel", "maintainer"));
        const report = await s.nextCancelReport("cancel.button", seen);
        const r = report.results[0];
        expect(report.results.length === 1 && r?.code === 1, `${KOJI_RAWHIDE} code 1`, () => JSON.stringify(report.results));
        expect(s.checks(s.shaB)[KOJI_RAWHIDE] === "success", "the check still success", () => String(s.checks(s.shaB)[KOJI_RAWHIDE]));
        return { line: `Cancel pressed on ${KOJI_RAWHIDE}, which had already succeeded: code 1 "${r.text}"; check unchanged` };
      },
    },
    {
      title: "/packit test for a manual job",
      async run() {
        expect(!(TF_SMOKE in s.checks(s.shaB)), `no ${TF_SMOKE} check before it is asked for (manual_trigger)`, () => "it has one");
        const before = s.appComments().length;
        const builds = fakes.copr.submissions;
        await s.send("issue_comment", s.prComment("/packit test --identifier smoke", "maintainer"));
        await s.waitForChecks(s.shaB, { [TF_SMOKE]: "success" }, "the manual test run to success");
        const reply = await s.until(
          "a reply naming the started job",
          () => s.appComments()[before],
          () => JSON.stringify(s.appComments()),
        );
        expect(
          fakes.copr.submissions === builds,
          "the build that had succeeded reused, no new Copr build",
          () => `${fakes.copr.submissions - builds} new build(s)`,
        );
        return {
          line: `/packit test --identifier smoke by @maintainer: ${TF_SMOKE} (manual_trigger) ran on the build that had succeeded → success; reply:`,
          details: indent(reply),
        };
      },
    },
    {
      title: "push to an unconfigured repository",
      async run() {
        await s.idle();
        const from = sim.requests.length;
        const id = randomUUID();
        const payload = pushEvent({
          repo: s.legacy,
          ref: "main",
          before: randomSha(),
          after: randomSha(),
          commits: [{ id: randomSha(), modified: ["README.md"] }],
        });
        const res = await env.send("push", payload, id);
        const outcome = await s.outcomeOf(id);
        const made = sim.requests.slice(from);
        const graphql = made.filter((r) => r.group === "graphql").length;
        expect(res.status === 200 && outcome === "ignored", "push ignored", () => `${res.status}, outcome ${outcome}`);
        expect(graphql === 1 && made.length <= 2, "one GraphQL lookup (and at most a token exchange)", () =>
          made.map((r) => `${r.method} ${r.path}`).join(", "),
        );
        return {
          line: `push to dormant-org/legacy (no .packit.yaml): ignored; ${made.length} GitHub requests (${made.map((r) => `${r.method} ${r.path}`).join(", ")}) — absence cached`,
        };
      },
    },
    {
      title: "push again: no API call",
      async run() {
        const from = sim.requests.length;
        const id = randomUUID();
        const payload = pushEvent({
          repo: s.legacy,
          ref: "main",
          before: randomSha(),
          after: randomSha(),
          commits: [{ id: randomSha(), modified: ["src/main.c"] }],
        });
        const res = await env.send("push", payload, id);
        const outcome = await s.outcomeOf(id);
        const made = sim.requests.length - from;
        expect(res.status === 200 && outcome === "ignored", "push ignored", () => `${res.status}, outcome ${outcome}`);
        expect(
          made === 0,
          "0 GitHub API requests",
          () =>
            `${made}: ${sim.requests
              .slice(from)
              .map((r) => `${r.method} ${r.path}`)
              .join(", ")}`,
        );
        return { line: "another push to dormant-org/legacy (touches no config file): ignored from the cache — 0 GitHub API requests" };
      },
    },
    {
      title: "maintenance sweep, report mode",
      async run() {
        env.deps.settings.maintenance.mode = "report";
        const res = await runSweep(env.deps);
        const dormant = describeSweep(res, "dormant-org");
        const acme = describeSweep(res, "acme");
        expect(
          dormant.startsWith("reported") && acme.startsWith("kept"),
          "dormant-org reported, acme kept",
          () => `dormant-org ${dormant}, acme ${acme}`,
        );
        const suspended = sim
          .installations()
          .filter((i) => i.suspended_at)
          .map((i) => i.account.login);
        expect(suspended.length === 0, "nothing suspended on GitHub", () => `suspended: ${suspended.join(", ")}`);
        return { line: `maintenance sweep (report): dormant-org ${dormant}; acme ${acme}` };
      },
    },
    {
      title: "maintenance sweep, suspend mode",
      async run() {
        env.deps.settings.maintenance.mode = "suspend";
        const res = await runSweep(env.deps);
        const dormant = describeSweep(res, "dormant-org");
        const acme = describeSweep(res, "acme");
        const onGitHub = (id: number) => Boolean(sim.installations().find((i) => i.id === id)?.suspended_at);
        expect(
          dormant.startsWith("suspended") && onGitHub(200),
          "dormant-org suspended on GitHub",
          () => `${dormant}; suspended on GitHub: ${onGitHub(200)}`,
        );
        expect(acme.startsWith("kept") && !onGitHub(100), "acme kept", () => `${acme}; suspended on GitHub: ${onGitHub(100)}`);
        return { line: `maintenance sweep (suspend): dormant-org ${dormant}, suspended on GitHub; acme ${acme}` };
      },
    },
    {
      title: "push to main of acme/gadget",
      async run() {
        const builds = fakes.copr.submissions;
        await s.send(
          "push",
          pushEvent({
            repo: s.gadget,
            ref: "main",
            before: randomSha(),
            after: s.shaMain,
            commits: [{ id: s.shaMain, modified: ["src/gadget.c"] }],
          }),
        );
        const checks = await s.waitForChecks(s.shaMain, { [RPM_MAIN_RAWHIDE]: "success" }, "the branch build run to success", "gadget");
        expect(Object.keys(checks).length === 1, `only ${RPM_MAIN_RAWHIDE} on the pushed commit`, () => JSON.stringify(checks));
        const build = coprBuildOf(s.shaMain);
        expect(fakes.copr.submissions === builds + 1, "one new Copr build", () => `${fakes.copr.submissions - builds} new build(s)`);
        return {
          line: `push ${M} to main of acme/gadget: ${RPM_MAIN_RAWHIDE} → success (Copr build ${build.id} in ${build.ownername}/${build.projectname}: the base for scans of PRs into main)`,
        };
      },
    },
    {
      title: "pull request to acme/gadget: build, then a differential OpenScanHub scan",
      async run() {
        const builds = fakes.copr.submissions;
        const scans = fakes.openscanhub.submissions;
        await s.send("pull_request", s.pullRequest("opened", s.shaC, undefined, "gadget"));
        const checks = await s.waitForChecks(
          s.shaC,
          { [RPM_RAWHIDE]: "success", [OSH_RAWHIDE]: "success" },
          "the PR build, then its scan, run to success",
          "gadget",
        );
        expect(!(VM_RAWHIDE in checks), `no ${VM_RAWHIDE} check before it is asked for (Packit builds images on request only)`, () =>
          JSON.stringify(checks),
        );
        expect(
          fakes.copr.submissions === builds + 1 && fakes.openscanhub.submissions === scans + 1,
          "one new Copr build and one OpenScanHub task",
          () => `${fakes.copr.submissions - builds} build(s), ${fakes.openscanhub.submissions - scans} task(s)`,
        );
        // The task the hub holds: the PR build's SRPM against main's, both uploaded byte for byte as Copr served them.
        const pr = coprBuildOf(s.shaC);
        const base = coprBuildOf(s.shaMain);
        const taskId = Number((await s.latestJob(s.shaC, OSH_RAWHIDE))?.external_id);
        const task = fakes.openscanhub.task(taskId);
        const baseArgs = task?.args.base_task_args;
        const baseName = Array.isArray(baseArgs) ? baseArgs[2] : undefined;
        const comment = `acme/gadget@${s.shaC.slice(0, 12)} (PR #1)`;
        expect(
          task?.method === "VersionDiffBuild" &&
            task.label === srpmName(pr.id) &&
            baseName === srpmName(base.id) &&
            task.args.mock_config === GADGET_CHROOT &&
            task.comment.includes(comment),
          `task ${taskId}: a VersionDiffBuild of ${srpmName(pr.id)} against ${srpmName(base.id)} in ${GADGET_CHROOT}, commented "${comment}"`,
          () => JSON.stringify(task ?? null),
        );
        const uploads = fakes.openscanhub.uploads().filter((u) => u.taskId === taskId);
        const got = uploads.map((u) => `${u.name} ${u.state} ${u.checksum}`).sort();
        const want = [pr.id, base.id].map((id) => `${srpmName(id)} FINISHED ${sha256(fakeSrpm(id))}`).sort();
        expect(JSON.stringify(got) === JSON.stringify(want), `the task's two uploads: ${want.join(", ")}`, () => got.join(", ") || "none");
        return {
          line: `PR #1 opened on acme/gadget (head ${C}): ${RPM_RAWHIDE} → success, then ${OSH_RAWHIDE} → success; no ${VM_RAWHIDE} check (on request only)`,
          details: [
            `      OpenScanHub task ${taskId}: ${task.method} of ${task.label} (PR #1, Copr build ${pr.id}) against ${String(baseName)} (main, Copr build ${base.id}), both uploaded`,
          ],
        };
      },
    },
    {
      title: "/packit vm-image-build",
      async run() {
        const before = s.appComments("gadget").length;
        const builds = fakes.copr.submissions;
        const composes = fakes.imageBuilder.composes().length;
        await s.send("issue_comment", s.prComment("/packit vm-image-build", "maintainer", "gadget"));
        const reply = await s.until(
          "a reply naming the started job",
          () => s.appComments("gadget")[before],
          () => JSON.stringify(s.appComments("gadget")),
        );
        const started = `Started 1 job at ${C}: \`${VM_RAWHIDE}\`.`;
        // The reply ends with the hidden marker a retried command task finds it by.
        expect(reply.replace(/\n\n<!-- packit-probot reply to [^>]* -->$/, "") === started, JSON.stringify(started), () =>
          JSON.stringify(reply),
        );
        await s.waitForChecks(s.shaC, { [VM_RAWHIDE]: "success" }, "the VM image build run to success", "gadget");
        const all = fakes.imageBuilder.composes();
        expect(all.length === composes + 1, "one compose at Image Builder", () => `${all.length - composes} compose(s)`);
        expect(
          fakes.copr.submissions === builds,
          "the PR's Copr build reused, no new build",
          () => `${fakes.copr.submissions - builds} new build(s)`,
        );
        const compose = all.at(-1)!;
        const body = compose.body as {
          customizations?: { payload_repositories?: { baseurl?: string }[] };
          image_requests?: { upload_request?: { options?: { share_with_accounts?: string[] } } }[];
        };
        // The image installs the PR's RPMs: the payload repository is the PR build's Copr repository for the chroot.
        const pr = coprBuildOf(s.shaC);
        const repoPath = `/results/${pr.ownername}/${pr.projectname}/${GADGET_CHROOT}/`;
        const repos = (body.customizations?.payload_repositories ?? []).map((r) => r.baseurl);
        expect(
          JSON.stringify(repos) === JSON.stringify([`${fakes.copr.url}${repoPath}`]),
          `the compose's one payload repository ${fakes.copr.url}${repoPath}`,
          () => JSON.stringify(repos),
        );
        const shared = body.image_requests?.[0]?.upload_request?.options?.share_with_accounts ?? [];
        const what = `${compose.distribution} ${compose.image_type} ${compose.architecture} ${compose.status}`;
        expect(
          what === "fedora-42 aws x86_64 success" && shared.includes(AWS_ACCOUNT),
          `a fedora-42 aws x86_64 image, success, shared with ${AWS_ACCOUNT}`,
          () => `${what}, shared with ${JSON.stringify(shared)}`,
        );
        return {
          line: `/packit vm-image-build by @maintainer: ${VM_RAWHIDE} → success, from the PR's Copr build ${pr.id}; reply:`,
          details: [
            ...indent(reply),
            `      Image Builder compose ${compose.id}: ${compose.distribution} ${compose.image_type} ${compose.architecture} image shared with ${AWS_ACCOUNT}, payload repository <copr>${repoPath}`,
          ],
        };
      },
    },
  ];
}

async function summarise(
  env: Environment,
  steps: number,
  scenarios: DemoSummary["scenarios"],
  failure: DemoSummary["failure"],
  elapsedMs: number,
): Promise<DemoSummary> {
  const checks: Record<string, number> = {};
  for (const c of [...env.sim.checkRuns("acme", "widget"), ...env.sim.checkRuns("acme", "gadget")]) {
    const key = c.status === "completed" ? (c.conclusion ?? "completed") : c.status;
    checks[key] = (checks[key] ?? 0) + 1;
  }
  const cancellations = { "0": 0, "1": 0, "2": 0, "3": 0 };
  for (const r of await new AuditLog(env.deps.db).list({ actionPrefix: "cancel.", limit: 100_000 }))
    for (const res of (r.detail as CancelReport).results) cancellations[`${res.code}`]++;
  const { copr, testingFarm, koji, imageBuilder, openscanhub } = env.fakes;
  return {
    name: "demo",
    ok: failure === undefined && scenarios.every((x) => x.ok),
    steps,
    scenarios,
    checks,
    github_requests: env.sim.requests.length,
    cancellations,
    submissions: {
      copr: copr.submissions,
      "testing-farm": testingFarm.submissions,
      koji: koji.submissions,
      "image-builder": imageBuilder.submissions,
      openscanhub: openscanhub.submissions,
    },
    elapsed_ms: elapsedMs,
    ...(failure ? { failure } : {}),
  };
}

function summaryLines(sum: DemoSummary, total: number): string[] {
  const list = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
  const codes = Object.entries(sum.cancellations).map(([code, n]) => `${code} ${CANCEL_CODES[Number(code) as CancelCode]} ×${n}`);
  return [
    "",
    "Summary",
    `  checks:                 ${list(sum.checks)}`,
    `  GitHub API requests:    ${sum.github_requests}`,
    `  cancellations by code:  ${codes.join("; ")}`,
    `  backend submissions:    ${list(sum.submissions)}`,
    `  ${sum.ok ? "✔" : "✘"} ${sum.steps}/${total} steps and ${sum.scenarios.filter((x) => x.ok).length - sum.steps}/${sum.scenarios.length - total} approval scenarios as expected in ${(sum.elapsed_ms / 1000).toFixed(1)} s`,
  ];
}

/** Play the scenario; resolves with the summary (never rejects for a failed step). */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoSummary> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const t0 = Date.now();
  const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`;
  const env = await startEnvironment({ phaseMs: PHASE_MS, postgresUrl: opts.postgresUrl });
  if (opts.serveUntil) log(`{"dashboard": ${JSON.stringify(env.service.url)}}`);
  let scenario: Scenario | undefined;
  let passed = 0;
  let total = 0;
  let failure: DemoSummary["failure"];
  let summary: DemoSummary;
  try {
    scenario = new Scenario(env);
    log(`${stamp()}   simulated GitHub, 5 fake backends and packit-probot on ${env.service.url}`);
    const list = steps(scenario);
    total = list.length;
    for (const step of list) {
      try {
        const { line, details } = await step.run();
        passed++;
        log(`${stamp()} ✔ ${line}`);
        for (const d of details ?? []) log(d);
      } catch (err) {
        const e = err instanceof Unexpected ? err : new Unexpected("no error", (err as Error).stack ?? String(err));
        failure = { step: step.title, expected: e.expected, actual: e.actual };
        log(`${stamp()} ✘ ${step.title}`);
        log(`      expected: ${e.expected}`);
        log(`      got:      ${e.actual}`);
        log(`      (${total - passed - 1} remaining step(s) not run)`);
        break;
      }
    }
    const scenarios = list.map((step, i) => ({ name: step.title, ok: i < passed }));
    for (const r of await runApprovalScenarios({ postgresUrl: opts.postgresUrl })) {
      scenarios.push({ name: r.name, ok: r.ok });
      log(`${stamp()} ${r.ok ? "✔" : "✘"} ${r.line}`);
      if (r.failure) for (const l of [`      expected: ${r.failure.expected}`, `      got:      ${r.failure.actual}`]) log(l);
      failure ??= r.failure && { step: r.name, ...r.failure };
    }
    summary = await summarise(env, passed, scenarios, failure, Date.now() - t0);
  } catch (err) {
    scenario?.stop();
    await env.stop();
    throw err;
  }
  scenario.stop();
  for (const line of summaryLines(summary, total)) log(line);
  if (opts.json) log(JSON.stringify(summary));
  if (opts.serveUntil) {
    log(`dashboard: ${env.service.url} (simulated GitHub on ${env.sim.url}); Ctrl-C stops`);
    await (typeof opts.serveUntil === "function" ? opts.serveUntil(env) : opts.serveUntil);
  }
  await env.stop();
  return summary;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) {
  const serveUntil = process.argv.includes("--serve")
    ? new Promise((resolve) => process.once("SIGINT", resolve).once("SIGTERM", resolve))
    : undefined;
  runDemo({ json: process.argv.includes("--json"), postgresUrl: process.env.DATABASE_URL, ...(serveUntil ? { serveUntil } : {}) }).then(
    (s) => {
      process.exitCode = s.ok ? 0 : 1;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.stack : err);
      process.exitCode = 1;
    },
  );
}
