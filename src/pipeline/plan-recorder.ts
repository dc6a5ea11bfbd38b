/**
 * What the planner (`plan.ts`) records while it plans, and how a job is made: each
 * planned job under a check name unique in the plan, the jobs Packit would not run,
 * the job configs that plan nothing, and the warnings about what it had to assume.
 */
import type { ReleaseList } from "../packit-config/aliases.js";
import type { JobView, PackitConfig, PackitInstance } from "../packit-config/parse.js";
import { checkName } from "./check-names.js";
import {
  BACKEND,
  CHECK_NAME_PREFIX,
  customCoprProject,
  type JobType,
  type NotRunJob,
  type NotRunReason,
  type PlanEvent,
  type PlanInputs,
  type PlannedJob,
} from "./plan-model.js";

/** The planner's records and the facts of the event every job is named from; `Planner` adds what each job type plans. */
export class PlanRecorder {
  private readonly keys = new Set<string>();
  protected readonly notHandled = new Map<string, { type: string; reason: string }>();
  protected readonly notRun: NotRunJob[] = [];
  protected readonly warnings = new Set<string>();
  private readonly multiPackage: boolean;
  private readonly eventIdent: string | undefined;
  protected readonly branch: string;
  protected readonly instance: PackitInstance;

  constructor(
    protected readonly config: PackitConfig,
    protected readonly event: PlanEvent,
    protected readonly releases: ReleaseList,
    protected readonly inputs: PlanInputs,
  ) {
    this.multiPackage = Object.keys(config.packages).length > 1;
    this.branch = event.branch ?? event.defaultBranch;
    this.eventIdent = event.trigger === "push" ? this.branch : event.trigger === "release" ? event.tag : undefined;
    this.instance = inputs.instance ?? "prod";
  }

  protected skip(view: JobView, reason: string): void {
    this.notHandled.set(`${view.index}\0${view.type}\0${reason}`, { type: view.type, reason });
  }

  private name(type: JobType, target: string, view: JobView): string {
    const identifier = view.settings.identifier ?? (this.multiPackage ? view.package : undefined);
    const template =
      type === "copr_build" || type === "tests" || type === "upstream_koji_build" ? view.settings.status_name_template : undefined;
    const parts = { jobName: CHECK_NAME_PREFIX[type], chroot: target, event: this.eventIdent, identifier, package: view.package };
    const { name, templateError } = checkName(parts, template);
    if (templateError)
      this.warnings.add(`jobs[${view.index}].status_name_template: cannot be formatted (${templateError}); the default check name is used`);
    return name;
  }

  protected make(type: JobType, view: JobView, target: string, options: Record<string, unknown>, after?: string): PlannedJob {
    const name = this.unique(this.name(type, target, view), view);
    this.keys.add(name);
    const { identifier, labels, manual_trigger, cancel_superseded } = view.settings;
    return {
      key: name,
      type,
      backend: BACKEND[type],
      target,
      checkName: name,
      ...(identifier ? { identifier } : {}),
      ...(this.config.packagesDeclared ? { package: view.package } : {}),
      ...(after !== undefined ? { after } : {}),
      manualTrigger: manual_trigger,
      cancelSuperseded: cancel_superseded,
      ...(labels.length > 0 ? { labels } : {}),
      options,
    };
  }

  /**
   * Every matching job runs, so two jobs must not share a check run: a later one
   * gets its Copr project, or else its place in `jobs:`, appended (Packit would let
   * them overwrite each other's status).
   */
  private unique(name: string, view: JobView): string {
    if (!this.keys.has(name)) return name;
    const project = customCoprProject(view.settings);
    const byProject = project ? `${name}:${project}` : undefined;
    return byProject && !this.keys.has(byProject) ? byProject : `${name}:jobs[${view.index}]`;
  }

  protected notRunJob(
    type: JobType,
    view: JobView,
    target: string,
    reason: NotRunReason,
    detail: string,
    neutralCheck?: NotRunJob["neutralCheck"],
  ): void {
    const manualTrigger = view.settings.manual_trigger || type === "vm_image_build";
    this.notRun.push({
      type,
      target,
      checkName: this.name(type, target, view),
      reason,
      detail,
      manualTrigger,
      ...(neutralCheck ? { neutralCheck } : {}),
    });
  }
}
