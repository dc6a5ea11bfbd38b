/**
 * Check-run writes, shared by REST and GraphQL so both APIs change the same
 * records under the same rules. The rules and messages follow GitHub's REST
 * schema for "Create a check run" / "Update a check run".
 */
import { isFullSha } from "./ids.js";
import { now, type CheckRunFields, type CheckRunRecord, type RepoRecord, type SimState } from "./state.js";

/** One write in API-neutral form: REST bodies map 1:1, GraphQL inputs are renamed and lower-cased. */
export interface CheckRunInput {
  name?: unknown;
  head_sha?: unknown;
  status?: unknown;
  conclusion?: unknown;
  details_url?: unknown;
  external_id?: unknown;
  started_at?: unknown;
  completed_at?: unknown;
  output?: unknown;
  actions?: unknown;
}

/**
 * GitHub refused the write. `schema` errors are the ones GitHub words as
 * "Invalid request.\n\n<detail>" over REST; the rest stand alone.
 */
export class CheckRunInvalid extends Error {
  constructor(
    readonly detail: string,
    readonly schema = true,
    /** The field GitHub names in `errors[]`, for the refusals it reports per field. */
    readonly field?: string,
  ) {
    super(detail);
  }

  /** The REST `message`. */
  get restMessage(): string {
    return this.schema ? `Invalid request.\n\n${this.detail}` : this.detail;
  }
}

const STATUSES = ["queued", "in_progress", "completed"];
const ACTIONS_ONLY_STATUSES = ["waiting", "requested", "pending"];
const CONCLUSIONS = ["action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"];
const MAX_ACTIONS = 3;
const MAX_TEXT = 65535;
/** "The Checks API limits the number of annotations to a maximum of 50 per API request." */
const MAX_ANNOTATIONS = 50;

const missing = (field: string) => new CheckRunInvalid(`"${field}" wasn't supplied.`, true, field);
const tooLong = (max: number, got: number) => new CheckRunInvalid(`Only ${max} characters are allowed; ${got} were supplied.`);
const notOneOf = (field: string, value: unknown, allowed: string[]) =>
  new CheckRunInvalid(`For 'properties/${field}', ${JSON.stringify(value)} is not one of ${JSON.stringify(allowed)}.`);

function optionalString(field: string, value: unknown): void {
  if (value !== undefined && value !== null && typeof value !== "string") {
    throw new CheckRunInvalid(`For 'properties/${field}', ${JSON.stringify(value)} is not a string.`);
  }
}

function timestamp(field: string, value: unknown): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== "string" || Number.isNaN(Date.parse(value))) {
    throw new CheckRunInvalid(`For 'properties/${field}', ${JSON.stringify(value)} is not a valid date-time.`);
  }
  // GitHub answers with second precision in UTC whatever the caller sent.
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function validate(repo: RepoRecord, input: CheckRunInput, creating: boolean): void {
  if (creating) {
    if (input.name === undefined || input.name === null) throw missing("name");
    if (input.head_sha === undefined || input.head_sha === null) throw missing("head_sha");
    // Only a commit the repository has: a branch name or an unknown sha is refused.
    if (!isFullSha(input.head_sha) || !repo.commits.has(input.head_sha.toLowerCase())) {
      throw new CheckRunInvalid(`No commit found for SHA: ${String(input.head_sha)}`, false, "head_sha");
    }
  }
  if (input.name !== undefined && (typeof input.name !== "string" || input.name.trim() === "")) {
    throw new CheckRunInvalid(`For 'properties/name', ${JSON.stringify(input.name)} is not a non-empty string.`);
  }
  for (const f of ["details_url", "external_id"] as const) optionalString(f, input[f]);

  if (input.status !== undefined && input.status !== null) {
    if (ACTIONS_ONLY_STATUSES.includes(String(input.status))) {
      throw new CheckRunInvalid("Only GitHub Actions can set a status of waiting, pending, or requested.", false);
    }
    if (!STATUSES.includes(String(input.status))) throw notOneOf("status", input.status, STATUSES);
  }
  const concluding = input.conclusion !== undefined && input.conclusion !== null;
  if (concluding) {
    if (!CONCLUSIONS.includes(String(input.conclusion))) throw notOneOf("conclusion", input.conclusion, CONCLUSIONS);
    if (input.conclusion === "stale") {
      throw new CheckRunInvalid("You cannot change a check run conclusion to stale, only GitHub can set this.", false);
    }
  } else if (input.status === "completed" || (input.completed_at !== undefined && input.completed_at !== null)) {
    // "Required if you provide completed_at or a status of completed."
    throw missing("conclusion");
  }

  if (input.output !== undefined && input.output !== null) {
    if (typeof input.output !== "object") throw new CheckRunInvalid(`For 'properties/output', ${JSON.stringify(input.output)} is not an object.`);
    const o = input.output as Record<string, unknown>;
    if (creating && (o.title === undefined || o.title === null)) throw missing("title");
    if (o.summary === undefined || o.summary === null) throw missing("summary");
    for (const f of ["title", "summary", "text"]) {
      optionalString(f, o[f]);
      const v = o[f];
      if (typeof v === "string" && v.length > MAX_TEXT && f !== "title") throw tooLong(MAX_TEXT, v.length);
    }
    if (Array.isArray(o.annotations) && o.annotations.length > MAX_ANNOTATIONS) {
      throw new CheckRunInvalid(`Only ${MAX_ANNOTATIONS} annotations are allowed; ${o.annotations.length} were supplied.`);
    }
  }

  if (input.actions !== undefined && input.actions !== null) {
    if (!Array.isArray(input.actions)) throw new CheckRunInvalid(`For 'properties/actions', ${JSON.stringify(input.actions)} is not an array.`);
    if (input.actions.length > MAX_ACTIONS) {
      throw new CheckRunInvalid(`Only ${MAX_ACTIONS} actions are allowed; ${input.actions.length} were supplied.`);
    }
    for (const a of input.actions as Array<Record<string, unknown>>) {
      for (const [f, max] of [["label", 20], ["description", 40], ["identifier", 20]] as const) {
        const v = a?.[f];
        if (v === undefined || v === null) throw missing(f);
        if (typeof v !== "string") throw new CheckRunInvalid(`For 'properties/${f}', ${JSON.stringify(v)} is not a string.`);
        if (v.length > max) throw tooLong(max, v.length);
      }
    }
  }
}

/**
 * Create (no `run`) or update a check run from one write, recording the new state
 * in its history. Throws {@link CheckRunInvalid} and changes nothing when GitHub
 * would refuse the write.
 */
export function writeCheckRun(
  state: SimState,
  repo: RepoRecord,
  run: CheckRunRecord | undefined,
  input: CheckRunInput,
  via: "rest" | "graphql",
): CheckRunRecord {
  validate(repo, input, run === undefined);
  const at = now();
  const prev: CheckRunFields = run ?? {
    name: input.name as string,
    status: "queued",
    conclusion: null,
    output: { title: null, summary: null, text: null },
    details_url: null,
    external_id: "",
    actions: [],
    started_at: at,
    completed_at: null,
  };
  // Only the fields: spreading the stored record would copy its history into every snapshot.
  const next: CheckRunFields = {
    name: prev.name,
    status: prev.status,
    conclusion: prev.conclusion,
    output: { ...prev.output },
    details_url: prev.details_url,
    external_id: prev.external_id,
    actions: [...prev.actions],
    started_at: prev.started_at,
    completed_at: prev.completed_at,
  };
  if (input.name !== undefined) next.name = input.name as string;
  if (input.details_url !== undefined) next.details_url = (input.details_url as string | null) ?? null;
  if (input.external_id !== undefined) next.external_id = (input.external_id as string | null) ?? "";
  const startedAt = timestamp("started_at", input.started_at);
  if (startedAt !== undefined) next.started_at = startedAt;
  const completedAt = timestamp("completed_at", input.completed_at);
  if (input.output !== undefined && input.output !== null) {
    const o = input.output as Record<string, string | null | undefined>;
    for (const f of ["title", "summary", "text"] as const) if (o[f] !== undefined) next.output[f] = o[f] ?? null;
  }
  if (input.actions !== undefined) next.actions = ((input.actions ?? []) as CheckRunFields["actions"]).map((a) => ({
    label: a.label,
    description: a.description,
    identifier: a.identifier,
  }));

  if (input.conclusion !== undefined && input.conclusion !== null) {
    // "Providing conclusion will automatically set the status parameter to completed."
    next.status = "completed";
    next.conclusion = input.conclusion as string;
    next.completed_at = completedAt ?? at;
  } else if (input.status !== undefined && input.status !== null && input.status !== "completed") {
    // Moving a run back to queued / in progress re-opens it.
    next.status = input.status as CheckRunFields["status"];
    next.conclusion = null;
    next.completed_at = null;
  }

  const record = run ?? state.newCheckRun(repo, input.head_sha as string, next);
  Object.assign(record, next);
  record.history.push({ ...structuredClone(next), at, via });
  return record;
}
