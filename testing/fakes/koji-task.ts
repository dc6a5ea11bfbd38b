/** The tasks of the fake Koji hub (`koji.ts`): their states (koji's TASK_STATES), what the fake keeps of each, how they move on the clock, and getTaskInfo's answer. */
import type { XmlRpcStruct, XmlRpcValue } from "../../src/backends/xmlrpc/codec.js";

export const FREE = 0;
export const OPEN = 1;
export const CLOSED = 2;
export const CANCELED = 3;
export const FAILED = 5;

export type KojiOutcome = "CLOSED" | "FAILED";
export type KojiFinalState = KojiOutcome | "CANCELED";

/** A task as the fake keeps it. */
export interface FakeKojiTask {
  id: number;
  state: number;
  method: "build";
  owner: number;
  ownerName: string;
  /** The build call's parameters: `[src, target, opts]`. */
  request: XmlRpcValue[];
  createdAt: number;
  startedAt?: number;
  completedAt?: number;
  /** Set by start()/finish(): the clock no longer moves this task. */
  manual: boolean;
}

/** Selects tasks: a string matches the SCM URL (substring) or the target; a RegExp "src target". */
export type KojiTaskMatcher = string | RegExp | ((task: FakeKojiTask) => boolean);

function matchesTask(m: KojiTaskMatcher, t: FakeKojiTask): boolean {
  const [src, target] = t.request as [string, string];
  if (typeof m === "function") return m(t);
  if (m instanceof RegExp) return m.test(`${src} ${target}`);
  return src.includes(m) || target === m;
}

function isoTime(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString().replace("T", " ").replace("Z", "000+00:00");
}

/** The fields of a task as the recorded getTaskInfo answers have them. */
export function taskInfo(t: FakeKojiTask): XmlRpcStruct {
  const ts = (ms: number | undefined) => (ms === undefined ? null : ms / 1000);
  return {
    id: t.id,
    state: t.state,
    create_time: isoTime(t.createdAt),
    create_ts: ts(t.createdAt),
    start_time: isoTime(t.startedAt),
    start_ts: ts(t.startedAt),
    completion_time: isoTime(t.completedAt),
    completion_ts: ts(t.completedAt),
    channel_id: 1,
    host_id: t.state === FREE ? null : 1,
    parent: null,
    label: null,
    waiting: t.state === FREE ? null : false,
    awaited: null,
    owner: t.owner,
    method: t.method,
    arch: "noarch",
    priority: 20,
    weight: 0.2,
  };
}

/** The hub's tasks: each moves FREE → OPEN → its outcome one `phaseMs` apart, computed from the clock when read. */
export class KojiTasks {
  readonly byId = new Map<number, FakeKojiTask>();
  private outcomes: { matcher: KojiTaskMatcher; outcome: KojiOutcome }[] = [];
  private nextId = 1000;

  constructor(
    private readonly phaseMs: number,
    private readonly clock: () => number,
  ) {}

  newId(): number {
    return this.nextId++;
  }

  /** Tasks matching `matcher` end in `outcome` (later calls take precedence). */
  setOutcome(matcher: KojiTaskMatcher, outcome: KojiOutcome): void {
    this.outcomes.push({ matcher, outcome });
  }

  private outcomeOf(t: FakeKojiTask): number {
    for (let i = this.outcomes.length - 1; i >= 0; i--) {
      if (matchesTask(this.outcomes[i]!.matcher, t)) return this.outcomes[i]!.outcome === "FAILED" ? FAILED : CLOSED;
    }
    return CLOSED;
  }

  /** Bring a task up to the clock. */
  advance(t: FakeKojiTask): FakeKojiTask {
    if (t.manual || !Number.isFinite(this.phaseMs)) return t;
    const now = this.clock();
    if (t.state === FREE && now - t.createdAt >= this.phaseMs) {
      t.state = OPEN;
      t.startedAt = t.createdAt + this.phaseMs;
    }
    if (t.state === OPEN && t.startedAt !== undefined && now - t.startedAt >= this.phaseMs) {
      t.state = this.outcomeOf(t);
      t.completedAt = t.startedAt + this.phaseMs;
    }
    return t;
  }

  private must(id: number): FakeKojiTask {
    const t = this.byId.get(id);
    if (!t) throw new Error(`koji fake: no task ${id}`);
    return t;
  }

  /** FREE → OPEN now (manual control). */
  start(id: number): void {
    const t = this.must(id);
    t.state = OPEN;
    t.startedAt = this.clock();
  }

  /** End a task now in the given state. */
  finish(id: number, state: KojiFinalState): void {
    const t = this.advance(this.must(id));
    t.state = state === "CLOSED" ? CLOSED : state === "FAILED" ? FAILED : CANCELED;
    t.startedAt ??= this.clock();
    t.completedAt = this.clock();
    t.manual = true;
  }

  /** Forget every task and outcome (ids keep counting). */
  clear(): void {
    this.byId.clear();
    this.outcomes = [];
  }
}
