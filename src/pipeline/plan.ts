/**
 * The job planner: a validated Packit config and an event in, the jobs to run
 * out — one per job × target (× package), with dependencies and check-run names
 * as Packit names them — plus the jobs Packit would not run, with why. Pure: the
 * facts it needs from Copr (active chroots, a custom project's chroots) and the
 * instance name are inputs.
 *
 * Packit semantics followed (packit-service `worker/jobs.py`
 * `get_jobs_matching_event`, `worker/helpers/build/build_helper.py`,
 * `build/copr_build.py`, `worker/checker/testing_farm.py`; packit
 * `packit/copr_helper.py` `get_valid_build_targets`):
 * - a job runs for the event whose trigger it names (`commit` = push, `ignore`
 *   never); `commit` jobs when `re.match(branch or default branch, pushed branch)`,
 *   `pull_request` jobs with a `branch` only for PRs into a matching branch;
 *   `require.label` gates pull-request jobs; every matching job config runs;
 * - a job runs only on the instances in its `packit_instances` (default `[prod]`);
 * - a Copr build builds its own `targets`, else the chroots of its custom Copr
 *   project, else `fedora-stable`, intersected with Copr's active chroots;
 * - a test needs a build unless `skip_build`: the first `copr_build` job of the
 *   trigger and package builds it (Packit's `job_build`); without one the test is
 *   reported neutral, "Test job requires build job definition in the
 *   configuration."; a test target the build job does not build is not run
 *   (packit-service#2785); a test waits for its build, and a manual build makes it wait;
 * - the OpenScanHub differential scan runs after a pull request's rawhide x86_64
 *   build when a `commit` Copr build job exists for the PR's target branch;
 * - `vm_image_build` runs only on request (`/packit vm-image-build`).
 */
import {
  activeByReleases,
  DEFAULT_TARGET,
  expandKojiTargets,
  expandTargets,
  unreadableTargets,
  type ReleaseList,
} from "../packit-config/aliases.js";
import { DOWNSTREAM_JOB_TYPES, type JobView, type PackitConfig, type TargetOptions } from "../packit-config/parse.js";
import {
  COPR_OPTIONS,
  customCoprProject,
  DOCS_TESTING_FARM,
  DOWNSTREAM_REASON,
  EVENT_TRIGGER,
  IMAGE_OPTIONS,
  KOJI_OPTIONS,
  NEEDS_BUILD_TITLE,
  OSH_OPTIONS,
  OSH_TARGET,
  pick,
  branchMatches,
  TEST_OPTIONS,
  TF_DISTRO,
  TF_DISTRO_INTERNAL,
  type Plan,
  type PlanEvent,
  type PlanInputs,
  type PlannedJob,
} from "./plan-model.js";
import { PlanRecorder } from "./plan-recorder.js";

export {
  branchMatches,
  CHECK_NAME_PREFIX,
  coprProjectsToRead,
  NEEDS_BUILD_TITLE,
  type Plan,
  type PlanEvent,
  type PlanInputs,
  type PlannedJob,
} from "./plan-model.js";

const DOWNSTREAM: ReadonlySet<string> = new Set(DOWNSTREAM_JOB_TYPES);

/** Where a test's builds come from: one build job and the builds planned from it, by chroot. */
interface BuildJob {
  view: JobView;
  builds: Map<string, PlannedJob>;
  /** The chroots it builds (active or not); undefined when it plans nothing or they are unknown. */
  chroots: string[] | undefined;
}

class Planner extends PlanRecorder {
  private readonly builds: PlannedJob[] = [];
  private readonly tests: PlannedJob[] = [];
  private readonly images: PlannedJob[] = [];
  private readonly scans: PlannedJob[] = [];
  private readonly buildJobs = new Map<JobView, BuildJob>();

  plan(): Plan {
    const selected = this.config.jobs.filter((view) => this.triggerMatches(view) && this.labelsAllow(view));
    for (const view of selected) {
      if (view.type === "copr_build") this.coprBuilds(view);
      if (view.type === "upstream_koji_build") this.kojiBuilds(view);
    }
    for (const view of selected) if (view.type === "tests") this.testJobs(view);
    for (const view of selected) if (view.type === "vm_image_build") this.imageJob(view);
    for (const build of this.builds) {
      // A build is never cancelled as superseded when a job waiting for it must not be (it would go with it).
      build.cancelSuperseded &&= this.tests.every((t) => t.after !== build.key || t.cancelSuperseded);
    }
    if (this.event.trigger === "pull_request") this.scanJobs();
    return {
      jobs: [...this.builds, ...this.tests, ...this.images, ...this.scans],
      notRun: this.notRun,
      notHandled: [...this.notHandled.values()],
      warnings: [...this.warnings],
    };
  }

  /** The event's trigger and branch match the job (Packit's `is_job_config_trigger_matching`). */
  private triggerMatches(view: JobView): boolean {
    if (view.trigger !== EVENT_TRIGGER[this.event.trigger]) return false;
    const { branch } = view.settings;
    if (view.trigger === "commit") return branchMatches(branch ?? this.event.defaultBranch, this.branch);
    if (view.trigger === "pull_request" && branch) return branchMatches(branch, this.branch);
    return true;
  }

  /** Downstream jobs and pull-request jobs whose `require.label` the PR does not meet are not planned (with why). */
  private labelsAllow(view: JobView): boolean {
    if (DOWNSTREAM.has(view.type)) {
      this.skip(view, DOWNSTREAM_REASON);
      return false;
    }
    const present = view.settings.require?.label?.present ?? [];
    const absent = view.settings.require?.label?.absent ?? [];
    if (view.trigger !== "pull_request" || (present.length === 0 && absent.length === 0)) return true;
    const labels = new Set(this.event.labels ?? []);
    if ((present.length === 0 || present.some((l) => labels.has(l))) && !absent.some((l) => labels.has(l))) return true;
    this.skip(view, `pull request labels do not satisfy require.label (present: [${present.join(", ")}], absent: [${absent.join(", ")}])`);
    return false;
  }

  private onThisInstance(view: JobView): boolean {
    return view.settings.packit_instances.includes(this.instance);
  }

  private isActive(chroot: string): boolean {
    if (this.inputs.activeChroots) return this.inputs.activeChroots.has(chroot);
    this.warnings.add("Copr's active chroots are unknown here: chroots are checked against the bundled release list");
    return activeByReleases(chroot, this.releases);
  }

  /**
   * The target names a build or test job configures, as Packit's
   * `configured_build_targets`: its own, else its custom Copr project's chroots,
   * else fedora-stable. Undefined (with why) when the project's chroots are unknown.
   */
  private configuredTargets(view: JobView): { names: string[]; options: Map<string, TargetOptions> } | undefined {
    const own = view.settings.targets ?? [];
    if (own.length > 0) return { names: own.map((t) => t.name), options: new Map(own.map((t) => [t.name, t.options])) };
    const project = view.type === "copr_build" ? customCoprProject(view.settings) : undefined;
    if (!project) return { names: [DEFAULT_TARGET], options: new Map() };
    const chroots = this.inputs.coprProjectChroots?.get(project);
    if (chroots) return { names: [...chroots], options: new Map() };
    this.skip(view, `jobs[${view.index}]: builds in the chroots of the Copr project ${project}, which are unknown here`);
    return undefined;
  }

  /** Names → Copr chroots (Packit's `get_build_targets`); an unreadable name fails the whole job, as in Packit. */
  private chrootsOf(view: JobView, names: string[]): string[] | undefined {
    const unreadable = unreadableTargets(names, this.releases);
    for (const { message } of unreadable) this.skip(view, `jobs[${view.index}]: ${message}`);
    return unreadable.length > 0 ? undefined : expandTargets(names, this.releases);
  }

  private coprBuilds(view: JobView): void {
    const buildJob: BuildJob = { view, builds: new Map(), chroots: undefined };
    this.buildJobs.set(view, buildJob);
    const configured = this.configuredTargets(view);
    const chroots = configured && this.chrootsOf(view, configured.names);
    if (!chroots) return;
    buildJob.chroots = chroots;
    for (const chroot of chroots) {
      if (!this.onThisInstance(view))
        this.notRunJob("copr_build", view, chroot, "other instance", `packit_instances: [${view.settings.packit_instances.join(", ")}]`);
      else if (!this.isActive(chroot))
        this.notRunJob("copr_build", view, chroot, "chroot inactive", `${chroot} is not an active Copr chroot`);
      else {
        // Chroot options of every configured name that expands to this chroot (Packit expands each key).
        const options: Record<string, unknown> = {};
        for (const [name, opts] of configured.options) {
          if (!expandTargets([name], this.releases).includes(chroot)) continue;
          const { distros: _distros, ...copr } = opts;
          Object.assign(options, copr);
        }
        const extra = Object.keys(options).length > 0 ? { chroot_options: options } : {};
        const job = this.make("copr_build", view, chroot, { ...pick(view.settings, COPR_OPTIONS), ...extra });
        this.builds.push(job);
        buildJob.builds.set(chroot, job);
      }
    }
  }

  private kojiBuilds(view: JobView): void {
    const names = view.settings.targets?.map((t) => t.name) ?? [];
    for (const target of expandKojiTargets(names.length > 0 ? names : [DEFAULT_TARGET], this.releases)) {
      if (!this.onThisInstance(view))
        this.notRunJob(
          "upstream_koji_build",
          view,
          target,
          "other instance",
          `packit_instances: [${view.settings.packit_instances.join(", ")}]`,
        );
      else this.builds.push(this.make("upstream_koji_build", view, target, pick(view.settings, KOJI_OPTIONS)));
    }
  }

  /** Packit's `job_build`: the first Copr build job of this trigger (and branch) for the package. */
  private buildJobFor(pkg: string): BuildJob | undefined {
    const view = this.config.jobs.find((v) => v.type === "copr_build" && v.package === pkg && this.triggerMatches(v));
    // A build job the event does not select (its `require.label`) builds nothing here.
    return view ? (this.buildJobs.get(view) ?? { view, builds: new Map(), chroots: undefined }) : undefined;
  }

  private testJobs(view: JobView): void {
    const { settings } = view;
    const buildJob = settings.skip_build ? undefined : this.buildJobFor(view.package);
    const own = settings.targets ?? [];
    const configured = own.length > 0 || !buildJob ? this.configuredTargets(view) : this.configuredTargets(buildJob.view);
    const chroots = configured && this.chrootsOf(view, configured.names);
    if (!chroots) return;
    const distrosOf = new Map(own.map((t) => [t.name, t.options.distros]));
    for (const chroot of chroots) {
      const dash = chroot.lastIndexOf("-");
      const [distro, arch] = [chroot.slice(0, dash), chroot.slice(dash + 1)];
      const mapping = settings.use_internal_tf ? TF_DISTRO_INTERNAL : TF_DISTRO;
      // Packit reads `distros` of the exact chroot name only (`targets_dict.get(build_target)`).
      const distros = distrosOf.get(chroot)?.length ? distrosOf.get(chroot)! : [mapping[distro] ?? distro];
      for (const testDistro of distros) this.testJob(view, buildJob, chroot, `${testDistro}-${arch}`, { distro: testDistro, arch });
    }
  }

  private testJob(
    view: JobView,
    buildJob: BuildJob | undefined,
    chroot: string,
    target: string,
    where: { distro: string; arch: string },
  ): void {
    if (!this.onThisInstance(view))
      return this.notRunJob("tests", view, target, "other instance", `packit_instances: [${view.settings.packit_instances.join(", ")}]`);
    if (!this.isActive(chroot)) return this.notRunJob("tests", view, target, "chroot inactive", `${chroot} is not an active Copr chroot`);
    const options = { ...pick(view.settings, TEST_OPTIONS), build_target: chroot, ...where };
    if (view.settings.skip_build) {
      this.tests.push(this.make("tests", view, target, options));
      return;
    }
    if (!buildJob) {
      const trigger = view.trigger;
      const summary = `Make sure you have a \`copr_build\` job defined with trigger \`${trigger}\`.\n\nFor more info, please check out [the documentation](${DOCS_TESTING_FARM}).\n\n`;
      const neutral = view.settings.manual_trigger ? undefined : { title: NEEDS_BUILD_TITLE, summary };
      return this.notRunJob("tests", view, target, "needs a build job", `no copr_build job for the ${trigger} trigger`, neutral);
    }
    const build = buildJob.builds.get(chroot);
    if (!build) {
      const builds = buildJob.chroots === undefined || buildJob.chroots.includes(chroot);
      const detail = `its build job, jobs[${buildJob.view.index}], ${builds ? "is not run here" : "does not build"} for ${chroot}`;
      return this.notRunJob("tests", view, target, builds ? "needs a build job" : "not built by its build job", detail);
    }
    const job = this.make("tests", view, target, options, build.key);
    // Packit starts tests when their build ends: a manual build makes them wait for a command.
    job.manualTrigger ||= build.manualTrigger;
    this.tests.push(job);
  }

  private imageJob(view: JobView): void {
    const chroot = view.settings.copr_chroot;
    if (!chroot) {
      this.skip(view, `jobs[${view.index}]: vm_image_build needs copr_chroot`);
      return;
    }
    if (!this.onThisInstance(view))
      return this.notRunJob(
        "vm_image_build",
        view,
        chroot,
        "other instance",
        `packit_instances: [${view.settings.packit_instances.join(", ")}]`,
      );
    const build = this.buildJobFor(view.package)?.builds.get(chroot);
    const job = this.make("vm_image_build", view, chroot, pick(view.settings, IMAGE_OPTIONS), build?.key);
    // Packit submits image builds only on `/packit vm-image-build`.
    job.manualTrigger = true;
    this.images.push(job);
  }

  private scanJobs(): void {
    for (const { view, builds } of this.buildJobs.values()) {
      const build = builds.get(OSH_TARGET);
      if (!build || !view.settings.osh_diff_scan_after_copr_build) continue;
      // The base of the differential scan: builds of the PR's target branch.
      const baseJob = this.config.jobs.find(
        (v) =>
          v.type === "copr_build" &&
          v.trigger === "commit" &&
          v.package === view.package &&
          branchMatches(v.settings.branch ?? this.event.defaultBranch, this.branch),
      );
      if (!baseJob) continue;
      const options = {
        ...pick(view.settings, OSH_OPTIONS),
        base_branch: this.branch,
        ...(baseJob.settings.owner ? { base_owner: baseJob.settings.owner } : {}),
        ...(baseJob.settings.project ? { base_project: baseJob.settings.project } : {}),
      };
      const scan = this.make("osh_scan", view, OSH_TARGET, options, build.key);
      scan.manualTrigger = build.manualTrigger;
      scan.cancelSuperseded = build.cancelSuperseded;
      this.scans.push(scan);
    }
  }
}

/**
 * Plan the jobs `config` asks for on `event`. Pure and deterministic: builds (in
 * config order), tests, image builds, scans; then what Packit would not run
 * (`notRun`) and what plans nothing (`notHandled`).
 */
export function planJobs(config: PackitConfig, event: PlanEvent, releases: ReleaseList, inputs: PlanInputs = {}): Plan {
  return new Planner(config, event, releases, inputs).plan();
}
