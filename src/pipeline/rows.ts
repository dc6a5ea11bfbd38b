import type { BackendName } from "../backends/types.js";
import type { JobState } from "./job-state.js";

/** The rows and inputs of the pipeline store (`store.ts`). */

export type Trigger = "pull_request" | "push" | "release";

/** A repository as the app knows it. */
export interface RepoRow {
  id: number;
  installation_id: number;
  owner: string;
  name: string;
  node_id: string | null;
  default_branch: string | null;
  clone_url: string | null;
  /** 1 private, 0 public, null not known yet (shown only to those who can read it). */
  private: number | null;
}

export interface PipelineRow {
  id: number;
  repo_id: number;
  installation_id: number;
  trigger: Trigger;
  pr_number: number | null;
  branch: string | null;
  head_sha: string;
  before_sha: string | null;
  /** Where the head is cloned from when not the repository itself (a fork's pull request). */
  source_clone_url: string | null;
  delivery_id: string | null;
  created_at: number;
  superseded_by: number | null;
  /** GitHub's time of the event that made it (epoch ms; the order of heads when `before` does not link them). */
  event_at: number | null;
}

export interface JobRow {
  id: number;
  token: string;
  pipeline_id: number;
  /** The pipeline's repository (copied: the "busy project" count reads it without a join). */
  repo_id: number | null;
  key: string;
  type: string;
  backend: BackendName;
  target: string;
  depends_on: number | null;
  state: JobState;
  submit_attempted: number;
  /** 1: the backend answered the last sent submission (with an error), so none of it is still in flight. */
  submit_answered: number;
  external_id: string | null;
  url: string | null;
  message: string | null;
  artifacts: string | null;
  options: string;
  manual_trigger: number;
  cancel_superseded: number;
  cancel_reason: string | null;
  ignore_result: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  /** When it was first submitted to its backend. */
  started_at: number | null;
  /** The job this one runs again (a re-run). */
  rerun_of: number | null;
  /** Cancelled: the backend time it did not use, estimated (see `savingEstimate`); null when nothing went by. */
  saved_ms: number | null;
  saved_basis: string | null;
}

/** What an event tells about a repository; fields it lacks keep what is stored. */
export interface RepoFacts {
  id: number;
  installationId: number;
  owner: string;
  name: string;
  nodeId?: string | null;
  defaultBranch?: string | null;
  cloneUrl?: string | null;
  private?: boolean | null;
}

/** One state a job entered. */
export interface JobEvent {
  at: number;
  state: JobState;
  message: string | null;
}

/** A job with the pipeline and repository it belongs to: what handlers usually need. */
export interface JobInContext {
  job: JobRow;
  pipeline: PipelineRow;
  repo: RepoRow;
}

/** What the previous-head lookup reads of a pipeline: no more. */
export type LinePipeline = Pick<PipelineRow, "id" | "head_sha" | "before_sha" | "created_at" | "event_at">;

/** A PR (by number) or a branch and trigger: the line of heads one after another. */
export interface Line {
  repoId: number;
  trigger: Trigger;
  prNumber?: number | null;
  branch?: string | null;
}

export interface NewJob {
  key: string;
  type: string;
  backend: BackendName;
  target: string;
  /** Key of the job in the same pipeline this one waits for. */
  after?: string;
  /** A job of an earlier pipeline this one waits for (re-runs of tests after a build that succeeded). */
  dependsOnJobId?: number;
  options: Record<string, unknown>;
  manualTrigger: boolean;
  cancelSuperseded: boolean;
  /** The job this one runs again. */
  rerunOf?: number;
}

/** What a job transition may set besides the state. */
export type JobFields = {
  externalId?: string;
  url?: string | null;
  message?: string | null;
  artifacts?: Record<string, unknown>;
  cancelReason?: string;
  ignoreResult?: boolean;
  /** Only from this state (a claim: of two concurrent callers that saw it, one wins). Default: whatever it is now. */
  from?: JobState;
};
