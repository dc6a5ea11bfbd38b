import type { JobRow, LinePipeline, Trigger } from "../pipeline/store.js";
import { isFinal } from "../pipeline/job-state.js";

export interface SupersedePolicy {
  supersedeDefaultBranch: boolean;
  supersedeReleases: boolean;
}

export interface NewHead {
  trigger: Trigger;
  headSha: string;
  beforeSha?: string;
  branch?: string;
  prNumber?: number;
  defaultBranch: string;
}

/**
 * Whether this event's head was already replaced by a newer one that arrived first:
 * some pipeline of the same PR/branch names it as its `before`. Such a late event
 * must neither run its jobs nor cancel the newer head's.
 */
export function isStaleHead<P extends LinePipeline>(head: NewHead, sameLine: readonly P[]): P | undefined {
  return sameLine.find((p) => p.before_sha === head.headSha && p.head_sha !== head.headSha);
}

/**
 * A pipeline of this very head that an identical delivery made after this one
 * arrived (pure): the two arrived together, and one pipeline is all they cost. A
 * pipeline made before it arrived (the head reopened, pushed again) does not count.
 */
export function plannedSince<P extends LinePipeline>(headSha: string, sameLine: readonly P[], receivedAt: number): P | undefined {
  return sameLine.find((p) => p.head_sha === headSha && p.created_at >= receivedAt);
}

/**
 * The pipelines a new head supersedes (pure). With `before`: the pipelines whose head
 * is `before`. Without it (reopened, re-runs): every older pipeline of the PR/branch
 * with another head. Default-branch pushes and releases are exempt unless the policy
 * says otherwise.
 */
export function supersededPipelines<P extends LinePipeline>(head: NewHead, sameLine: readonly P[], policy: SupersedePolicy): P[] {
  if (supersedeExempt(head, policy)) return [];
  const others = sameLine.filter((p) => p.head_sha !== head.headSha);
  if (head.beforeSha) return others.filter((p) => p.head_sha === head.beforeSha);
  return others;
}

/** Whether a new head supersedes nothing: default-branch pushes and releases, unless the policy says otherwise (pure). */
export function supersedeExempt(head: Pick<NewHead, "trigger" | "branch" | "defaultBranch">, policy: SupersedePolicy): boolean {
  if (head.trigger === "release") return !policy.supersedeReleases;
  return head.trigger === "push" && head.branch === head.defaultBranch && !policy.supersedeDefaultBranch;
}

/** The jobs of superseded pipelines to cancel: unfinished, and not opted out with `cancel_superseded: false`. */
export function jobsToCancel(jobs: readonly JobRow[]): JobRow[] {
  return jobs.filter((j) => !isFinal(j.state) && j.cancel_superseded === 1);
}
