/** A kobo task of OpenScanHub (`client.ts`): its states and page, the comment mark, and what a scan needs from the request. */
import type { RemoteState, SubmitRequest } from "../types.js";
import { oshHubRoot } from "./session.js";
import { fileName } from "./upload.js";

/** kobo task states (kobo.hub.models.TASK_STATES) — not Koji's numbering. */
export const OSH_TASK_STATES = {
  FREE: 0,
  ASSIGNED: 1,
  OPEN: 2,
  CLOSED: 3,
  CANCELED: 4,
  FAILED: 5,
  INTERRUPTED: 6,
  TIMEOUT: 7,
  CREATED: 8,
} as const;
export type OshTaskStateName = keyof typeof OSH_TASK_STATES;

/** Written into the task comment: `… [packit-token:<token>]`. */
export const OSH_TOKEN_MARK = "packit-token:";

const STATE_NAMES = Object.fromEntries(Object.entries(OSH_TASK_STATES).map(([k, v]) => [v, k])) as Record<number, OshTaskStateName>;
export const FINISHED = new Set<number>([
  OSH_TASK_STATES.CLOSED,
  OSH_TASK_STATES.CANCELED,
  OSH_TASK_STATES.FAILED,
  OSH_TASK_STATES.INTERRUPTED,
  OSH_TASK_STATES.TIMEOUT,
]);
/** Candidates `findByToken` inspects (newest first). */

/** The name of a kobo task state number, e.g. 3 → "CLOSED". */
export function oshStateName(state: number): string {
  return STATE_NAMES[state] ?? `UNKNOWN(${state})`;
}

/** kobo task state → app state. Pure; INTERRUPTED, TIMEOUT and unknown numbers are `error`. */
export function mapState(state: number): RemoteState {
  switch (state) {
    case OSH_TASK_STATES.FREE:
    case OSH_TASK_STATES.ASSIGNED:
    case OSH_TASK_STATES.CREATED:
      return "queued";
    case OSH_TASK_STATES.OPEN:
      return "running";
    case OSH_TASK_STATES.CLOSED:
      return "success";
    case OSH_TASK_STATES.FAILED:
      return "failure";
    case OSH_TASK_STATES.CANCELED:
      return "cancelled";
    default:
      return "error";
  }
}

/** The page of one task: `<hub>/task/<id>/`. */
export function oshTaskUrl(xmlrpcUrl: string, taskId: number | string): string {
  return `${oshHubRoot(xmlrpcUrl)}/task/${taskId}/`;
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** What a scan needs from the request: SRPM, base, mock config (Packit's `osh-cli` arguments). */
interface ScanPlan {
  srpmUrl: string | undefined;
  /** The SRPM file name: the upload's name, and the label the hub gives the task. */
  label: string | undefined;
  mockConfig: string;
  baseNvr: string | undefined;
  baseSrpmUrl: string | undefined;
}

export function planScan(req: SubmitRequest): ScanPlan {
  const artifacts = req.dependency?.artifacts ?? {};
  const osh = (req.options.osh_options && typeof req.options.osh_options === "object" ? req.options.osh_options : {}) as Record<
    string,
    unknown
  >;
  const srpmUrl = str(artifacts.srpmUrl) ?? str(artifacts.srpm_url) ?? str(req.options.srpm_url);
  return {
    srpmUrl,
    label: srpmUrl ? fileName(srpmUrl) : undefined,
    mockConfig: str(osh.config) ?? req.target,
    baseNvr: str(req.options.base_nvr),
    baseSrpmUrl: str(artifacts.baseSrpmUrl) ?? str(req.options.base_srpm_url),
  };
}
