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
  /** GitHub's time of the event (epoch ms), when the payload has one. */
  eventAt?: number;
}

/**
 * How a head of the line stands to the new one, in the order GitHub gave the heads
 * (pure). First the `before` chain, as far as the stored pipelines link it: a head
 * reached by following `before` from the new head is older, a head whose chain
 * reaches the new head is newer — whatever order the deliveries came in. Heads the
 * chain does not link (a `synchronize` delivery that came late or never, a
 * `reopened`) are ordered by GitHub's time of the event (`pull_request.updated_at`,
 * a push's `pushed_at`: `eventAt`); without two different times the head that
 * arrived first is the older.
 */
function headOrder(
  head: Pick<NewHead, "headSha" | "beforeSha" | "eventAt">,
  sameLine: readonly LinePipeline[],
): (p: LinePipeline) => "older" | "newer" {
  const newer = new Set([head.headSha]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of sameLine) {
      if (p.before_sha !== null && newer.has(p.before_sha) && !newer.has(p.head_sha)) {
        newer.add(p.head_sha);
        grew = true;
      }
    }
  }
  newer.delete(head.headSha);
  const older = new Set<string>();
  for (let sha = head.beforeSha; sha !== undefined && !older.has(sha) && sha !== head.headSha;) {
    older.add(sha);
    sha = sameLine.find((p) => p.head_sha === sha && p.before_sha !== null)?.before_sha ?? undefined;
  }
  return (p) => {
    if (newer.has(p.head_sha)) return "newer";
    if (older.has(p.head_sha)) return "older";
    if (head.eventAt !== undefined && p.event_at !== null && p.event_at > head.eventAt) return "newer";
    return "older";
  };
}

/**
 * Whether this event's head was already replaced by a newer one that arrived first
 * (`headOrder`): such a late event must neither run its jobs nor cancel the newer
 * head's. Returns the newer head's pipeline.
 */
export function isStaleHead<P extends LinePipeline>(head: NewHead, sameLine: readonly P[]): P | undefined {
  const order = headOrder(head, sameLine);
  return sameLine.find((p) => p.head_sha !== head.headSha && order(p) === "newer");
}

/**
 * A pipeline of this very head that an identical delivery made after this one
 * arrived (pure): the two arrived together, and one pipeline is all they cost. A
 * pipeline made before it arrived (the head reopened, pushed again) does not count,
 * nor one a `/packit` command or a re-run made meanwhile: it holds only the jobs it
 * chose and superseded nothing, so this event's own plan must still run (an identical
 * delivery carries the same `before` and GitHub time; a command's pipeline neither).
 */
export function plannedSince<P extends LinePipeline>(
  head: Pick<NewHead, "headSha" | "beforeSha" | "eventAt">,
  sameLine: readonly P[],
  receivedAt: number,
): P | undefined {
  return sameLine.find(
    (p) =>
      p.head_sha === head.headSha &&
      p.created_at >= receivedAt &&
      (p.before_sha ?? undefined) === (head.beforeSha ?? undefined) &&
      (p.event_at ?? undefined) === (head.eventAt ?? undefined),
  );
}

/**
 * The pipelines a new head supersedes (pure): every pipeline of the PR/branch with
 * another head that is older in GitHub's order (`headOrder`) — `before`, the heads
 * before it, and heads whose own delivery came late or never. Default-branch pushes
 * and releases are exempt unless the policy says otherwise.
 */
export function supersededPipelines<P extends LinePipeline>(head: NewHead, sameLine: readonly P[], policy: SupersedePolicy): P[] {
  if (supersedeExempt(head, policy)) return [];
  const order = headOrder(head, sameLine);
  return sameLine.filter((p) => p.head_sha !== head.headSha && order(p) === "older");
}

/** Whether a new head supersedes nothing: default-branch pushes and releases, unless the policy says otherwise (pure). */
export function supersedeExempt(head: Pick<NewHead, "trigger" | "branch" | "defaultBranch">, policy: SupersedePolicy): boolean {
  if (head.trigger === "release") return !policy.supersedeReleases;
  return head.trigger === "push" && head.branch === head.defaultBranch && !policy.supersedeDefaultBranch;
}

/**
 * The jobs of superseded pipelines to cancel: unfinished, not opted out with
 * `cancel_superseded: false`, and not already being cancelled (an earlier head asked;
 * asking again for every later head of a push storm would cost a round per head).
 */
export function jobsToCancel(jobs: readonly JobRow[]): JobRow[] {
  return jobs.filter((j) => !isFinal(j.state) && j.state !== "cancel_requested" && j.cancel_superseded === 1);
}
