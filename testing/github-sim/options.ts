/** The simulator's options and the shapes of its set-up and inspection API. */
import type { RouteGroup } from "./http.js";
import type { installationJson, repoJson } from "./shapes.js";
import type { Account, PullFile } from "./state.js";

export interface GitHubSimOptions {
  /** Delay before every answer, in ms (also settable later through `sim.latencyMs`). */
  latencyMs?: number;
  appId?: number;
  appSlug?: string;
  /** Requests per hour per credential and resource before GitHub's primary limit answers (default 5000). */
  rateLimit?: number;
  /** Port on 127.0.0.1; 0 or absent: any free port. */
  port?: number;
  /** What the App's installations are granted (default: what this project's app.yml asks for). */
  permissions?: Record<string, string>;
}

/** One request the simulator answered. */
export interface SimRequest {
  method: string;
  path: string;
  group: RouteGroup;
  status: number;
  /** Epoch ms when it arrived. */
  at: number;
  /** Time to answer, including injected latency. */
  ms: number;
  installationId?: number;
}

/** A repository as `GET /repos/{owner}/{repo}` shows it, plus its installation (for payload builders). */
export type SimRepo = ReturnType<typeof repoJson> & { installationId: number };
/** An installation as `GET /app/installations/{id}` shows it. */
export type SimInstallation = ReturnType<typeof installationJson>;

export interface AddRepoOptions {
  /** The installation that can read it; absent: none (someone's fork the App is not installed on). */
  installationId?: number;
  owner: string;
  name: string;
  defaultBranch?: string;
  /** Files present at every ref. */
  files?: Record<string, string>;
  /** Files per ref (branch or sha), over `files`; `null` hides a `files` entry at that ref. */
  filesAtRef?: Record<string, Record<string, string | null>>;
  private?: boolean;
  /** The head commit of the default branch (default: a random sha). */
  headSha?: string;
  /** A fork (the head repository of fork pull requests). */
  fork?: boolean;
}

export interface AddPullRequestOptions {
  owner: string;
  repo: string;
  number: number;
  headSha: string;
  headRef?: string;
  baseRef?: string;
  baseSha?: string;
  author?: string;
  title?: string;
  state?: "open" | "closed";
  /** What `GET /pulls/{n}/files` lists. */
  files?: PullFile[];
  draft?: boolean;
  /** A pull request from a fork: the fork (added with `addRepo({fork: true})`) its head branch lives in. */
  headRepo?: { owner: string; name: string };
}

/** An installation as the inspector shows it, including lifecycle flags the API hides. */
export interface InstallationView {
  id: number;
  account: Account;
  created_at: string;
  updated_at: string;
  suspended_at: string | null;
  suspended_by: string | null;
  deleted: boolean;
  deleted_at: string | null;
  /** `owner/name` of its repositories. */
  repositories: string[];
}
