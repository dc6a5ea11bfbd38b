/**
 * The demo's approval scenarios (issue 17), on an environment of their own whose
 * installation gate is on (`approval.installations: [acme]`): an outside contributor's
 * fork pull request waits for a maintainer, a non-maintainer's approval is refused,
 * and a new installation waits for the operator.
 */
import { ApprovalStore } from "../../src/approval/store.js";
import { AuditLog } from "../../src/audit/index.js";
import { DeliveryLog } from "../../src/webhooks/deliveries.js";
import { installationEvent, issueCommentEvent, pullRequestEvent, randomSha, type SimRepo } from "../github-sim/index.js";
import { startEnvironment, type Environment } from "./environment.js";

export interface ScenarioResult {
  name: string;
  ok: boolean;
  /** What happened, for the timeline. */
  line: string;
  failure?: { expected: string; actual: string };
}

const CONFIG = `specfile_path: tool.spec
jobs:
  - job: copr_build
    trigger: pull_request
    targets: [fedora-rawhide-x86_64]
  - job: tests
    trigger: pull_request
    targets: [fedora-rawhide-x86_64]
`;
const WAIT_MS = 10_000;

class Unexpected extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`expected ${expected}; got ${actual}`);
  }
}

async function until(what: string, ok: () => boolean | Promise<boolean>, actual: () => string): Promise<void> {
  const end = Date.now() + WAIT_MS;
  while (!(await ok())) {
    if (Date.now() > end) throw new Unexpected(what, actual());
    await new Promise((r) => setTimeout(r, 10));
  }
}

const settled = (env: Environment) =>
  until(
    "every delivery handled",
    async () => (await new DeliveryLog(env.deps.db).unfinished()) === 0,
    () => "deliveries still open",
  );

const checks = (env: Environment, owner: string, repo: string, sha: string) =>
  Object.fromEntries(
    env.sim.checkRuns(owner, repo, sha).map((c) => [c.name, c.status === "completed" ? `completed:${c.conclusion}` : c.status]),
  );

const submissions = (env: Environment) => env.fakes.copr.submissions + env.fakes.testingFarm.submissions;

type Play = (env: Environment, w: { tool: SimRepo; fork: SimRepo }) => Promise<string>;

/** A fork pull request by `outsider` (read permission, as on any public repository) at a fresh head. */
async function forkPr(env: Environment, w: { tool: SimRepo; fork: SimRepo }, number: number): Promise<string> {
  const sha = randomSha();
  env.sim.addPullRequest({ owner: "acme", repo: "tool", number, headSha: sha, author: "outsider" });
  await env.send("pull_request", pullRequestEvent("opened", { repo: w.tool, number, headSha: sha, author: "outsider", headRepo: w.fork }));
  await until(
    `an "Approval needed" check at ${sha.slice(0, 7)}`,
    () => checks(env, "acme", "tool", sha)["packit:approval"] === "completed:action_required",
    () => JSON.stringify(checks(env, "acme", "tool", sha)),
  );
  await settled(env);
  return sha;
}

const comment = (env: Environment, repo: SimRepo, number: number, body: string, author: string) =>
  env.send("issue_comment", issueCommentEvent({ repo, issueNumber: number, isPullRequest: true, body, author, issueAuthor: "outsider" }));

const SCENARIOS: { name: string; play: Play }[] = [
  {
    name: "outside contributor waits for approval",
    play: async (env, w) => {
      const before = submissions(env);
      const sha = await forkPr(env, w, 1);
      if (submissions(env) !== before) throw new Unexpected("0 submissions before approval", `${submissions(env) - before}`);
      await comment(env, w.tool, 1, "/packit approve", "maintainer");
      await until(
        "the approved head's build and test to succeed",
        () => {
          const c = checks(env, "acme", "tool", sha);
          return (
            c["rpm-build:fedora-rawhide-x86_64"] === "completed:success" && c["testing-farm:fedora-rawhide-x86_64"] === "completed:success"
          );
        },
        () => JSON.stringify(checks(env, "acme", "tool", sha)),
      );
      return `fork PR #1 by @outsider (read): 0 submissions, "Approval needed"; /packit approve by @maintainer → ${submissions(env) - before} submissions, all success`;
    },
  },
  {
    name: "approval by a non-maintainer refused",
    play: async (env, w) => {
      const before = submissions(env);
      const sha = await forkPr(env, w, 2);
      await comment(env, w.tool, 2, "/packit approve", "stranger");
      await until(
        "a refusal reply",
        () => env.sim.comments("acme", "tool", 2).some((c) => c.body.includes("only people with write access")),
        () => JSON.stringify(env.sim.comments("acme", "tool", 2).map((c) => c.body)),
      );
      await settled(env);
      const still = checks(env, "acme", "tool", sha)["packit:approval"];
      if (submissions(env) !== before || still !== "completed:action_required")
        throw new Unexpected("nothing submitted, approval still needed", `${submissions(env) - before} submissions, ${still}`);
      return `/packit approve by @stranger (read) on PR #2: refused with a reply, 0 submissions, still "Approval needed"`;
    },
  },
  {
    name: "installation waits for operator approval",
    play: async (env) => {
      const inst = env.sim.addInstallation({ id: 300, account: { login: "newcomer", type: "Organization" } });
      const app = env.sim.addRepo({ installationId: 300, owner: "newcomer", name: "app", files: { ".packit.yaml": CONFIG } });
      env.sim.setPermission("newcomer", "app", "dev", "write");
      await env.send("installation", installationEvent("created", { installation: inst, repositories: [app], sender: "dev" }));
      const before = submissions(env);
      const first = randomSha();
      env.sim.addCommit("newcomer", "app", first);
      await env.send("pull_request", pullRequestEvent("opened", { repo: app, number: 1, headSha: first, author: "dev" }));
      await until(
        "one neutral waiting check",
        () => checks(env, "newcomer", "app", first)["packit:installation"] === "completed:neutral",
        () => JSON.stringify(checks(env, "newcomer", "app", first)),
      );
      await settled(env);
      if (submissions(env) !== before) throw new Unexpected("0 submissions while waiting", `${submissions(env) - before}`);
      // What `npm run cli -- installations approve newcomer` does.
      await new ApprovalStore(env.deps.db, Date.now).setInstallation(300, "approved", "operator");
      await new AuditLog(env.deps.db).add({ actor: "operator", action: "approval.installation.approved", subject: "newcomer" });
      const next = randomSha();
      await env.send("pull_request", pullRequestEvent("opened", { repo: app, number: 2, headSha: next, author: "dev" }));
      await until(
        "the approved installation's jobs to succeed",
        () => Object.values(checks(env, "newcomer", "app", next)).filter((v) => v === "completed:success").length === 2,
        () => JSON.stringify(checks(env, "newcomer", "app", next)),
      );
      return `installation newcomer: 0 submissions and one neutral "waiting for approval" check; approved by the operator → ${submissions(env) - before} submissions`;
    },
  },
];

/** Play the approval scenarios on their own environment; a failed one does not stop the others. */
export async function runApprovalScenarios(opts: { postgresUrl?: string } = {}): Promise<ScenarioResult[]> {
  const env = await startEnvironment({ phaseMs: 60, postgresUrl: opts.postgresUrl, settings: { approval: { installations: ["acme"] } } });
  try {
    env.sim.addInstallation({ id: 100, account: { login: "acme", type: "Organization" } });
    const tool = env.sim.addRepo({ installationId: 100, owner: "acme", name: "tool", files: { ".packit.yaml": CONFIG } });
    const fork = env.sim.addRepo({ owner: "outsider", name: "tool", fork: true });
    env.sim.setPermission("acme", "tool", "maintainer", "write");
    env.sim.setPermission("acme", "tool", "stranger", "read");
    const results: ScenarioResult[] = [];
    for (const s of SCENARIOS) {
      try {
        results.push({ name: s.name, ok: true, line: await s.play(env, { tool, fork }) });
      } catch (err) {
        const e = err instanceof Unexpected ? err : new Unexpected("no error", (err as Error).stack ?? String(err));
        results.push({ name: s.name, ok: false, line: s.name, failure: { expected: e.expected, actual: e.actual } });
      }
    }
    return results;
  } finally {
    await env.stop();
  }
}
