/**
 * Check-run writes, shared by REST and GraphQL so both APIs change the same
 * records under the same rules. The shape of a write is checked before (GitHub's
 * REST description, GitHub's GraphQL schema); what is here are GitHub's rules beyond
 * it, in GitHub's words.
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

const ACTIONS_ONLY_STATUSES = ["waiting", "requested", "pending"];
/** What an App may conclude; GraphQL's enum also has STARTUP_FAILURE, which only GitHub Actions sets. */
const CONCLUSIONS = ["action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"];
const MAX_ACTIONS = 3;
const MAX_TEXT = 65535;
/** "The Checks API limits the number of annotations to a maximum of 50 per API request." */
const MAX_ANNOTATIONS = 50;

const missing = (field: string) => new CheckRunInvalid(`"${field}" wasn't supplied.`, true, field);
const tooLong = (max: number, got: number) => new CheckRunInvalid(`Only ${max} characters are allowed; ${got} were supplied.`);

/** GitHub answers with second precision in UTC whatever the caller sent (the schemas checked the format). */
function timestamp(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return value;
  return new Date(value as string).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * GitHub's rules beyond the shape of a write (REST's JSON schema and GraphQL's types
 * have checked that before): the limits GraphQL's types do not carry, and what
 * depends on the repository or on other fields.
 */
function validate(repo: RepoRecord, input: CheckRunInput, creating: boolean): void {
  // Only a commit the repository has: a branch name or an unknown sha is refused.
  if (creating && (!isFullSha(input.head_sha) || !repo.commits.has(input.head_sha.toLowerCase()))) {
    throw new CheckRunInvalid(`No commit found for SHA: ${String(input.head_sha)}`, false, "head_sha");
  }
  if (typeof input.name === "string" && input.name.trim() === "")
    throw new CheckRunInvalid(`For 'properties/name', "" is not a non-empty string.`);
  if (ACTIONS_ONLY_STATUSES.includes(String(input.status))) {
    throw new CheckRunInvalid("Only GitHub Actions can set a status of waiting, pending, or requested.", false);
  }
  const concluding = input.conclusion !== undefined && input.conclusion !== null;
  if (concluding) {
    if (!CONCLUSIONS.includes(String(input.conclusion))) {
      throw new CheckRunInvalid(
        `For 'properties/conclusion', ${JSON.stringify(input.conclusion)} is not one of ${JSON.stringify(CONCLUSIONS)}.`,
      );
    }
    if (input.conclusion === "stale") {
      throw new CheckRunInvalid("You cannot change a check run conclusion to stale, only GitHub can set this.", false);
    }
  } else if (input.status === "completed" || (input.completed_at !== undefined && input.completed_at !== null)) {
    // "Required if you provide completed_at or a status of completed."
    throw missing("conclusion");
  }

  const output = (input.output ?? {}) as { summary?: unknown; text?: unknown; annotations?: unknown };
  for (const v of [output.summary, output.text]) if (typeof v === "string" && v.length > MAX_TEXT) throw tooLong(MAX_TEXT, v.length);
  if (Array.isArray(output.annotations) && output.annotations.length > MAX_ANNOTATIONS) {
    throw new CheckRunInvalid(`Only ${MAX_ANNOTATIONS} annotations are allowed; ${output.annotations.length} were supplied.`);
  }

  const actions = Array.isArray(input.actions) ? (input.actions as Array<Record<string, unknown>>) : [];
  if (actions.length > MAX_ACTIONS) throw new CheckRunInvalid(`Only ${MAX_ACTIONS} actions are allowed; ${actions.length} were supplied.`);
  for (const a of actions) {
    for (const [f, max] of [
      ["label", 20],
      ["description", 40],
      ["identifier", 20],
    ] as const) {
      const v = a[f];
      if (typeof v === "string" && v.length > max) throw tooLong(max, v.length);
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
  const startedAt = timestamp(input.started_at);
  if (startedAt !== undefined) next.started_at = startedAt;
  const completedAt = timestamp(input.completed_at);
  if (input.output !== undefined && input.output !== null) {
    const o = input.output as Record<string, string | null | undefined>;
    for (const f of ["title", "summary", "text"] as const) if (o[f] !== undefined) next.output[f] = o[f] ?? null;
  }
  if (input.actions !== undefined)
    next.actions = ((input.actions ?? []) as CheckRunFields["actions"]).map((a) => ({
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
