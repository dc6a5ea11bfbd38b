import type { Settings } from "../settings.js";
import type { Trigger } from "../pipeline/store.js";

export interface PriorityInput {
  trigger: Trigger;
  /** "owner/repo". */
  project: string;
  /** Unfinished jobs of the same project right now (this one not counted; counted up to one past `busyThreshold`). */
  unfinishedJobsOfProject: number;
  /** Whether the project ran jobs in the last 30 days before this pipeline. */
  activeRecently: boolean;
}

/**
 * The queue priority of a job's tasks (pure; higher runs first). Pull requests over
 * pushes over releases; a project with more unfinished jobs than the threshold loses
 * points (one project cannot flood the queue); projects active in the last 30 days
 * gain a bonus over ones that never ran; per-project or per-owner overrides from the
 * service settings apply last. Fairness between projects at the same priority comes
 * from the queue itself (round-robin by project, ageing of waiting tasks).
 */
export function priorityFor(input: PriorityInput, p: Settings["priorities"]): number {
  const byTrigger = { pull_request: p.pullRequest, push: p.push, release: p.release }[input.trigger];
  const busy = input.unfinishedJobsOfProject > p.busyThreshold ? p.busyPenalty : 0;
  const active = input.activeRecently ? p.activeBonus : 0;
  const owner = input.project.split("/")[0]!;
  const override = p.overrides[input.project] ?? p.overrides[owner] ?? 0;
  return byTrigger - busy + active + override;
}
