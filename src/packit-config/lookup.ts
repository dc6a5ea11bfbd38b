/**
 * Find a repository's Packit config at a ref with exactly one GitHub GraphQL
 * request: every accepted file name is asked for at once (aliased `object`
 * fields), and the first that exists in Packit's priority order wins.
 */
import { ConfigError, PermanentCondition } from "../errors.js";

/** Config file names Packit accepts, in its priority order (packit.dev/docs/configuration). */
export const CONFIG_FILE_NAMES = [".packit.yaml", ".packit.yml", "packit.yaml", "packit.yml"] as const;

/** `commitSha`: the commit the ref resolved to (a release event names only its tag). */
export type ConfigLookup = ({ kind: "present"; path: string; blobSha: string; text: string } | { kind: "absent" }) & { commitSha: string };

/** The part of an Octokit client the lookup uses. */
export interface GraphqlClient {
  graphql: (query: string, vars?: Record<string, unknown>) => Promise<unknown>;
}

/**
 * The config file exists but its content cannot be read as text: GitHub flags it
 * binary, or truncated the text because the file is too large. It is an invalid
 * config (not an absent one, not a lookup failure).
 */
export class UnreadableConfigError extends ConfigError {
  constructor(
    readonly path: string,
    readonly blobSha: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** The repository cannot be read with the installation's token, or no longer exists. */
class RepositoryUnreachable extends PermanentCondition {}

/**
 * The permanent part of a failed lookup: GitHub's `NOT_FOUND` for the repository
 * (not visible to the installation, or deleted), or a 404 for the installation
 * token (the installation is gone). Anything else may pass and is left as it is.
 */
function permanentCause(err: unknown, where: { owner: string; repo: string }): RepositoryUnreachable | undefined {
  const e = err as { errors?: Array<{ type?: string; path?: unknown[] }>; status?: number; request?: { url?: string } };
  if (e.errors?.some((x) => x.type === "NOT_FOUND" && x.path?.[0] === "repository")) {
    return new RepositoryUnreachable(`repository ${where.owner}/${where.repo} is not readable by the App or no longer exists`, {
      cause: err,
    });
  }
  if (e.status === 404 && /\/access_tokens$/.test(e.request?.url ?? "")) {
    return new RepositoryUnreachable(`the installation of ${where.owner}/${where.repo} no longer exists`, { cause: err });
  }
  return undefined;
}

const QUERY = `query PackitConfigLookup($owner: String!, $name: String!, $ref: String!, ${CONFIG_FILE_NAMES.map((_, i) => `$e${i}: String!`).join(", ")}) {
  repository(owner: $owner, name: $name) {
    ref: object(expression: $ref) { oid ... on Tag { target { oid } } }
${CONFIG_FILE_NAMES.map((_, i) => `    c${i}: object(expression: $e${i}) { ... on Blob { oid text byteSize isTruncated isBinary } }`).join("\n")}
  }
}`;

interface BlobAnswer {
  oid?: string;
  text?: string | null;
  byteSize?: number;
  isTruncated?: boolean;
  isBinary?: boolean | null;
}

/**
 * Look the config up at `where.ref` (a commit SHA, branch or tag).
 *
 * - `present`: the highest-priority file that is a blob, with its text and blob SHA.
 * - `absent`: the ref exists and none of the names is a file there.
 * - throws `UnreadableConfigError` (a `ConfigError`) when that file is binary or
 *   its text was truncated by GitHub: present but invalid;
 * - throws `RepositoryUnreachable` (a `PermanentCondition`) when GitHub says the
 *   repository is not there for this installation, or the installation is gone;
 * - throws any other error when the answer cannot tell: a GraphQL or transport
 *   error, or a ref that does not resolve. Callers must treat these as "unknown",
 *   never as absent.
 */
export async function lookupConfig(github: GraphqlClient, where: { owner: string; repo: string; ref: string }): Promise<ConfigLookup> {
  // `<ref>:<path>` is parsed by GitHub; a ':' in the ref would shift the path.
  if (where.ref === "" || where.ref.includes(":")) throw new Error(`invalid ref ${JSON.stringify(where.ref)}`);
  const vars: Record<string, unknown> = { owner: where.owner, name: where.repo, ref: where.ref };
  CONFIG_FILE_NAMES.forEach((file, i) => (vars[`e${i}`] = `${where.ref}:${file}`));

  let answer: { repository?: Record<string, (BlobAnswer & { target?: { oid?: string } }) | null> | null } | null;
  try {
    answer = (await github.graphql(QUERY, vars)) as typeof answer;
  } catch (err) {
    throw permanentCause(err, where) ?? err;
  }
  const repository = answer?.repository;
  if (!repository) throw new Error(`repository ${where.owner}/${where.repo} not found or not accessible`);
  if (!repository.ref?.oid) throw new Error(`ref ${where.ref} not found in ${where.owner}/${where.repo}`);
  // An annotated tag is an object of its own; the commit is its target.
  const commitSha = repository.ref.target?.oid ?? repository.ref.oid;

  for (const [i, path] of CONFIG_FILE_NAMES.entries()) {
    const blob = repository[`c${i}`];
    // A tree (a directory with that name) answers `{}`: not a config.
    if (!blob?.oid) continue;
    if (blob.isBinary) throw new UnreadableConfigError(path, blob.oid, "the config is a binary file");
    if (blob.isTruncated || typeof blob.text !== "string") {
      throw new UnreadableConfigError(path, blob.oid, `the config is too large to read (${blob.byteSize ?? "?"} bytes)`);
    }
    return { kind: "present", path, blobSha: blob.oid, text: blob.text, commitSha };
  }
  return { kind: "absent", commitSha };
}
