/**
 * The kill loop's verdict (pure): what a chaos run delivered, stored, reported and
 * submitted, counted into lost, orphaned, duplicated, stuck and unanswered work. Each
 * count comes with one line per finding, so a non-zero count says what it is.
 */
import { FINAL_JOB_STATES, type JobState } from "../../src/pipeline/job-state.js";

/** One delivery as the sender (GitHub) saw it. */
export interface SentDelivery {
  id: string;
  /** What its work is: a pipeline for its head, or one reply per command marker. */
  kind: "pull_request" | "push" | "command";
  /** Answered 2xx at least once. */
  answered: boolean;
  /** Times it was sent. */
  attempts: number;
  /** command: the hidden markers of the replies it is owed (one per command). */
  markers?: string[];
}

interface DbPipeline {
  id: number;
  delivery_id: string | null;
}

interface DbJob {
  id: number;
  pipeline_id: number;
  state: JobState;
  backend: string;
  external_id: string | null;
  /** What identifies its backend submission (see BackendTask.key). */
  submission_key: string;
}

interface DbTask {
  id: number;
  name: string;
  status: string;
}

/** A check-run row the reporter still has to send (desired_version > sent_version). */
interface DbPendingCheck {
  id: number;
  name: string;
}

/** A check run as the simulated GitHub holds it. */
interface SimCheck {
  head_sha: string;
  name: string;
  external_id: string;
  status: string;
}

/** A build or test request as a fake backend holds it. */
export interface BackendTask {
  backend: string;
  id: string;
  /** Copr: `<commit>/<chroot>`; Testing Farm: the job token the request carries. */
  key: string;
  /** Final and cancelled, final otherwise, or still going. */
  state: "canceled" | "finished" | "running";
}

export interface ChaosSnapshot {
  deliveries: SentDelivery[];
  pipelines: DbPipeline[];
  jobs: DbJob[];
  tasks: DbTask[];
  pendingChecks: DbPendingCheck[];
  simChecks: SimCheck[];
  /** Bodies of the app's comments. */
  botComments: string[];
  backendTasks: BackendTask[];
}

interface Finding {
  count: number;
  /** One line per finding (the first few are printed). */
  details: string[];
}

export interface ChaosCounts {
  lost: Finding;
  orphaned: Finding;
  duplicates: Finding;
  stuck: Finding;
  unanswered: Finding;
}

const finding = (details: string[]): Finding => ({ count: details.length, details });
const checkOf = (jobId: number) => `job:${jobId}`;

function groupCount<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of items) m.set(key(t), (m.get(key(t)) ?? 0) + 1);
  return m;
}

/** How often each marker appears in the app's comments. */
function markerCounts(botComments: readonly string[], markers: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const marker of markers) m.set(marker, botComments.filter((b) => b.includes(marker)).length);
  return m;
}

/**
 * Lost: a delivery whose work never happened — an event with no pipeline of its
 * delivery id, or a pipeline with a job that has no check run on GitHub; a command
 * with no reply. Every delivery counts, answered or still owed (a delivery never
 * answered is also `unanswered`).
 */
function countLost(s: ChaosSnapshot): Finding {
  const pipelinesOf = new Map<string, DbPipeline[]>();
  for (const p of s.pipelines) if (p.delivery_id) pipelinesOf.set(p.delivery_id, [...(pipelinesOf.get(p.delivery_id) ?? []), p]);
  const checks = new Set(s.simChecks.map((c) => c.external_id));
  const out: string[] = [];
  for (const d of s.deliveries) {
    if (d.kind === "command") {
      const seen = markerCounts(s.botComments, d.markers ?? []);
      for (const [marker, n] of seen) if (n === 0) out.push(`command ${d.id}: no reply ${marker}`);
      continue;
    }
    const pipelines = pipelinesOf.get(d.id) ?? [];
    if (pipelines.length === 0) out.push(`${d.kind} ${d.id}: no pipeline`);
    for (const p of pipelines)
      for (const j of s.jobs.filter((j) => j.pipeline_id === p.id && !checks.has(checkOf(j.id))))
        out.push(`${d.kind} ${d.id}: job ${j.id} has no check run`);
  }
  return finding(out);
}

/**
 * Orphaned: backend work no job recorded as its own, and a job cancelled here whose
 * backend work was not cancelled (still running, or run to its end).
 */
function countOrphaned(s: ChaosSnapshot): Finding {
  const owned = new Map(s.jobs.filter((j) => j.external_id).map((j) => [`${j.backend}:${j.external_id}`, j]));
  const out: string[] = [];
  for (const t of s.backendTasks) {
    const job = owned.get(`${t.backend}:${t.id}`);
    if (!job) out.push(`${t.backend} ${t.id} (${t.key}, ${t.state}): no job knows it`);
    else if (job.state === "cancelled" && t.state !== "canceled")
      out.push(`${t.backend} ${t.id}: job ${job.id} cancelled, backend ${t.state}`);
  }
  return finding(out);
}

/**
 * Duplicates: more backend submissions of a key than jobs of that key that made one;
 * two check runs for the same (head, name, job); a command answered twice.
 */
function countDuplicates(s: ChaosSnapshot): Finding {
  const out: string[] = [];
  const submitted = groupCount(
    s.jobs.filter((j) => j.external_id),
    (j) => `${j.backend}:${j.submission_key}`,
  );
  for (const [key, n] of groupCount(s.backendTasks, (t) => `${t.backend}:${t.key}`)) {
    const jobs = submitted.get(key) ?? 0;
    if (n > jobs) out.push(`${key}: ${n} submissions for ${jobs} job(s)`);
  }
  for (const [key, n] of groupCount(s.simChecks, (c) => `${c.head_sha}/${c.name}/${c.external_id}`))
    if (n > 1) out.push(`check run ${key} created ${n} times`);
  const markers = s.deliveries.flatMap((d) => d.markers ?? []);
  for (const [marker, n] of markerCounts(s.botComments, markers)) if (n > 1) out.push(`reply ${marker} posted ${n} times`);
  return finding(out);
}

/** Stuck at quiescence: a job not final, a task queued or running, a check run not sent or not completed on GitHub. */
function countStuck(s: ChaosSnapshot): Finding {
  return finding([
    ...s.jobs.filter((j) => !FINAL_JOB_STATES.has(j.state)).map((j) => `job ${j.id} still ${j.state}`),
    ...s.tasks.filter((t) => t.status === "todo" || t.status === "doing").map((t) => `task ${t.id} ${t.name} still ${t.status}`),
    ...s.pendingChecks.map((c) => `check run row ${c.id} (${c.name}) not sent`),
    ...s.simChecks.filter((c) => c.status !== "completed").map((c) => `check run ${c.head_sha.slice(0, 7)}/${c.name} ${c.status}`),
  ]);
}

/** Unanswered: a delivery that never got a 2xx, however often it was sent. */
function countUnanswered(s: ChaosSnapshot): Finding {
  return finding(s.deliveries.filter((d) => !d.answered).map((d) => `${d.kind} ${d.id}: no 2xx in ${d.attempts} attempts`));
}

export function countAll(s: ChaosSnapshot): ChaosCounts {
  return {
    lost: countLost(s),
    orphaned: countOrphaned(s),
    duplicates: countDuplicates(s),
    stuck: countStuck(s),
    unanswered: countUnanswered(s),
  };
}

/** The counts alone, by name. */
export function countsOf(c: ChaosCounts): Record<keyof ChaosCounts, number> {
  return {
    lost: c.lost.count,
    orphaned: c.orphaned.count,
    duplicates: c.duplicates.count,
    stuck: c.stuck.count,
    unanswered: c.unanswered.count,
  };
}

/** One line per finding, the first `perCount` of each count: `lost: …`. */
export function findingLines(c: ChaosCounts, perCount: number): string[] {
  return (Object.keys(c) as (keyof ChaosCounts)[]).flatMap((name) => c[name].details.slice(0, perCount).map((d) => `${name}: ${d}`));
}
