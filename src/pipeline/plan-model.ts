/**
 * What the planner takes and gives (`plan.ts`), and the Packit facts it plans
 * with: check-name prefixes, backends, Testing Farm's default distros, the options
 * each backend gets, Packit's branch rule and what makes a Copr project custom.
 */
import type { BackendName } from "../backends/types.js";
import type { JobSettings, PackitConfig, PackitInstance } from "../packit-config/parse.js";

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

/** What the planner needs to know beyond the config and the event. */
export interface PlanInputs {
  /** Copr's active chroots (`/api_3/mock-chroots/list`). Unknown: the bundled release list decides, with a warning. */
  activeChroots?: ReadonlySet<string>;
  /** The chroots of custom Copr projects by `owner/project`; a project missing here is unknown. */
  coprProjectChroots?: ReadonlyMap<string, readonly string[]>;
  /** This service's Packit instance (setting `packit.instance`, default `prod`). */
  instance?: PackitInstance;
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
  /** Not started by the event: `manual_trigger`, a VM image, or a test waiting for a manual build. */
  manualTrigger: boolean;
  cancelSuperseded: boolean;
  /** The job's `labels` (for `/packit test --labels`). */
  labels?: string[];
  /** What the backend client needs, under Packit's key names (owner, project, fmf_url, tmt_plan, …). */
  options: Record<string, unknown>;
}

/** Why Packit would not run a job the event matched. */
export type NotRunReason = "needs a build job" | "not built by its build job" | "chroot inactive" | "other instance";

export interface NotRunJob {
  type: JobType;
  target: string;
  checkName: string;
  reason: NotRunReason;
  detail: string;
  manualTrigger: boolean;
  /** The check run Packit reports for it (neutral), when it reports one. */
  neutralCheck?: { title: string; summary: string };
}

export interface Plan {
  jobs: PlannedJob[];
  /** Jobs the event matched that Packit would not run, per target, with why. */
  notRun: NotRunJob[];
  /** Job configs the event matched that plan nothing here (downstream jobs, unreadable targets, …), with why. */
  notHandled: { type: string; reason: string }[];
  /** What the plan had to assume. */
  warnings: string[];
}

/** Check-run name prefixes, as Packit's status names. */
export const CHECK_NAME_PREFIX: Readonly<Record<JobType, string>> = {
  copr_build: "rpm-build",
  tests: "testing-farm",
  upstream_koji_build: "koji-build",
  vm_image_build: "vm-image-build",
  osh_scan: "osh-diff-scan",
};

export const BACKEND: Readonly<Record<JobType, BackendName>> = {
  copr_build: "copr",
  tests: "testing-farm",
  upstream_koji_build: "koji",
  vm_image_build: "image-builder",
  osh_scan: "openscanhub",
};

export const DOWNSTREAM_REASON = "downstream job, not handled by this service";
export const EVENT_TRIGGER = { pull_request: "pull_request", push: "commit", release: "release" } as const;

/** Build distro → Testing Farm distro when `distros` is not given (packit-service `DEFAULT_MAPPING_TF`). */
export const TF_DISTRO: Readonly<Record<string, string>> = {
  "epel-6": "centos-6",
  "epel-7": "centos-7",
  "epel-8": "centos-stream-8",
  "epel-9": "centos-stream-9",
  "epel-10": "centos-stream-10",
};
/** The same for the internal Testing Farm (`DEFAULT_MAPPING_INTERNAL_TF`). */
export const TF_DISTRO_INTERNAL: Readonly<Record<string, string>> = {
  "epel-6": "rhel-6",
  "epel-7": "rhel-7",
  "epel-8": "rhel-8",
  "epel-9": "centos-stream-9",
  "epel-10": "centos-stream-10",
};

/** The only target OpenScanHub scans run for (Packit). */
export const OSH_TARGET = "fedora-rawhide-x86_64";

/** packit-service's text for a test without a build job (`IsCoprBuildDefined`). */
export const NEEDS_BUILD_TITLE = "Test job requires build job definition in the configuration.";
export const DOCS_TESTING_FARM = "https://packit.dev/docs/configuration/upstream/tests";

export const COPR_OPTIONS = [
  "owner",
  "project",
  "preserve_project",
  "list_on_homepage",
  "module_hotfixes",
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
export const TEST_OPTIONS = [
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
export const KOJI_OPTIONS = [
  "scratch",
  "specfile_path",
  "paths",
  "upstream_package_name",
  "downstream_package_name",
  "srpm_build_deps",
  "actions",
] as const satisfies readonly (keyof JobSettings)[];
export const IMAGE_OPTIONS = [
  "image_distribution",
  "image_request",
  "image_customizations",
  "copr_chroot",
  "owner",
  "project",
] as const satisfies readonly (keyof JobSettings)[];
export const OSH_OPTIONS = ["csmock_args", "osh_options"] as const satisfies readonly (keyof JobSettings)[];

export function pick(settings: JobSettings, keys: readonly (keyof JobSettings)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (settings[key] !== undefined && settings[key] !== null) out[key] = settings[key];
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

/** What an owner without `project` builds in: Packit's name for it depends on the event (`<namespace>-<repo>-<PR>`). */
const DEFAULT_PROJECT = "<default project>";

/**
 * The Copr project a job names itself, `owner/project` (an `owner` other than
 * Packit's own, or a `project`): it builds in that project's chroots when it has
 * no targets (packit-service `is_custom_copr_project_defined`).
 */
export function customCoprProject(settings: Pick<JobSettings, "owner" | "project">): string | undefined {
  const { owner, project } = settings;
  if (!project && (!owner || owner === "packit")) return undefined;
  return `${owner ?? "packit"}/${project ?? DEFAULT_PROJECT}`;
}

/** The Copr projects whose chroots the plan of `config` may need: named custom projects of build jobs without targets. */
export function coprProjectsToRead(config: PackitConfig): string[] {
  const projects = config.jobs
    .filter((v) => v.type === "copr_build" && !(v.settings.targets ?? []).length)
    .map((v) => customCoprProject(v.settings))
    .filter((p): p is string => p !== undefined && !p.endsWith(`/${DEFAULT_PROJECT}`));
  return [...new Set(projects)];
}
