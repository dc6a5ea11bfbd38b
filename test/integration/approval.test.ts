import { afterEach, describe, expect, it } from "vitest";
import { checkRunEvent, issueCommentEvent, pullRequestEvent, type SimRepo } from "../../testing/github-sim/index.js";
import { AuditLog } from "../../src/audit/index.js";
import { allCompleted, checksOf, deliveriesSettled, randomSha, startWorld, waitFor, waitForChecks, type World } from "../support/env.js";

/** The head's own config asks for one more target than the base branch's. */
const HEAD_CONFIG = `
specfile_path: widget.spec
jobs:
  - job: copr_build
    trigger: pull_request
    targets: [fedora-rawhide-x86_64, fedora-44-x86_64, fedora-rawhide-aarch64]
`;

describe("approval: outside contributors and who may do what", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  const forks = new WeakMap<World, SimRepo>();
  /** A fork pull request by `outsider` (read permission only, as on any public repository) at a fresh head. */
  async function forkPr(w: World, number: number, opts: { headConfig?: string; before?: string } = {}): Promise<string> {
    const sha = randomSha();
    const fork = forks.get(w) ?? forks.set(w, w.sim.addRepo({ owner: "outsider", name: "widget", fork: true })).get(w)!;
    if (opts.headConfig) w.sim.setFile("acme", "widget", sha, ".packit.yaml", opts.headConfig);
    w.sim.addPullRequest({ owner: "acme", repo: "widget", number, headSha: sha, author: "outsider" });
    const action = opts.before ? "synchronize" : "opened";
    await w.send(
      "pull_request",
      pullRequestEvent(action, {
        repo: w.repo,
        number,
        headSha: sha,
        author: "outsider",
        headRepo: fork,
        ...(opts.before ? { before: opts.before } : {}),
      }),
    );
    return sha;
  }

  const comment = (w: World, number: number, body: string, author: string) =>
    w.send(
      "issue_comment",
      issueCommentEvent({ repo: w.repo, issueNumber: number, isPullRequest: true, body, author, issueAuthor: "outsider" }),
    );

  const replies = (w: World, number: number) =>
    w.sim.comments("acme", "widget", number).map((c) => c.body.replace(/\n\n<!-- packit-probot reply to [^>]* -->$/, ""));

  const approvalCheck = (w: World, sha: string) => w.sim.checkRuns("acme", "widget", sha).find((c) => c.name === "packit:approval");

  it("a fork PR by an author without write permission submits nothing; a non-maintainer's approval is refused; a maintainer's /packit approve starts the jobs from the head's config", async () => {
    world = await startWorld();
    const w = world;
    const sha = await forkPr(w, 40, { headConfig: HEAD_CONFIG });
    await waitForChecks(w, sha, (c) => c["packit:approval"] === "completed:action_required", "the approval check");
    await deliveriesSettled(w);
    expect(w.fakes.copr.submissions).toBe(0);
    expect(w.fakes.testingFarm.requests()).toHaveLength(0);
    const check = approvalCheck(w, sha)!;
    expect(check.output?.title).toBe("Approval needed");
    // Planned from the base branch's config: its two targets, not the head's three.
    expect(check.output?.summary).toContain("base branch's Packit config (`main`)");
    expect(check.output?.summary).toContain("rpm-build:fedora-44-x86_64");
    expect(check.output?.summary).not.toContain("aarch64");
    expect(check.actions?.map((a) => a.identifier)).toEqual(["approve"]);

    // The author and a bystander cannot approve, nor start jobs.
    w.sim.setPermission("acme", "widget", "bystander", "read");
    await comment(w, 40, "/packit approve", "outsider");
    await comment(w, 40, "/packit approve", "bystander");
    await comment(w, 40, "/packit build", "outsider");
    await waitFor(() => replies(w, 40).length === 3, 10_000, "three replies");
    expect(replies(w, 40).filter((r) => r.includes("only people with write access to acme/widget can approve"))).toHaveLength(2);
    expect(replies(w, 40)).toContainEqual(expect.stringContaining("needs a maintainer's approval"));
    expect(w.fakes.copr.submissions).toBe(0);

    await comment(w, 40, "/packit approve", "maintainer");
    await waitFor(() => replies(w, 40).some((r) => r.startsWith("Approved")), 10_000, "the approval reply");
    // The head's own config, now trusted: three builds.
    await waitForChecks(
      w,
      sha,
      (c) =>
        ["fedora-rawhide-x86_64", "fedora-44-x86_64", "fedora-rawhide-aarch64"].every((t) => c[`rpm-build:${t}`] === "completed:success"),
      "the head's builds",
    );
    expect(w.fakes.copr.submissions).toBe(3);
    await waitFor(() => approvalCheck(w, sha)?.conclusion === "success", 10_000, "the approval check to say approved");
    expect(approvalCheck(w, sha)!.output?.title).toBe("Approved by @maintainer");
    const audit = await new AuditLog(w.deps.db).list({ actionPrefix: "approval.pr." });
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ["approval.pr.approved", "maintainer"],
      ["approval.pr.requested", "packit-probot"],
    ]);

    // The approval holds for that head only: a new push waits again.
    const next = await forkPr(w, 40, { headConfig: HEAD_CONFIG, before: sha });
    await waitForChecks(w, next, (c) => c["packit:approval"] === "completed:action_required", "the new head's approval check");
    await deliveriesSettled(w);
    expect(w.fakes.copr.submissions).toBe(3);
  }, 60_000);

  it("the Approve button works for a maintainer only; bots' buttons and comments are ignored", async () => {
    world = await startWorld();
    const w = world;
    const sha = await forkPr(w, 41);
    await waitForChecks(w, sha, (c) => c["packit:approval"] === "completed:action_required", "the approval check");
    const press = (sender: string) =>
      w.send(
        "check_run",
        checkRunEvent("requested_action", { repo: w.repo, checkRun: approvalCheck(w, sha)!, identifier: "approve", sender }),
      );
    await press("outsider");
    await press("renovate[bot]");
    await comment(w, 41, "/packit approve", "packit-sim[bot]");
    await deliveriesSettled(w);
    expect(w.fakes.copr.submissions).toBe(0);
    expect(replies(w, 41)).toEqual([]);

    await press("maintainer");
    await waitForChecks(w, sha, (c) => allCompleted(c, 5), "the jobs and the approval check");
    expect(checksOf(w, sha)["packit:approval"]).toBe("completed:success");
    expect(w.fakes.copr.submissions).toBe(2);
    expect(w.fakes.testingFarm.requests()).toHaveLength(2);
  }, 60_000);

  it("a user GitHub does not know (404) has no permission; a PR author with write permission needs no approval", async () => {
    world = await startWorld();
    const w = world;
    const sha = randomSha();
    await w.send("pull_request", pullRequestEvent("opened", { repo: w.repo, number: 42, headSha: sha, author: "maintainer" }));
    await waitForChecks(w, sha, (c) => allCompleted(c, 4), "the maintainer's jobs");
    expect(checksOf(w, sha)["packit:approval"]).toBeUndefined();

    const { readPermission } = await import("../../src/github/permissions.js");
    const github = await w.deps.github(100);
    expect(await readPermission(github, { owner: "acme", repo: "widget", user: "nobody-at-all" })).toBe("none");
    expect(await readPermission(github, { owner: "acme", repo: "widget", user: "maintainer" })).toBe("write");
  }, 60_000);

  it("a command never reaches another pull request's jobs, and a flood of commands gets one polite reply", async () => {
    world = await startWorld(undefined, { phaseMs: 3_600_000, settings: { approval: { commandLimit: 2 } } });
    const w = world;
    const shaA = randomSha();
    const shaB = randomSha();
    w.sim.addPullRequest({ owner: "acme", repo: "widget", number: 43, headSha: shaA, author: "contributor" });
    w.sim.addPullRequest({ owner: "acme", repo: "widget", number: 44, headSha: shaB, author: "contributor" });
    await w.send("pull_request", pullRequestEvent("opened", { repo: w.repo, number: 43, headSha: shaA, author: "contributor" }));
    await w.send("pull_request", pullRequestEvent("opened", { repo: w.repo, number: 44, headSha: shaB, author: "contributor" }));
    await waitFor(() => w.fakes.copr.submissions === 4, 10_000, "both PRs' builds running");
    const at43 = (body: string) =>
      w.send(
        "issue_comment",
        issueCommentEvent({ repo: w.repo, issueNumber: 43, isPullRequest: true, body, author: "maintainer", issueAuthor: "contributor" }),
      );
    await at43("/packit cancel");
    await waitForChecks(w, shaA, (c) => Object.values(c).every((v) => v === "completed:cancelled"), "PR 43 cancelled");
    expect(Object.values(checksOf(w, shaB)).some((v) => v === "completed:cancelled")).toBe(false);

    await at43("/packit help");
    await at43("/packit help");
    await at43("/packit help");
    await deliveriesSettled(w);
    await waitFor(() => w.sim.comments("acme", "widget", 43).length >= 3, 10_000, "the replies");
    const bodies = w.sim.comments("acme", "widget", 43).map((c) => c.body);
    expect(bodies.filter((b) => b.includes("more commands on this pull request than I take"))).toHaveLength(1);
    // cancel report + one help + the throttle note; the fourth command got nothing.
    expect(bodies).toHaveLength(3);
  }, 60_000);

  it("a new installation waits for the operator: no job, one neutral check per repository, a metric, the dashboard; approved, it runs", async () => {
    world = await startWorld(undefined, { settings: { approval: { installations: [], contact: "ops@example.org" } } });
    const w = world;
    const sha = randomSha();
    w.sim.addCommit("acme", "widget", sha);
    await w.send("pull_request", pullRequestEvent("opened", { repo: w.repo, number: 45, headSha: sha, author: "maintainer" }));
    await waitForChecks(w, sha, (c) => c["packit:installation"] === "completed:neutral", "the waiting check");
    const second = randomSha();
    await w.send("pull_request", pullRequestEvent("opened", { repo: w.repo, number: 46, headSha: second, author: "maintainer" }));
    await deliveriesSettled(w);
    expect(w.fakes.copr.submissions).toBe(0);
    expect(w.sim.checkRuns("acme", "widget", second)).toEqual([]);
    const check = w.sim.checkRuns("acme", "widget", sha)[0]!;
    expect(check.output?.summary).toContain("Ask ops@example.org");
    expect(check.output?.summary).toContain("installations approve acme");

    const metrics = await (await fetch(w.service.metricsUrl!)).text();
    expect(metrics).toMatch(/^packit_installations_waiting 1$/m);
    const home = (await (await fetch(`${w.service.url}/api`)).json()) as { approvals: { owner: string; prNumber: number | null }[] };
    expect(home.approvals).toEqual([expect.objectContaining({ owner: "acme", prNumber: null })]);

    // What `npm run cli -- installations approve acme` does (the CLI test runs it as a process).
    const { ApprovalStore } = await import("../../src/approval/store.js");
    await new ApprovalStore(w.deps.db, Date.now).setInstallation(100, "approved", "operator");
    const third = randomSha();
    await w.send("pull_request", pullRequestEvent("opened", { repo: w.repo, number: 47, headSha: third, author: "maintainer" }));
    await waitForChecks(w, third, (c) => allCompleted(c, 4), "the approved installation's jobs");
    expect(await (await fetch(w.service.metricsUrl!)).text()).toMatch(/^packit_installations_waiting 0$/m);
  }, 60_000);
});
