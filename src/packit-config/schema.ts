/**
 * Packit's configuration schema, key for key, as zod schemas that answer with
 * marshmallow's messages. Source: packit/packit `packit/schema.py`
 * (`CommonConfigSchema`, `JobConfigSchema`, `JobMetadataSchema`, `Targets`,
 * `DistGitBranches`, the nested schemas), `packit/config/job_config.py` (`JobType`,
 * `JobConfigTriggerType`), `packit/actions.py` (`ActionName`),
 * `packit/config/common_package_config.py` (`Deployment`, `MockBootstrapSetup`) and
 * `packit/constants.py` (`CHROOT_SPECIFIC_COPR_CONFIGURATION`).
 *
 * marshmallow raises on unknown fields (its default `RAISE`), so only these keys
 * are valid; a field is nullable only where Packit declares `load_default=None`.
 */
import { z } from "zod";
import {
  actionsField,
  bool,
  dict,
  distGitBranchesField,
  errorFor,
  int,
  nested,
  oneOf,
  spec_source_id,
  str,
  strList,
  syncItem,
  targetsField,
  versionSpecifiers,
} from "./fields.js";

/** `JobType` today, in Packit's order (`build` and `production_build` were removed in 2022). */
export const JOB_TYPES = [
  "propose_downstream",
  "pull_from_upstream",
  "sync_from_downstream",
  "copr_build",
  "upstream_koji_build",
  "koji_build",
  "tests",
  "bodhi_update",
  "vm_image_build",
  "koji_build_tag",
] as const;
/** The job types that react to dist-git or release automation: parsed, but not run by this service. */
export const DOWNSTREAM_JOB_TYPES: readonly PackitJobType[] = [
  "propose_downstream",
  "pull_from_upstream",
  "sync_from_downstream",
  "koji_build",
  "bodhi_update",
  "koji_build_tag",
];
export type PackitJobType = (typeof JOB_TYPES)[number];

/** `JobConfigTriggerType`; a trigger may also be several joined by `|`. */
export const TRIGGERS = ["release", "pull_request", "commit", "koji_build", "ignore"] as const;
export type PackitTrigger = (typeof TRIGGERS)[number];

/** `Deployment`: the Packit instances `packit_instances` names. */
export const INSTANCES = ["dev", "stg", "prod"] as const;
export type PackitInstance = (typeof INSTANCES)[number];

/** Keys Packit once had and removed; an error there, with what to use instead. */
export const REMOVED_KEYS: Readonly<Record<string, string>> = {
  synced_files: "removed from Packit (d03bbd0d); use files_to_sync",
  upstream_project_name: "removed from Packit (a4cbed15); use upstream_package_name",
  create_tarball_command: "removed from Packit; use the create-archive action",
  current_version_command: "removed from Packit; use the get-current-version action",
  dist_git_branch: "only an old spelling inside metadata; use dist_git_branches",
};

/**
 * `CommonConfigSchema`: valid at the top level, in a package, in a job and in a
 * job's per-package overrides. `targets` / `dist_git_branches` are given for the
 * job level; `commonFields(false)` has the stricter top-level forms.
 */
function commonFields(jobLevel: boolean) {
  return {
    config_file_path: str().nullable(),
    specfile_path: str().nullable(),
    downstream_package_name: str().nullable(),
    upstream_project_url: str().nullable(),
    upstream_package_name: str()
      .refine((v) => !/[/\0]/.test(v), { error: "Repository name must be a valid filename." })
      .nullable(),
    paths: strList(),
    upstream_ref: str().nullable(),
    upstream_tag_template: str(),
    archive_root_dir_template: str(),
    // NotProcessedField: accepted and ignored ("'dist_git_url' is no longer being processed.")
    dist_git_url: z.unknown(),
    dist_git_base_url: str().nullable(),
    dist_git_namespace: str().nullable(),
    allowed_gpg_keys: strList().nullable(),
    spec_source_id,
    files_to_sync: z.array(syncItem, { error: errorFor("Not a valid list.") }),
    actions: actionsField,
    create_pr: bool(),
    sync_changelog: bool(),
    create_sync_note: bool(),
    patch_generation_ignore_paths: strList().nullable(),
    patch_generation_patch_id_digits: int().refine((v) => v >= 0, { error: "Invalid value." }),
    notifications: nested({
      pull_request: nested({ successful_build: bool() }),
      failure_comment: nested({ message: str().nullable() }),
      failure_issue: nested({ create: bool() }),
    }),
    copy_upstream_release_description: bool(),
    sources: z
      .array(z.strictObject({ path: str(), url: str() }, { error: errorFor("Invalid input type.") }), {
        error: errorFor("Not a valid list."),
      })
      .nullable(),
    merge_pr_in_ci: bool(),
    srpm_build_deps: strList().nullable(),
    identifier: str().nullable(),
    packit_instances: z.array(oneOf(INSTANCES), { error: errorFor("Not a valid list.") }),
    issue_repository: str().nullable(),
    release_suffix: str().nullable(),
    version_suffix: str().nullable(),
    update_release: bool(),
    preserve_spec: bool(),
    upstream_tag_include: str(),
    upstream_tag_exclude: str(),
    prerelease_suffix_pattern: str(),
    prerelease_suffix_macro: str().nullable(),
    upload_sources: bool(),
    test_command: nested({ default_labels: strList().nullable(), default_identifier: str().nullable() }),
    require: nested({ label: nested({ present: strList(), absent: strList() }).nullable() }),
    status_name_template: str().nullable(),
    sync_test_job_statuses_with_builds: bool(),
    // Former `metadata` keys
    targets: targetsField(jobLevel),
    timeout: int(),
    owner: str().nullable(),
    project: str().nullable(),
    dist_git_branches: distGitBranchesField(jobLevel),
    branch: str().nullable(),
    scratch: bool(),
    list_on_homepage: bool(),
    preserve_project: bool(),
    use_internal_tf: bool(),
    additional_packages: strList().nullable(),
    additional_repos: strList().nullable(),
    bootstrap: oneOf(["default", "on", "off", "image"]).nullable(),
    fmf_url: str().nullable(),
    fmf_ref: str().nullable(),
    fmf_path: str().nullable(),
    env: dict().nullable(),
    enable_net: bool(),
    allowed_pr_authors: strList().nullable(),
    allowed_committers: strList().nullable(),
    allowed_builders: strList().nullable(),
    tmt_plan: str().nullable(),
    tf_post_install_script: str().nullable(),
    tf_extra_params: dict().nullable(),
    bodhi_extra_params: dict().nullable(),
    module_hotfixes: bool(),
    // VM Image Builder
    image_distribution: str().nullable(),
    image_request: dict().nullable(),
    image_customizations: dict().nullable(),
    copr_chroot: str().nullable(),
    pkg_tool: str().nullable(),
    sig: str().nullable(),
    version_update_mask: str().nullable(),
    version_update_specifiers: versionSpecifiers,
    parse_time_macros: dict().nullable(),
    osh_diff_scan_after_copr_build: bool(),
    csmock_args: str().nullable(),
    osh_options: nested({ analyzer: str().nullable(), config: str().nullable(), profile: str().nullable() }),
    use_target_repo_for_fmf_url: bool(),
    clone_repos_before_run_condition: bool(),
    skip_missing_branched_composes: bool(),
    // packit-probot's own: keep this job's runs when a newer head arrives
    cancel_superseded: bool(),
  };
}

/** Field schemas where a key is written: the top level or a package, or a job (and its overrides). */
export const TOP_LEVEL_FIELDS: Readonly<Record<string, z.ZodType>> = commonFields(false);
export const JOB_LEVEL_FIELDS: Readonly<Record<string, z.ZodType>> = commonFields(true);

/** `JobConfigSchema`'s own keys besides `job`, `trigger`, `packages` and the old `metadata`. */
export const JOB_ONLY_FIELDS = {
  skip_build: bool(),
  manual_trigger: bool(),
  labels: strList().nullable(),
  package: str().nullable(),
  sidetag_group: str().nullable(),
  dependents: strList().nullable(),
  dependencies: strList().nullable(),
};

/**
 * `JobMetadataSchema`: the keys the old nested `metadata:` may hold. Keys are the
 * field names Packit checks against the job's own keys (`targets` is `_targets`
 * there, so only it may also appear outside metadata).
 */
export const METADATA_KEYS: readonly string[] = [
  "targets",
  "timeout",
  "owner",
  "project",
  "dist_git_branches",
  "branch",
  "scratch",
  "list_on_homepage",
  "preserve_project",
  "use_internal_tf",
  "additional_packages",
  "additional_repos",
  "bootstrap",
  "fmf_url",
  "fmf_ref",
  "fmf_path",
  "skip_build",
  "env",
  "enable_net",
  "tmt_plan",
  "tf_post_install_script",
  "tf_extra_params",
  "module_hotfixes",
];

/** Package-level settings: top-level keys with a package's own keys on top. */
export type PackageSettings = Partial<z.output<z.ZodObject<ReturnType<typeof commonFields>>>>;
type JobOnlySettings = Partial<z.output<z.ZodObject<typeof JOB_ONLY_FIELDS>>>;

/** What a job view's settings hold before Packit's and the app's defaults. */
export type RawJobSettings = PackageSettings & JobOnlySettings;

/** A job's effective settings for one package, with Packit's (and the app's) defaults applied. */
export type JobSettings = Omit<
  RawJobSettings,
  "osh_diff_scan_after_copr_build" | "cancel_superseded" | "skip_build" | "manual_trigger" | "labels" | "packit_instances"
> & {
  /** Run a differential OpenScanHub scan after the rawhide x86_64 build (Packit default: true). */
  osh_diff_scan_after_copr_build: boolean;
  /** Cancel this job's runs when a newer head arrives (app default: true). */
  cancel_superseded: boolean;
  skip_build: boolean;
  manual_trigger: boolean;
  /** Groups jobs for `/packit test --labels …`; does not gate automatic runs. */
  labels: string[];
  /** Packit instances that run the job (default `[prod]`). */
  packit_instances: PackitInstance[];
};

/** One job for one trigger and one package: the unit Packit schedules (a `JobConfigView`). */
export interface JobView {
  /** Position of the job in `jobs:` (or in Packit's default jobs when the key is missing). */
  index: number;
  type: PackitJobType;
  trigger: PackitTrigger;
  /** Package name; for a config without `packages:` the implicit package (see `PackitConfig`). */
  package: string;
  settings: JobSettings;
}

/** A validated `.packit.yaml` with inheritance resolved. */
export interface PackitConfig {
  /**
   * Packages with top-level defaults merged in. Without a `packages:` key there is
   * one implicit package named after `downstream_package_name` (or
   * `upstream_package_name`, or `""`: Packit would use the repository name).
   */
  packages: Record<string, PackageSettings>;
  /** The file declares `packages:` (a monorepo, or a single named package). */
  packagesDeclared: boolean;
  /** Job views in file order: job × trigger (`commit | koji_build` splits) × selected package. */
  jobs: JobView[];
}
