/**
 * The demo's world (`main.ts`): the acme and dormant-org installations on the simulated
 * GitHub, the fakes' hooks that keep chosen jobs running, and the probes the steps use.
 */
import type { BackendName } from "../../src/backends/types.js";
import { XmlRpcFault } from "../../src/backends/xmlrpc/codec.js";
import { type CancelReport } from "../../src/cancel/report.js";
import {
  checkRunEvent,
  issueCommentEvent,
  pullRequestEvent,
  randomSha,
  type CheckRunRecord,
  type SimInstallation,
  type SimRepo,
} from "../github-sim/index.js";
import { AuditLog } from "../../src/audit/index.js";
import type { JobRow } from "../../src/pipeline/store.js";
import { DeliveryLog } from "../../src/webhooks/deliveries.js";
import { type Environment } from "./environment.js";

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

export const RPM_RAWHIDE = "rpm-build:fedora-rawhide-x86_64";
export const RPM_44 = "rpm-build:fedora-44-x86_64";
export const TF_RAWHIDE = "testing-farm:fedora-rawhide-x86_64";
export const TF_44 = "testing-farm:fedora-44-x86_64";
export const KOJI_RAWHIDE = "koji-build:rawhide";
export const KOJI_44 = "koji-build:f44";
export const TF_SMOKE = "testing-farm:fedora-rawhide-x86_64:smoke";
export const RPM_MAIN_RAWHIDE = "rpm-build:main:fedora-rawhide-x86_64";
export const OSH_RAWHIDE = "osh-diff-scan:fedora-rawhide-x86_64";
export const VM_RAWHIDE = "vm-image-build:fedora-rawhide-x86_64";
export const AWS_ACCOUNT = "123456789012";
/** The chroot of acme/gadget's builds, scan and image. */
export const GADGET_CHROOT = "fedora-rawhide-x86_64";

/** The repositories of the acme installation. */
export type RepoName = "widget" | "gadget";
/** Who opened PR #1 of each, from which branch. */
const PULLS: Record<RepoName, { headRef: string; author: string }> = {
  widget: { headRef: "fix-build", author: "contributor" },
  gadget: { headRef: "new-feature", author: "contributor" },
};

/** A step's expectation did not hold. */
export class Unexpected extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`expected ${expected}; got ${actual}`);
  }
}

export function expect(ok: boolean, expected: string, actual: () => string): asserts ok {
  if (!ok) throw new Unexpected(expected, actual());
}

export const short = (sha: string) => sha.slice(0, 7);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface StepResult {
  line: string;
  /** Shown indented under the step line (reports, replies). */
  details?: string[];
}

export interface Step {
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
export class Scenario {
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

export const indent = (text: string) => text.split("\n").map((l) => `      ${l}`);
