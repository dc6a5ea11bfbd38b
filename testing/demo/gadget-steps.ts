/** The demo's steps on acme/gadget: a branch build, a differential OpenScanHub scan of a PR build against it, a VM image on request. */
import { createHash } from "node:crypto";
import { fakeSrpm } from "../fakes/copr.js";
import { pushEvent, randomSha } from "../github-sim/index.js";
import {
  AWS_ACCOUNT,
  GADGET_CHROOT,
  OSH_RAWHIDE,
  RPM_MAIN_RAWHIDE,
  RPM_RAWHIDE,
  Scenario,
  type Step,
  VM_RAWHIDE,
  expect,
  indent,
  short,
} from "./scenario.js";

/** The SRPM file name the fake Copr gives build `id`. */
const srpmName = (id: number) => `package-1.0-1.${id}.src.rpm`;
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

export function gadgetSteps(s: Scenario): Step[] {
  const { fakes } = s.env;
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

  return [
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
