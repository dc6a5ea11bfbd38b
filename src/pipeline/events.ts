import type { Context } from "probot";
import type { z } from "zod";
import type { TouchedPaths } from "../packit-config/cache.js";
import { pathsTouchedByPush } from "../packit-config/cache.js";
import type { pullRequestPayload, pushPayload, releasePayload } from "../webhooks/payloads.js";
import type { Trigger } from "./store.js";

/** A repository as payloads describe it. */
interface RepoRef {
  id: number;
  owner: string;
  name: string;
  nodeId: string | null;
  defaultBranch: string;
  cloneUrl: string;
  /** Whether only those who can read it may see it (the dashboard); undefined when the payload does not say. */
  private?: boolean;
}

/** A push, pull request or release event reduced to what the pipeline needs. */
export interface TriggerEvent {
  deliveryId: string;
  installationId: number;
  repo: RepoRef;
  trigger: Trigger;
  prNumber?: number;
  /** Branch pushed to, or the PR's base branch. */
  branch?: string;
  headSha: string;
  /** The previous head (push and pull_request.synchronize). */
  beforeSha?: string;
  /** GitHub's time of the event (epoch ms): `pull_request.updated_at`, a push's `repository.pushed_at`. */
  eventAt?: number;
  /** A pull request from a fork: the fork's clone URL (its head commit is not in the base repository's branches). */
  sourceCloneUrl?: string;
  labels: string[];
  /** The ref whose config answer the cache keeps (branch, or PR head branch/sha). */
  configRef: string;
  touched: TouchedPaths;
  sender: string;
  /** Who opened the pull request: whether its jobs wait for approval depends on their permission. */
  author?: string;
}

/** Payloads as GitHub's published webhook types describe them, with what `webhooks/payloads.ts` checked. */
export type PushPayload = Context<"push">["payload"] & z.infer<typeof pushPayload>;
export type PullRequestPayload = Context<"pull_request.opened" | "pull_request.reopened" | "pull_request.synchronize">["payload"] &
  z.infer<typeof pullRequestPayload>;
export type ReleasePayload = Context<"release.published">["payload"] & z.infer<typeof releasePayload>;

/** The repository fields every trigger payload has (checked by the payload schemas). */
interface PayloadRepository {
  id: number;
  name: string;
  full_name: string;
  owner: { login: string } | null;
  node_id?: string;
  default_branch?: string;
  clone_url?: string;
  private?: boolean;
}

function repoRef(p: { repository: PayloadRepository }): RepoRef {
  const r = p.repository;
  return {
    id: r.id,
    owner: r.owner?.login ?? r.full_name.split("/")[0]!,
    name: r.name,
    nodeId: r.node_id ?? null,
    defaultBranch: r.default_branch ?? "main",
    cloneUrl: r.clone_url ?? `https://github.com/${r.full_name}.git`,
    ...(typeof r.private === "boolean" ? { private: r.private } : {}),
  };
}

const ZERO_SHA = /^0+$/;

/** A push to a branch, or null for what the pipeline ignores (tags, branch deletion). */
export function triggerFromPush(deliveryId: string, p: PushPayload): TriggerEvent | null {
  if (p.deleted || !p.after || ZERO_SHA.test(p.after)) return null;
  if (typeof p.ref !== "string" || !p.ref.startsWith("refs/heads/")) return null;
  const branch = p.ref.slice("refs/heads/".length);
  return {
    deliveryId,
    installationId: p.installation?.id,
    repo: repoRef(p),
    trigger: "push",
    branch,
    headSha: p.after,
    beforeSha: p.before && !ZERO_SHA.test(p.before) ? p.before : undefined,
    eventAt: epochMs((p.repository as { pushed_at?: unknown }).pushed_at),
    labels: [],
    configRef: branch,
    touched: pathsTouchedByPush(p),
    sender: p.sender?.login ?? "unknown",
  };
}

/**
 * A pull_request opened / reopened / synchronize event. The config is always read at
 * the PR head (one GraphQL request): the payload does not list the files the PR
 * changes, and a PR that adds or edits .packit.yaml must run with that file.
 */
export function triggerFromPullRequest(deliveryId: string, p: PullRequestPayload): TriggerEvent {
  const pr = p.pull_request;
  return {
    deliveryId,
    installationId: p.installation?.id,
    repo: repoRef(p),
    trigger: "pull_request",
    prNumber: pr.number ?? p.number,
    branch: pr.base?.ref,
    headSha: pr.head.sha,
    beforeSha: p.action === "synchronize" ? p.before : undefined,
    eventAt: epochMs(pr.updated_at),
    sourceCloneUrl: forkCloneUrl(pr, p.repository?.id),
    labels: (pr.labels ?? []).map((l: { name: string }) => l.name),
    configRef: `pr/${pr.number ?? p.number}`,
    touched: "unknown",
    sender: p.sender?.login ?? "unknown",
    ...(pr.user?.login ? { author: pr.user.login } : {}),
  };
}

/** A payload time as epoch ms: an ISO string, or unix seconds (push payloads); undefined when absent or unreadable (pure). */
function epochMs(at: unknown): number | undefined {
  const ms = typeof at === "number" ? at * 1000 : typeof at === "string" ? Date.parse(at) : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

/** The clone URL of a pull request's head repository when it is a fork (pure). */
export function forkCloneUrl(
  pr: { head?: { repo?: { id?: number; clone_url?: string } | null } },
  baseRepoId: number | undefined,
): string | undefined {
  const head = pr.head?.repo;
  return head && head.id !== baseRepoId && typeof head.clone_url === "string" ? head.clone_url : undefined;
}

export function triggerFromRelease(deliveryId: string, p: ReleasePayload): TriggerEvent | null {
  const rel = p.release;
  if (!rel?.tag_name) return null;
  return {
    deliveryId,
    installationId: p.installation?.id,
    repo: repoRef(p),
    trigger: "release",
    branch: rel.target_commitish,
    // The tag's commit is not in the payload; the tag name resolves to it for the config lookup.
    headSha: rel.tag_name,
    labels: [],
    configRef: `tag/${rel.tag_name}`,
    touched: "unknown",
    sender: p.sender?.login ?? "unknown",
  };
}
