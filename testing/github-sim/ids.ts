import { createHash, randomBytes } from "node:crypto";

/**
 * A GitHub global node ID in the legacy format GitHub still accepts everywhere:
 * base64 of `0<len(type)>:<Type><databaseId>`, e.g. `MDEwOlJlcG9zaXRvcnkxMjM=` for
 * Repository 123. Decodable, so GraphQL inputs can be mapped back to records.
 */
export function nodeId(type: string, id: number): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString("base64");
}

/** The inverse of {@link nodeId}; undefined for anything that is not one. */
export function parseNodeId(id: string): { type: string; id: number } | undefined {
  const decoded = Buffer.from(id, "base64").toString("utf8");
  const m = /^0(\d+):([A-Za-z]+?)(\d+)$/.exec(decoded);
  if (!m || Number(m[1]) !== m[2]!.length) return undefined;
  return { type: m[2]!, id: Number(m[3]) };
}

/**
 * A database id derived from a key, so that the simulator and the payload builders
 * agree on ids without sharing state.
 */
export function stableId(key: string): number {
  return parseInt(createHash("sha1").update(key).digest("hex").slice(0, 8), 16) + 1000;
}

/** A user's id (GitHub user ids never change for a login, which is case-insensitive). */
export function userIdFor(login: string): number {
  return stableId(`user:${login.toLowerCase()}`);
}

/**
 * A pull request's database id, derived from its repository and number so that the
 * simulator and the payload builders agree.
 */
export function pullRequestId(repoId: number, number: number): number {
  return repoId * 10_000 + number;
}

/** Git's blob object id: sha1 of `blob <byte length>\0<content>`. */
export function blobSha(content: string): string {
  const body = Buffer.from(content, "utf8");
  return createHash("sha1").update(`blob ${body.length}\0`).update(body).digest("hex");
}

/** A random 40-hex commit sha (tests and the demo need many distinct heads). */
export function randomSha(): string {
  return randomBytes(20).toString("hex");
}

/** True for a full 40-hex commit sha, the only form check runs accept as `head_sha`. */
export function isFullSha(s: unknown): s is string {
  return typeof s === "string" && /^[0-9a-f]{40}$/i.test(s);
}
