import type { BackendName } from "../backends/types.js";
import { BACKEND_TITLES } from "../dashboard/links.js";
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
  /** The repository of the jobs (a cancel concerns one), for the dashboard; null when none matched. */
  repoId?: number | null;
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

/** What each code means for the job, in words: the legend under a report's table. */
export const CANCEL_CODE_MEANINGS: Readonly<Record<CancelCode, string>> = {
  0: "the backend stopped it, or it had not started: it will not run",
  1: "it had ended before the cancel reached it; its result stands",
  2: "the backend has no way to stop it; it runs on there, but nothing here acts on its result",
  3: "the backend refused or failed to stop it; the job goes on (try again, or cancel it at the backend)",
};

/**
 * The first line of a report (pure). Only a report that cancelled something says
 * by whom ("Cancelled by @x"); one that cancelled nothing says so, naming who asked.
 */
function reportHeadline(report: Pick<CancelReport, "overall" | "reason">, requestedBy?: string): string {
  const asked = requestedBy
    ? ` (asked by ${requestedBy.startsWith("@") || requestedBy === "operator" ? requestedBy : `@${requestedBy}`})`
    : "";
  switch (report.overall) {
    case "all":
    case "partial":
      return `**Cancel: ${report.overall}** — ${report.reason}`;
    case "none":
      return `**Cancel: none** — nothing could be cancelled${asked}`;
    case "nothing to cancel":
      return `**Cancel: nothing to cancel** — no unfinished jobs${asked}`;
  }
}

/**
 * The report as Markdown (PR comments, the CLI): the headline, a table naming each
 * job by its check name, and what the codes in it mean.
 */
export function renderReport(report: CancelReport, requestedBy?: string): string {
  const head = reportHeadline(report, requestedBy);
  if (report.results.length === 0) return `${head}\n\nNo unfinished jobs matched.`;
  const rows = report.results.map(
    (r) => `| ${inlineCode(r.check, 200)} | ${BACKEND_TITLES[r.backend] ?? r.backend} | ${r.code} | ${r.text.replaceAll("|", "\\|")} |`,
  );
  const codes = [...new Set(report.results.map((r) => r.code))].sort();
  const legend = codes.map((c) => `- **${c}** ${CANCEL_CODES[c]}: ${CANCEL_CODE_MEANINGS[c]}.`);
  return [head, "", "| Check run | Backend | Code | Result |", "| --- | --- | --- | --- |", ...rows, "", ...legend].join("\n");
}
