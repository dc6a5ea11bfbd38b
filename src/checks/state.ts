import type { ConfigProblem } from "../packit-config/parse.js";
import type { JobRow } from "../pipeline/store.js";
import { absolute, BACKEND_TITLES, jobPath } from "../dashboard/links.js";
import { formatDuration } from "../metrics/time-saved.js";

type CheckStatus = "queued" | "in_progress" | "completed";
type CheckConclusion = "success" | "failure" | "neutral" | "cancelled" | "skipped" | "action_required";

export interface CheckAction {
  label: string; // ≤ 20 characters
  description: string; // ≤ 40 characters
  identifier: string; // ≤ 20 characters
}

/** What a check run should look like on GitHub. */
export interface CheckRunState {
  status: CheckStatus;
  conclusion?: CheckConclusion;
  title: string;
  summary: string;
  detailsUrl?: string;
  externalId?: string;
  actions: CheckAction[];
}

export const CANCEL_ACTION: CheckAction = { label: "Cancel", description: "Cancel this job", identifier: "cancel" };
export const RERUN_ACTION: CheckAction = { label: "Re-run", description: "Run this job again", identifier: "rerun" };
/** On the "Approval needed" check run of a pull request whose author lacks write permission (`approval/`). */
export const APPROVE_ACTION: CheckAction = { label: "Approve", description: "Run this pull request's jobs", identifier: "approve" };

/** GitHub refuses output over 65535 characters. */
const MAX_SUMMARY = 60_000;

/** What each job type does, in a title: "Built on fedora-41", "Tests passed on fedora-41". */
const VERBS: Record<string, { running: string; done: string; failed: string }> = {
  copr_build: { running: "Building on", done: "Built on", failed: "Build failed on" },
  upstream_koji_build: { running: "Building on", done: "Built on", failed: "Build failed on" },
  tests: { running: "Testing on", done: "Tests passed on", failed: "Tests failed on" },
  vm_image_build: { running: "Building an image of", done: "Image built of", failed: "Image build failed for" },
  osh_scan: { running: "Scanning on", done: "Scanned on", failed: "Scan found problems on" },
};
const GENERIC_VERBS = { running: "Running on", done: "Succeeded on", failed: "Failed on" };

/** What a job's check run shows besides the job itself. */
export interface JobCheckContext {
  /** The dashboard's public URL: the check's details link is the job's page there. */
  publicUrl: string;
  /** The check name of the job this one waits for. */
  dependencyKey?: string;
  /** The job this one runs again, so the new check run can point at the old one. */
  rerunOf?: { id: number; state: string };
  /** The backend's page of the job, for people. */
  backendPage?: { url: string; label: string };
}

/** "Superseded by abc1234" → "Cancelled: superseded by abc1234"; "Cancelled by @x" stays. */
function cancelledTitle(reason: string | null): string {
  if (!reason) return "Cancelled";
  if (/^cancel/i.test(reason)) return reason;
  return `Cancelled: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`;
}

/** The first line of a message, short enough for a title. */
const firstLine = (text: string, max = 120) => {
  const line = text.split("\n")[0]!.trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/**
 * The check run a job's state calls for. Pure: the reporter sends whatever this
 * says, so every rule about titles, conclusions, links and buttons lives here.
 */
export function checkRunForJob(
  job: Pick<
    JobRow,
    "id" | "state" | "backend" | "type" | "target" | "url" | "message" | "cancel_reason" | "external_id" | "started_at" | "finished_at"
  >,
  ctx: JobCheckContext,
): CheckRunState {
  const backend = BACKEND_TITLES[job.backend] ?? job.backend;
  const page = absolute(ctx.publicUrl, jobPath(job.id));
  const links = [
    `[Job page](${page})`,
    ...(ctx.backendPage ? [`[${ctx.backendPage.label} in ${backend}](${ctx.backendPage.url})`] : []),
  ].join(" · ");
  const rerun = ctx.rerunOf
    ? `Re-run of [job ${ctx.rerunOf.id}](${absolute(ctx.publicUrl, jobPath(ctx.rerunOf.id))}) (that run ended ${ctx.rerunOf.state}; its check run keeps its result).\n\n`
    : "";
  const base = { detailsUrl: page, externalId: `job:${job.id}` };
  const summary = (s: string) => `${rerun}${s}\n\n${links}`.slice(0, MAX_SUMMARY);
  const verbs = VERBS[job.type] ?? GENERIC_VERBS;
  const took = job.started_at !== null && job.finished_at !== null ? formatDuration(job.finished_at - job.started_at) : undefined;
  const detail = `${job.target}${job.external_id ? ` (${backend} id ${job.external_id})` : ""}${job.message ? `\n\n${job.message}` : ""}`;
  switch (job.state) {
    case "pending":
      return {
        ...base,
        status: "queued",
        title: ctx.dependencyKey ? `Waiting for ${ctx.dependencyKey}` : `Queued for ${backend}`,
        summary: summary(
          ctx.dependencyKey ? `Starts when \`${ctx.dependencyKey}\` succeeds.` : `Waiting for a free slot to be submitted to ${backend}.`,
        ),
        actions: [CANCEL_ACTION],
      };
    case "submitted":
      return {
        ...base,
        status: "in_progress",
        title: `Queued in ${backend} for ${job.target}`,
        summary: summary(detail),
        actions: [CANCEL_ACTION],
      };
    case "running":
      return {
        ...base,
        status: "in_progress",
        title: `${verbs.running} ${job.target} in ${backend}`,
        summary: summary(detail),
        actions: [CANCEL_ACTION],
      };
    case "cancel_requested":
      return {
        ...base,
        status: "in_progress",
        title: `Cancelling in ${backend}…`,
        summary: summary(`${job.cancel_reason ?? "Cancellation requested"}; waiting for ${backend} to confirm.`),
        actions: [],
      };
    case "success":
      return {
        ...base,
        status: "completed",
        conclusion: "success",
        title: `${verbs.done} ${job.target}${took ? ` in ${took}` : ""}`,
        summary: summary(detail),
        actions: [],
      };
    case "failure":
      return {
        ...base,
        status: "completed",
        conclusion: "failure",
        title: `${verbs.failed} ${job.target}${took ? ` after ${took}` : ""}`,
        summary: summary(job.message ?? `${job.target} failed in ${backend}.`),
        actions: [RERUN_ACTION],
      };
    case "error":
      return {
        ...base,
        status: "completed",
        conclusion: "failure",
        title: job.message ? `Error: ${firstLine(job.message)}` : `${backend} could not run this job`,
        summary: summary(job.message ?? `${backend} could not run this job.`),
        actions: [RERUN_ACTION],
      };
    case "cancelled":
      return {
        ...base,
        status: "completed",
        conclusion: "cancelled",
        title: cancelledTitle(job.cancel_reason),
        summary: summary(job.message ?? job.cancel_reason ?? "Cancelled."),
        actions: [RERUN_ACTION],
      };
    case "skipped":
      return {
        ...base,
        status: "completed",
        conclusion: "skipped",
        title: ctx.dependencyKey ? `Skipped: ${ctx.dependencyKey} did not succeed` : "Skipped",
        summary: summary(job.message ?? "Not run."),
        actions: [RERUN_ACTION],
      };
  }
}

/**
 * The problems of a config error's message (pure): the parser puts the first
 * problem first, its position in `first`, and every further one on its own line
 * ending in "(line N)".
 */
export function problemsOf(message: string, first: { path?: string; line?: number; column?: number }): ConfigProblem[] {
  const prefix = first.path ? `${first.path}: ` : "";
  return message
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l, i) => {
      const text = i === 0 && prefix && l.startsWith(prefix) ? l.slice(prefix.length) : l;
      if (i === 0) return { message: text, ...(first.line ? { line: first.line } : {}), ...(first.column ? { column: first.column } : {}) };
      const m = /^(.*) \(line (\d+)\)$/.exec(text);
      return m ? { message: m[1]!, line: Number(m[2]) } : { message: text };
    });
}

/**
 * The config check of a head whose `.packit.yaml` is invalid: it fails, listing
 * every problem the parser found with its line; nothing else runs.
 */
export function invalidConfigCheck(message: string, where: { path?: string; line?: number; column?: number }): CheckRunState {
  const file = where.path ?? ".packit.yaml";
  const problems = problemsOf(message, where);
  const lines = problems.map((p) => `- ${p.line ? `line ${p.line}${p.column ? `, column ${p.column}` : ""}: ` : ""}${p.message}`);
  const first = problems[0];
  const title = `Invalid ${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"}${first?.line ? ` (first at line ${first.line})` : ""}`;
  return {
    status: "completed",
    conclusion: "failure",
    title,
    summary: `Packit's checks of \`${file}\` found:\n\n${lines.join("\n").slice(0, MAX_SUMMARY - 300)}\n\nNo jobs were run. Fix the file and push again (\`npm run cli -- validate-config ${file}\` checks it locally).`,
    actions: [],
  };
}

export const CONFIG_CHECK_NAME = "packit:config";
