/** The demo's steps on acme/widget: a pull request through builds, tests, supersede, cancels, buttons, pushes and the sweep. */
import { randomUUID } from "node:crypto";
import { renderReport } from "../../src/cancel/report.js";
import { checkRunEvent, installationEvent, pushEvent, randomSha, type SimInstallation, type SimRepo } from "../github-sim/index.js";
import { runSweep, type SweepResult } from "../../src/maintenance/sweep.js";
import { rowCounts } from "../../src/db/copy.js";
import {
  KOJI_44,
  KOJI_RAWHIDE,
  RPM_44,
  RPM_RAWHIDE,
  Scenario,
  type Step,
  TF_44,
  TF_RAWHIDE,
  TF_SMOKE,
  expect,
  indent,
  short,
} from "./scenario.js";

function describeSweep(res: SweepResult | undefined, login: string): string {
  const d = res?.decisions.find((x) => x.login === login);
  return d ? `${d.action} (${d.reason})` : "not judged";
}

export function widgetSteps(s: Scenario): Step[] {
  const { env } = s;
  const { sim, fakes } = env;
  const A = short(s.shaA);
  const B = short(s.shaB);
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
  ];
}
