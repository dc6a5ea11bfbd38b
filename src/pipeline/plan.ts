/**
 * The job planner: a validated Packit config and an event in, the jobs to run
 * out — one per job type × target (× package), with dependencies and check-run
 * names as Packit names them. Pure: no I/O, deterministic order (builds first,
 * then the jobs that wait for them).
 *
 * Packit semantics followed (packit-service `jobs.py`, `helpers/build/*.py`,
 * `helpers/open_scan_hub.py`):
 * - a job runs for the event whose trigger it names: `pull_request` for pull
 *   requests, `commit` for pushes, `release` for releases; `ignore` never;
 * - `commit` jobs run when `re.match(branch or default branch, pushed branch)`;
 *   `pull_request` jobs with a `branch` run only for PRs whose target branch matches;
 * - `require.label.present` / `.absent` gate pull-request jobs on the PR's labels
 *   (at least one present, none absent); a job's `labels` only group jobs for
 *   `/packit test --labels …` and never gate automatic runs;
 * - check names are `<job>[:<branch or tag>]:<target>[:<identifier>]`, where push
 *   events add the branch and releases the tag; with more than one package the
 *   identifier defaults to the package name (Packit's `JobConfigView`);
 * - tests run after the Copr build of their build target; the dict form of
 *   `targets` maps one build target to several test distros (`distros`), EPEL
 *   targets test on CentOS (Stream) by default; `skip_build` means no build;
 * - the OpenScanHub differential scan runs after a pull request's
 *   `fedora-rawhide-x86_64` Copr build when `osh_diff_scan_after_copr_build` is on
 *   and a `commit` Copr build job exists for the PR's target branch (it provides
 *   the base build);
 * - `vm_image_build` runs only on request (`/packit vm-image-build`).
 */
import type { BackendName } from "../backends/types.js";
import {
  DEFAULT_TARGET,
  expandKojiTargets,
  expandTargets,
  splitTarget,
  type ReleaseList,
} from "../packit-config/aliases.js";
import { DOWNSTREAM_JOB_TYPES, type JobSettings, type JobView, type PackitConfig, type PackitJobType, type TargetOptions } from "../packit-config/parse.js";

export type JobType = "copr_build" | "tests" | "upstream_koji_build" | "vm_image_build" | "osh_scan";

export interface PlanEvent {
  trigger: "pull_request" | "push" | "release";
  /** Push: the pushed branch. Pull request: the PR's target (base) branch. Defaults to `defaultBranch`. */
  branch?: string;
  defaultBranch: string;
  /** Release: the tag, which Packit puts into check names. */
  tag?: string;
  /** Pull request: the PR's labels (for `require.label`). */
  labels?: string[];
}

export interface PlannedJob {
  /** Unique in the plan; equal to checkName. */
  key: string;
  type: JobType;
  backend: BackendName;
  /** Copr chroot, Testing Farm distro-arch, Koji target, or the image's Copr chroot. */
  target: string;
  checkName: string;
  /** The job's `identifier` from the config. */
  identifier?: string;
  /** Package, when the config declares `packages:`. */
  package?: string;
  /** Key of the job this one waits for (tests → its Copr build; osh_scan → the rawhide x86_64 build). */
  after?: string;
  manualTrigger: boolean;
  cancelSuperseded: boolean;
  /** The job's `labels` (for `/packit test --labels`). */
  labels?: string[];
  /** What the backend client needs, under Packit's key names (owner, project, fmf_url, tmt_plan, …). */
  options: Record<string, unknown>;
}

export interface Plan {
  jobs: PlannedJob[];
  /** Jobs the event matched but that will not run here, with why. */
  notHandled: { type: string; reason: string }[];
}

/** Check-run name prefixes, as Packit's status names. */
export const CHECK_NAME_PREFIX: Readonly<Record<JobType, string>> = {
  copr_build: "rpm-build",
  tests: "testing-farm",
  upstream_koji_build: "koji-build",
  vm_image_build: "vm-image-build",
  osh_scan: "osh-diff-scan",
};

const BACKEND: Readonly<Record<JobType, BackendName>> = {
  copr_build: "copr",
  tests: "testing-farm",
  upstream_koji_build: "koji",
  vm_image_build: "image-builder",
  osh_scan: "openscanhub",
};

const DOWNSTREAM: ReadonlySet<PackitJobType> = new Set<PackitJobType>(DOWNSTREAM_JOB_TYPES);
const DOWNSTREAM_REASON = "downstream job, not handled by this service";

const EVENT_TRIGGER = { pull_request: "pull_request", push: "commit", release: "release" } as const;

/** Build distro → Testing Farm distro when `distros` is not given (packit-service `DEFAULT_MAPPING_TF`). */
const TF_DISTRO: Readonly<Record<string, string>> = {
  "epel-6": "centos-6",
  "epel-7": "centos-7",
  "epel-8": "centos-stream-8",
  "epel-9": "centos-stream-9",
  "epel-10": "centos-stream-10",
};
/** The same for the internal Testing Farm (`DEFAULT_MAPPING_INTERNAL_TF`). */
const TF_DISTRO_INTERNAL: Readonly<Record<string, string>> = {
  "epel-6": "rhel-6",
  "epel-7": "rhel-7",
  "epel-8": "rhel-8",
  "epel-9": "centos-stream-9",
  "epel-10": "centos-stream-10",
};

/** The only target OpenScanHub scans run for (Packit). */
export const OSH_TARGET = "fedora-rawhide-x86_64";

const COPR_OPTIONS = [
  "owner",
  "project",
  "preserve_project",
  "list_on_homepage",
  "module_hotfixes",
  "follow_fedora_branching",
  "enable_net",
  "bootstrap",
  "additional_repos",
  "additional_packages",
  "timeout",
  "specfile_path",
  "paths",
  "upstream_package_name",
  "downstream_package_name",
  "upstream_tag_template",
  "archive_root_dir_template",
  "spec_source_id",
  "srpm_build_deps",
  "actions",
  "release_suffix",
  "update_release",
  "version_suffix",
  "merge_pr_in_ci",
] as const satisfies readonly (keyof JobSettings)[];
const TEST_OPTIONS = [
  "fmf_url",
  "fmf_ref",
  "fmf_path",
  "tmt_plan",
  "tf_extra_params",
  "tf_post_install_script",
  "env",
  "use_internal_tf",
  "use_target_repo_for_fmf_url",
  "skip_build",
] as const satisfies readonly (keyof JobSettings)[];
const KOJI_OPTIONS = [
  "scratch",
  "specfile_path",
  "paths",
  "upstream_package_name",
  "downstream_package_name",
  "srpm_build_deps",
  "actions",
] as const satisfies readonly (keyof JobSettings)[];
const IMAGE_OPTIONS = [
  "image_distribution",
  "image_request",
  "image_customizations",
  "copr_chroot",
  "owner",
  "project",
] as const satisfies readonly (keyof JobSettings)[];
const OSH_OPTIONS = ["csmock_args", "osh_options"] as const satisfies readonly (keyof JobSettings)[];

function pick(settings: JobSettings, keys: readonly (keyof JobSettings)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (settings[key] !== undefined) out[key] = settings[key];
  return out;
}

/**
 * Packit's branch rule: `re.match(pattern, branch)`, a regular expression
 * anchored at the start only. A pattern that is not a valid (JavaScript) regular
 * expression is compared literally.
 */
export function branchMatches(pattern: string, branch: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})`).test(branch);
  } catch {
    return pattern === branch;
  }
}

interface Made {
  job: PlannedJob;
  /** The job view the job was made from (for implicit builds: the one it is named after). */
  view: JobView;
}

class Planner {
  private readonly keys = new Set<string>();
  private readonly notHandled = new Map<string, { type: string; reason: string }>();
  private readonly builds: Made[] = [];
  private readonly implicitBuilds: Made[] = [];
  private readonly tests: PlannedJob[] = [];
  private readonly images: PlannedJob[] = [];
  private readonly scans: PlannedJob[] = [];
  private readonly multiPackage: boolean;
  private readonly eventIdent: string | undefined;
  private readonly branch: string;

  constructor(
    private readonly config: PackitConfig,
    private readonly event: PlanEvent,
    private readonly releases: ReleaseList,
  ) {
    this.multiPackage = Object.keys(config.packages).length > 1;
    this.branch = event.branch ?? event.defaultBranch;
    const ident = event.trigger === "push" ? this.branch : event.trigger === "release" ? event.tag : undefined;
    // Packit replaces ':' so that the check name stays splittable.
    this.eventIdent = ident?.replaceAll(":", "-");
  }

  plan(): Plan {
    const selected = this.config.jobs.filter((view) => this.matches(view));
    for (const view of selected) {
      if (view.type === "copr_build") this.coprBuilds(view);
      if (view.type === "upstream_koji_build") this.kojiBuilds(view);
    }
    for (const view of selected) if (view.type === "tests") this.testJobs(view);
    for (const view of selected) if (view.type === "vm_image_build") this.imageJob(view);
    const dependents = [...this.tests, ...this.images];
    for (const { job } of this.builds) this.settleBuild(job, false, dependents);
    for (const { job } of this.implicitBuilds) this.settleBuild(job, true, dependents);
    if (this.event.trigger === "pull_request") this.scanJobs();
    return {
      jobs: [...this.builds.map((b) => b.job), ...this.implicitBuilds.map((b) => b.job), ...this.tests, ...this.images, ...this.scans],
      notHandled: [...this.notHandled.values()],
    };
  }

  private skip(view: JobView, reason: string): void {
    this.notHandled.set(`${view.index}\0${view.type}\0${reason}`, { type: view.type, reason });
  }

  /** Whether the view is triggered by this event (recording why not, where useful). */
  private matches(view: JobView): boolean {
    if (view.trigger !== EVENT_TRIGGER[this.event.trigger]) return false;
    if (DOWNSTREAM.has(view.type)) {
      this.skip(view, DOWNSTREAM_REASON);
      return false;
    }
    const { branch, require } = view.settings;
    if (view.trigger === "commit" && !branchMatches(branch ?? this.event.defaultBranch, this.branch)) return false;
    if (view.trigger === "pull_request" && branch !== undefined && !branchMatches(branch, this.branch)) return false;
    const present = require?.label?.present ?? [];
    const absent = require?.label?.absent ?? [];
    if (view.trigger === "pull_request" && (present.length > 0 || absent.length > 0)) {
      const labels = new Set(this.event.labels ?? []);
      const ok = (present.length === 0 || present.some((l) => labels.has(l))) && !absent.some((l) => labels.has(l));
      if (!ok) {
        this.skip(view, `pull request labels do not satisfy require.label (present: [${present.join(", ")}], absent: [${absent.join(", ")}])`);
        return false;
      }
    }
    return true;
  }

  private checkName(type: JobType, target: string, view: JobView): string {
    const suffix = view.settings.identifier ?? (this.multiPackage ? view.package : undefined);
    return [CHECK_NAME_PREFIX[type], this.eventIdent, target, suffix].filter((part) => part).join(":");
  }

  private make(type: JobType, view: JobView, target: string, options: Record<string, unknown>, after?: string): PlannedJob {
    const name = this.checkName(type, target, view);
    const { identifier, labels, manual_trigger, cancel_superseded } = view.settings;
    return {
      key: name,
      type,
      backend: BACKEND[type],
      target,
      checkName: name,
      ...(identifier !== undefined ? { identifier } : {}),
      ...(this.config.packagesDeclared ? { package: view.package } : {}),
      ...(after !== undefined ? { after } : {}),
      manualTrigger: manual_trigger,
      cancelSuperseded: cancel_superseded,
      ...(labels.length > 0 ? { labels } : {}),
      options,
    };
  }

  /** Take a key; a second job with the same check name would overwrite the first's check run. */
  private claim(job: PlannedJob, view: JobView): boolean {
    if (!this.keys.has(job.key)) {
      this.keys.add(job.key);
      return true;
    }
    this.skip(view, `jobs[${view.index}]: same check name as an earlier job (${job.key})`);
    return false;
  }

  /** Build targets of a job with their per-target options (options of every configured name that expands to it). */
  private buildTargets(view: JobView): { target: string; options: TargetOptions }[] {
    const out = new Map<string, TargetOptions>();
    for (const entry of view.settings.targets ?? [{ name: DEFAULT_TARGET, options: {} }]) {
      if (!splitTarget(entry.name)) {
        this.skip(view, `jobs[${view.index}]: "${entry.name}" is not a target Packit understands (expected name-version[-arch])`);
        continue;
      }
      for (const target of expandTargets([entry.name], this.releases)) {
        out.set(target, { ...out.get(target), ...entry.options });
      }
    }
    return [...out].map(([target, options]) => ({ target, options }));
  }

  private coprBuilds(view: JobView): void {
    for (const { target, options } of this.buildTargets(view)) {
      // `distros` is for Testing Farm; the rest configures the Copr chroot.
      const chroot = Object.fromEntries(Object.entries(options).filter(([key]) => key !== "distros"));
      const extra = Object.keys(chroot).length > 0 ? { chroot_options: chroot } : {};
      const job = this.make("copr_build", view, target, { ...pick(view.settings, COPR_OPTIONS), ...extra });
      if (this.claim(job, view)) this.builds.push({ job, view });
    }
  }

  private kojiBuilds(view: JobView): void {
    const names = view.settings.targets?.map((t) => t.name) ?? [DEFAULT_TARGET];
    for (const target of expandKojiTargets(names, this.releases)) {
      const job = this.make("upstream_koji_build", view, target, pick(view.settings, KOJI_OPTIONS));
      if (this.claim(job, view)) this.builds.push({ job, view });
    }
  }

  /** Packit's "job_build": the first Copr build job of this event for the package. */
  private jobBuild(pkg: string): JobView | undefined {
    return this.builds.find((b) => b.job.type === "copr_build" && b.view.package === pkg)?.view;
  }

  private testJobs(view: JobView): void {
    const { settings } = view;
    const base = !settings.targets && !settings.skip_build ? this.jobBuild(view.package) : undefined;
    // Packit: a tests job without targets tests what the build job builds.
    const buildTargets = base
      ? this.buildTargets(base).map(({ target }) => ({ target, options: {} as TargetOptions }))
      : this.buildTargets(view);
    for (const { target: buildTarget, options } of buildTargets) {
      const dash = buildTarget.lastIndexOf("-");
      const distro = buildTarget.slice(0, dash);
      const arch = buildTarget.slice(dash + 1);
      const mapping = settings.use_internal_tf ? TF_DISTRO_INTERNAL : TF_DISTRO;
      const distros = options.distros?.length ? options.distros : [mapping[distro] ?? distro];
      const build = settings.skip_build ? undefined : this.buildFor(view, buildTarget);
      for (const testDistro of distros) {
        const target = `${testDistro}-${arch}`;
        const testOptions = { ...pick(settings, TEST_OPTIONS), build_target: buildTarget, distro: testDistro, arch };
        const job = this.make("tests", view, target, testOptions, build?.key);
        if (this.claim(job, view)) this.tests.push(job);
      }
    }
  }

  /**
   * The Copr build a test of `view` waits for: a planned build of the same package
   * and target (one with the test's identifier first), else an implicit build,
   * configured and named like Packit's — after the package's first build job,
   * or after the tests job when there is none.
   */
  private buildFor(view: JobView, target: string): PlannedJob {
    const candidates = [...this.builds, ...this.implicitBuilds].filter(
      (b) => b.job.type === "copr_build" && b.view.package === view.package && b.job.target === target,
    );
    const found = candidates.find((b) => b.job.identifier === view.settings.identifier) ?? candidates[0];
    if (found) return found.job;
    const named = this.jobBuild(view.package) ?? view;
    const job = this.make("copr_build", named, target, pick(named.settings, COPR_OPTIONS));
    this.keys.add(job.key);
    this.implicitBuilds.push({ job, view: named });
    return job;
  }

  private imageJob(view: JobView): void {
    const chroot = view.settings.copr_chroot;
    if (!chroot) {
      this.skip(view, `jobs[${view.index}]: vm_image_build needs copr_chroot`);
      return;
    }
    const build = [...this.builds, ...this.implicitBuilds].find(
      (b) => b.job.type === "copr_build" && b.view.package === view.package && b.job.target === chroot,
    );
    const job = this.make("vm_image_build", view, chroot, pick(view.settings, IMAGE_OPTIONS), build?.job.key);
    // Packit submits image builds only on `/packit vm-image-build`.
    job.manualTrigger = true;
    if (this.claim(job, view)) this.images.push(job);
  }

  /**
   * A build runs automatically when any job waiting for it does (Packit builds for
   * automatic tests even if the build job is manual), and is never cancelled as
   * superseded when a job waiting for it must not be (it would be cancelled with it).
   * Implicit builds take both from their dependents alone.
   */
  private settleBuild(build: PlannedJob, implicit: boolean, all: PlannedJob[]): void {
    const dependents = all.filter((j) => j.after === build.key);
    build.manualTrigger = (implicit || build.manualTrigger) && dependents.every((d) => d.manualTrigger);
    build.cancelSuperseded = (implicit || build.cancelSuperseded) && dependents.every((d) => d.cancelSuperseded);
  }

  private scanJobs(): void {
    for (const { job: build, view } of [...this.builds, ...this.implicitBuilds]) {
      if (build.type !== "copr_build" || build.target !== OSH_TARGET) continue;
      if (!view.settings.osh_diff_scan_after_copr_build) continue;
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
        ...(baseJob.settings.owner !== undefined ? { base_owner: baseJob.settings.owner } : {}),
        ...(baseJob.settings.project !== undefined ? { base_project: baseJob.settings.project } : {}),
      };
      const scan = this.make("osh_scan", view, OSH_TARGET, options, build.key);
      scan.manualTrigger = build.manualTrigger;
      scan.cancelSuperseded = build.cancelSuperseded;
      if (this.claim(scan, view)) this.scans.push(scan);
    }
  }
}

/**
 * Plan the jobs `config` asks for on `event`. Pure and deterministic: builds
 * (in config order), implicit builds that tests need, tests, image builds,
 * scans. Downstream jobs, jobs whose `require.label` the PR does not meet,
 * unreadable targets and duplicate check names are listed in `notHandled`.
 */
export function planJobs(config: PackitConfig, event: PlanEvent, releases: ReleaseList): Plan {
  return new Planner(config, event, releases).plan();
}
