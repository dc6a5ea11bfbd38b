import type { BackendName } from "../backends/types.js";
import { inlineCode } from "../util/markdown.js";

/** Per-job result codes, as users see them. */
export const CANCEL_CODES = {
  0: "cancelled",
  1: "could not be cancelled – already finished",
  2: "backend cannot cancel – its result will be ignored",
  3: "backend error",
} as const;

export type CancelCode = keyof typeof CANCEL_CODES;

export interface JobCancelResult {
  jobId: number;
  check: string;
  backend: BackendName;
  code: CancelCode;
  text: string;
}

export type CancelOverall = "all" | "partial" | "none" | "nothing to cancel";

export interface CancelReport {
  overall: CancelOverall;
  reason: string;
  results: JobCancelResult[];
}

/**
 * The overall verdict (pure). Jobs that had already finished (code 1) are reported
 * but do not count: cancelling [running, finished] cancels "all" that could be.
 * Code 2 counts as stopped: the job is cancelled for us and its result ignored.
 */
export function overallOf(results: readonly JobCancelResult[]): CancelOverall {
  const considered = results.filter((r) => r.code !== 1);
  if (considered.length === 0) return "nothing to cancel";
  const stopped = considered.filter((r) => r.code === 0 || r.code === 2).length;
  if (stopped === considered.length) return "all";
  return stopped === 0 ? "none" : "partial";
}

/** The report as a Markdown table (PR comments, check summaries, CLI). */
export function renderReport(report: CancelReport): string {
  const head = `**Cancel: ${report.overall}** — ${report.reason}`;
  if (report.results.length === 0) return `${head}\n\nNo unfinished jobs matched.`;
  const rows = report.results.map((r) => `| ${inlineCode(r.check, 200)} | ${r.backend} | ${r.code} | ${r.text.replaceAll("|", "\\|")} |`);
  return [head, "", "| Job | Backend | Code | Result |", "| --- | --- | --- | --- |", ...rows].join("\n");
}
