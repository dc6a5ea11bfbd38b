/** A task of the fake OpenScanHub (`openscanhub.ts`): kobo's states, what the fake keeps of it, and `Task.export()`'s answer. */
import type { XmlRpcStruct } from "../../src/backends/xmlrpc/codec.js";

export const S = { FREE: 0, ASSIGNED: 1, OPEN: 2, CLOSED: 3, CANCELED: 4, FAILED: 5, INTERRUPTED: 6, TIMEOUT: 7, CREATED: 8 } as const;
type StateName = keyof typeof S;
export const NAMES = Object.fromEntries(Object.entries(S).map(([k, v]) => [v, k])) as Record<number, StateName>;
export const FINISHED = new Set<number>([S.CLOSED, S.CANCELED, S.FAILED, S.INTERRUPTED, S.TIMEOUT]);
const FAILED_STATES = new Set<number>([S.CANCELED, S.FAILED, S.INTERRUPTED, S.TIMEOUT]);

export type OshOutcome = "CLOSED" | "FAILED" | "INTERRUPTED" | "TIMEOUT";
export type OshFinalState = OshOutcome | "CANCELED";

/** A task as the fake keeps it. */
export interface FakeOshTask {
  id: number;
  state: number;
  method: "VersionDiffBuild" | "MockBuild";
  owner: string;
  /** The SRPM file name (kobo labels client scans with it). */
  label: string;
  /** Kept, as kobo keeps it, but not exported over XML-RPC. */
  comment: string;
  args: XmlRpcStruct;
  result: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  manual: boolean;
}

/** Selects tasks: a string matches the label (substring) or the mock config; a RegExp the label. */
export type OshTaskMatcher = string | RegExp | ((task: FakeOshTask) => boolean);

export function matchesTask(m: OshTaskMatcher, t: FakeOshTask): boolean {
  if (typeof m === "function") return m(t);
  if (m instanceof RegExp) return m.test(t.label);
  return t.label.includes(m) || t.args.mock_config === m;
}

function kobotime(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** kobo `Task.export(flat=True)`: note, no `comment`. */
export function taskExport(t: FakeOshTask): XmlRpcStruct {
  return {
    id: t.id,
    owner: t.owner,
    worker: t.startedAt === undefined ? null : 1,
    parent: null,
    state: t.state,
    label: t.label,
    method: t.method,
    args: t.args,
    result: t.result,
    exclusive: false,
    arch: 1,
    channel: 1,
    timeout: null,
    waiting: false,
    awaited: false,
    dt_created: kobotime(t.createdAt),
    dt_started: kobotime(t.startedAt),
    dt_finished: kobotime(t.finishedAt),
    priority: 10,
    weight: 1,
    resubmitted_by: null,
    resubmitted_from: null,
    state_label: NAMES[t.state]!,
    is_finished: FINISHED.has(t.state),
    is_failed: FAILED_STATES.has(t.state),
  };
}
