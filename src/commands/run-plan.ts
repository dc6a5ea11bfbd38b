import { isFinal, type JobState } from "../pipeline/job-state.js";
import { CHECK_NAME_PREFIX, type PlannedJob } from "../pipeline/plan.js";
import type { NewJob } from "../pipeline/store.js";
import { inlineCode } from "../util/markdown.js";
import type { RunCommand } from "./parse.js";

/** The latest job of a check name at the pull request's head. */
export interface LatestRun {
  id: number;
  state: JobState;
}

export interface RunSelection {
  /** Jobs for a new pipeline of the head: dependencies by key (built with them) or by id (an earlier build). */
  jobs: NewJob[];
  /** Jobs the command named but that do not start, with why. */
  notStarted: { key: string; reason: string }[];
  /** Why nothing was chosen, when `jobs` is empty and nothing was left alone. */
  nothing?: string;
}

const FAILED: ReadonlySet<JobState> = new Set(["failure", "error"]);

/**
 * Which jobs a run command starts at a pull request's head (pure), from the plan of
 * the head's config (manual jobs included) and the latest run of each check name:
 * - the jobs of the command's type, narrowed by `--identifier` / `--labels`, and to
 *   those whose latest run failed for `rebuild-failed` / `retest-failed`;
 * - a job still running is left alone (a second run would fight over its check run);
 * - a job's build is reused when its latest run succeeded, waited for when it is still
 *   running, and built again otherwise;
 * - builds bring the automatic jobs that wait for them (Packit starts tests when a
 *   build ends), so `/packit build` also tests what it builds.
 */
export function chooseJobsToRun(cmd: RunCommand, plan: readonly PlannedJob[], latest: ReadonlyMap<string, LatestRun>): RunSelection {
  const byKey = new Map(plan.map((j) => [j.key, j]));
  const chosen = new Map<string, NewJob>();
  const notStarted: RunSelection["notStarted"] = [];
  const running = (key: string) => {
    const prev = latest.get(key);
    return prev !== undefined && !isFinal(prev.state);
  };

  const add = (job: PlannedJob): void => {
    const { after, ...rest } = job;
    const fresh: NewJob = { ...rest, manualTrigger: false };
    chosen.set(job.key, fresh);
    if (after === undefined) return;
    const prev = latest.get(after);
    if (prev && (prev.state === "success" || !isFinal(prev.state))) fresh.dependsOnJobId = prev.id;
    else {
      if (!chosen.has(after)) add(byKey.get(after)!);
      fresh.after = after;
    }
  };

  const wanted = plan.filter(
    (j) =>
      j.type === cmd.type &&
      (cmd.identifier === undefined || j.identifier === cmd.identifier) &&
      (cmd.labels === undefined || (j.labels ?? []).some((l) => cmd.labels!.includes(l))),
  );
  for (const job of wanted) {
    if (running(job.key)) notStarted.push({ key: job.key, reason: "still running" });
    else if (!cmd.failedOnly || FAILED.has(latest.get(job.key)?.state as JobState)) add(job);
  }
  for (const job of plan) {
    if (job.after === undefined || !chosen.has(job.after) || chosen.has(job.key) || job.manualTrigger) continue;
    if (running(job.key)) notStarted.push({ key: job.key, reason: "still running" });
    else add(job);
  }

  const jobs = [...chosen.values()];
  if (jobs.length > 0 || notStarted.length > 0) return { jobs, notStarted };
  return {
    jobs,
    notStarted,
    nothing: nothingReason(
      cmd,
      plan.some((j) => j.type === cmd.type),
    ),
  };
}

function nothingReason(cmd: RunCommand, typeConfigured: boolean): string {
  const what = `${cmd.type} jobs`;
  if (!typeConfigured) return `The Packit config has no ${what} for pull requests into this branch.`;
  const narrowed = [
    cmd.identifier !== undefined ? `identifier ${inlineCode(cmd.identifier)}` : "",
    cmd.labels ? `labels ${cmd.labels.map((l) => inlineCode(l)).join(", ")}` : "",
  ].filter(Boolean);
  if (narrowed.length > 0) return `No ${what} with ${narrowed.join(" and ")} in the Packit config.`;
  return cmd.failedOnly ? `No ${CHECK_NAME_PREFIX[cmd.type]} job failed at this head: nothing to run again.` : `No ${what} to run.`;
}
