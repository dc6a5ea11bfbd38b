import type { JobRow } from "../pipeline/store.js";

export type CheckStatus = "queued" | "in_progress" | "completed";
export type CheckConclusion = "success" | "failure" | "neutral" | "cancelled" | "skipped";

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

const BACKEND_TITLES: Record<string, string> = {
  copr: "Copr",
  "testing-farm": "Testing Farm",
  koji: "Koji",
  "image-builder": "VM Image Builder",
  openscanhub: "OpenScanHub",
};

/** GitHub refuses output over 65535 characters. */
const MAX_SUMMARY = 60_000;

/**
 * The check run a job's state calls for. Pure: the reporter sends whatever this
 * says, so every rule about titles, conclusions and buttons lives here.
 */
export function checkRunForJob(job: Pick<JobRow, "id" | "state" | "backend" | "target" | "url" | "message" | "cancel_reason" | "external_id">, ctx: { dependencyKey?: string } = {}): CheckRunState {
  const backend = BACKEND_TITLES[job.backend] ?? job.backend;
  const link = job.url ? `\n\n[Open in ${backend}](${job.url})` : "";
  const ext = job.external_id ? ` (${backend} id ${job.external_id})` : "";
  const base = { detailsUrl: job.url ?? undefined, externalId: `job:${job.id}` };
  const summary = (s: string) => (s + link).slice(0, MAX_SUMMARY);
  switch (job.state) {
    case "pending":
      return {
        ...base,
        status: "queued",
        title: ctx.dependencyKey ? `Waiting for ${ctx.dependencyKey}` : "Queued",
        summary: summary(ctx.dependencyKey ? `Starts when \`${ctx.dependencyKey}\` succeeds.` : `Waiting to be submitted to ${backend}.`),
        actions: [CANCEL_ACTION],
      };
    case "submitted":
    case "running":
      return {
        ...base,
        status: "in_progress",
        title: job.state === "running" ? `Running in ${backend}` : `Submitted to ${backend}`,
        summary: summary(`${job.target}${ext}${job.message ? `\n\n${job.message}` : ""}`),
        actions: [CANCEL_ACTION],
      };
    case "cancel_requested":
      return {
        ...base,
        status: "in_progress",
        title: "Cancelling…",
        summary: summary(`${job.cancel_reason ?? "Cancellation requested"}; waiting for ${backend} to confirm.`),
        actions: [],
      };
    case "success":
      return { ...base, status: "completed", conclusion: "success", title: "Succeeded", summary: summary(`${job.target}${ext}${job.message ? `\n\n${job.message}` : ""}`), actions: [] };
    case "failure":
      return { ...base, status: "completed", conclusion: "failure", title: "Failed", summary: summary(job.message ?? `${job.target} failed in ${backend}.`), actions: [RERUN_ACTION] };
    case "error":
      return { ...base, status: "completed", conclusion: "failure", title: "Error", summary: summary(job.message ?? `${backend} could not run this job.`), actions: [RERUN_ACTION] };
    case "cancelled":
      return { ...base, status: "completed", conclusion: "cancelled", title: job.cancel_reason ?? "Cancelled", summary: summary(job.message ?? job.cancel_reason ?? "Cancelled."), actions: [RERUN_ACTION] };
    case "skipped":
      return { ...base, status: "completed", conclusion: "skipped", title: "Skipped", summary: summary(job.message ?? "Not run."), actions: [RERUN_ACTION] };
  }
}

/** The check for an invalid .packit.yaml: one neutral check with the error; nothing else runs. */
export function invalidConfigCheck(message: string, where: { path?: string; line?: number; column?: number }): CheckRunState {
  const pos = where.line ? ` (line ${where.line}${where.column ? `, column ${where.column}` : ""})` : "";
  return {
    status: "completed",
    conclusion: "neutral",
    title: "Invalid Packit configuration",
    summary: `\`${where.path ?? ".packit.yaml"}\`${pos}:\n\n\`\`\`\n${message.slice(0, MAX_SUMMARY - 200)}\n\`\`\`\n\nNo jobs were run. Fix the file and push again.`,
    actions: [],
  };
}

export const CONFIG_CHECK_NAME = "packit:config";
