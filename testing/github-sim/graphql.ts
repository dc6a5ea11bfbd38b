/**
 * GitHub's GraphQL API over GitHub's own published schema (`@octokit/graphql-schema`),
 * executed by graphql-js: documents are parsed and validated exactly against what
 * GitHub has (unknown fields, wrong argument types, bad enum values are errors), and
 * the custom scalars parse and serialise their values, refusing what GitHub refuses
 * (a `GitObjectID` that is not a full hex object id, a `URI` that is not absolute, a
 * `DateTime` that is not ISO-8601). Resolvers exist for what the simulator serves:
 * `repository` (its `object`s, owner, default branch) and the check-run mutations.
 *
 * Errors follow GitHub's format: HTTP 200, `errors[]` with `type`, `path`,
 * `locations`, `message`; a failing field (e.g. one aliased mutation) is `null` in
 * `data` while its siblings still run.
 */
import {
  buildClientSchema,
  graphql,
  GraphQLError,
  GraphQLScalarType,
  Kind,
  type ExecutionResult,
  type GraphQLSchema,
  type IntrospectionQuery,
  type ValueNode,
} from "graphql";
import { CheckRunInvalid, writeCheckRun, type CheckRunInput } from "./checks.js";
import { blobSha, nodeId, parseNodeId } from "./ids.js";
import { holds, type Call, type Permission, type Reply, type SimContext } from "./http.js";
import { normalizeRef, type CheckRunRecord, type RepoRecord } from "./state.js";
import { WEB } from "./shapes.js";

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** How each of GitHub's custom scalars reads a value; a refusal is a TypeError, as graphql-js expects. */
const SCALARS: Record<string, (value: unknown) => unknown> = {
  DateTime: (v) => isoDateTime(v, true),
  PreciseDateTime: (v) => isoDateTime(v, false),
  GitTimestamp: (v) => isoDateTime(v, false),
  Date: (v) => matching(v, /^\d{4}-\d{2}-\d{2}$/, "an ISO-8601 date"),
  GitObjectID: (v) => matching(v, /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i, "a full Git object ID").toLowerCase(),
  GitRefname: (v) => matching(v, /^refs\/\S+$/, "a fully qualified reference name"),
  Base64String: (v) => matching(v, /^[A-Za-z0-9+/]*={0,2}$/, "base64"),
  BigInt: (v) => {
    if (typeof v === "number" && Number.isInteger(v)) return String(v);
    return matching(v, /^-?\d+$/, "an integer");
  },
  URI: (v) => {
    const s = matching(v, /^\S+$/, "a URI");
    // RFC 3986: an absolute URI has a scheme; URL() refuses what has none.
    if (!URL.canParse(s)) throw new TypeError(`${JSON.stringify(s)} is not a valid URI`);
    return s;
  },
};

function matching(v: unknown, pattern: RegExp, what: string): string {
  if (typeof v !== "string" || !pattern.test(v)) throw new TypeError(`${JSON.stringify(v)} is not ${what}`);
  return v;
}

/** An ISO-8601 timestamp; `utc` normalises it to GitHub's `…Z` form with second precision. */
function isoDateTime(v: unknown, utc: boolean): string {
  const s = matching(v, ISO_DATE_TIME, "an ISO-8601 encoded date string");
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) throw new TypeError(`${JSON.stringify(s)} is not a valid date`);
  return utc ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z") : s;
}

let loaded: GraphQLSchema | undefined;

/** GitHub's schema, loaded once per process (its introspection JSON builds faster than its SDL, which repeats a field). */
export async function schema(): Promise<GraphQLSchema> {
  if (loaded) return loaded;
  const { schema: published } = await import("@octokit/graphql-schema");
  const json = published.json as unknown as { data?: IntrospectionQuery } & IntrospectionQuery;
  loaded = buildClientSchema(json.data ?? json);
  for (const [name, read] of Object.entries(SCALARS)) {
    const type = loaded.getType(name);
    if (!(type instanceof GraphQLScalarType)) throw new Error(`GitHub's schema has no scalar ${name}`);
    type.serialize = read;
    type.parseValue = read;
    type.parseLiteral = (node: ValueNode) => {
      const literal = node.kind === Kind.STRING || (node.kind === Kind.INT && name === "BigInt");
      if (!literal) throw new TypeError(`${name} cannot represent a ${node.kind} literal`);
      return read(node.value);
    };
  }
  return loaded;
}

/** An error GitHub reports with a `type` (NOT_FOUND, UNPROCESSABLE, FORBIDDEN…). */
class TypedError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

interface Ctx {
  sim: SimContext;
  installationId: number;
}

/** GitHub's FORBIDDEN error for a field the installation's permissions do not cover. */
function permitted(ctx: Ctx, permission: Permission): void {
  if (!holds(ctx.sim, permission)) throw new TypedError("FORBIDDEN", "Resource not accessible by integration");
}

/** Responses are plain objects; `__typename` lets graphql-js resolve interfaces. */
function repositoryValue(ctx: Ctx, repo: RepoRecord) {
  const full = `${repo.owner.login}/${repo.name}`;
  return {
    __typename: "Repository",
    id: repo.node_id,
    databaseId: repo.id,
    name: repo.name,
    nameWithOwner: full,
    owner: {
      __typename: repo.owner.type === "Organization" ? "Organization" : "User",
      id: nodeId(repo.owner.type, repo.owner.id),
      login: repo.owner.login,
      url: `${WEB}/${repo.owner.login}`,
      databaseId: repo.owner.id,
    },
    isPrivate: repo.private,
    url: `${WEB}/${full}`,
    defaultBranchRef: {
      id: `${repo.node_id}:${repo.defaultBranch}`,
      name: repo.defaultBranch,
      prefix: "refs/heads/",
      target: () => commit(ctx, repo, repo.defaultBranch, () => repositoryValue(ctx, repo)),
    },
    object: (args: { expression?: string | null; oid?: string | null }) => {
      permitted(ctx, ["contents", "read"]);
      return gitObject(ctx, repo, args);
    },
  };
}

/** A bare revision names a commit: a sha the repository has, or a branch or tag it has. */
function commit(ctx: Ctx, repo: RepoRecord, rev: string, self: () => unknown) {
  const oid = ctx.sim.state.commitOf(repo, rev || undefined);
  if (oid === undefined) return null;
  return {
    __typename: "Commit",
    id: Buffer.from(`06:Commit${oid}`).toString("base64"),
    oid,
    abbreviatedOid: oid.slice(0, 7),
    repository: self,
  };
}

/** `object(expression: "<ref>:<path>")` → Blob or Tree; a missing path is `null`, not an error, as on GitHub. */
function gitObject(ctx: Ctx, repo: RepoRecord, args: { expression?: string | null; oid?: string | null }) {
  const { state } = ctx.sim;
  const self = () => repositoryValue(ctx, repo);
  const blob = (text: string) => {
    const oid = blobSha(text);
    const isBinary = text.includes("\0");
    return {
      __typename: "Blob",
      id: Buffer.from(`04:Blob${oid}`).toString("base64"),
      oid,
      abbreviatedOid: oid.slice(0, 7),
      repository: self,
      byteSize: Buffer.byteLength(text),
      isBinary,
      isTruncated: false,
      text: isBinary ? null : text,
    };
  };
  if (args.oid) {
    for (const layer of repo.files.values()) {
      for (const content of layer.values()) if (content !== null && blobSha(content) === args.oid) return blob(content);
    }
    return null;
  }
  const expression = args.expression ?? "";
  const colon = expression.indexOf(":");
  // A bare revision names a commit: any full sha, or a branch the repository has.
  if (colon < 0) return commit(ctx, repo, expression, self);
  const rev = expression.slice(0, colon) || undefined;
  // `<rev>:<path>` at a revision the repository does not have is null, as on GitHub.
  if (state.commitOf(repo, rev) === undefined) return null;
  const ref = normalizeRef(repo, rev);
  const path = expression.slice(colon + 1).replace(/^\/+|\/+$/g, "");
  const content = path ? state.file(repo, ref, path) : undefined;
  if (content !== undefined) return blob(content);
  const prefix = path ? `${path}/` : "";
  const entries = new Map<string, { name: string; path: string; type: string; oid: string; mode: number }>();
  for (const p of state.paths(repo, ref)) {
    if (!p.startsWith(prefix)) continue;
    const [name, ...rest] = p.slice(prefix.length).split("/") as [string, ...string[]];
    const isTree = rest.length > 0;
    const full = prefix + name;
    entries.set(name, {
      name,
      path: full,
      type: isTree ? "tree" : "blob",
      oid: isTree ? blobSha(`tree ${full}`) : blobSha(state.file(repo, ref, full) ?? ""),
      mode: isTree ? 0o40000 : 0o100644,
    });
  }
  if (entries.size === 0 && path) return null;
  const oid = blobSha(`tree ${path}`);
  return {
    __typename: "Tree",
    id: Buffer.from(`04:Tree${oid}`).toString("base64"),
    oid,
    abbreviatedOid: oid.slice(0, 7),
    repository: self,
    entries: [...entries.values()],
  };
}

function checkRunValue(ctx: Ctx, run: CheckRunRecord, repo: RepoRecord) {
  const html = `${WEB}/${repo.owner.login}/${repo.name}/runs/${run.id}`;
  return {
    id: run.node_id,
    databaseId: run.id,
    name: run.name,
    status: run.status.toUpperCase(),
    conclusion: run.conclusion?.toUpperCase() ?? null,
    detailsUrl: run.details_url,
    externalId: run.external_id,
    startedAt: run.started_at,
    completedAt: run.completed_at,
    title: run.output.title,
    summary: run.output.summary,
    text: run.output.text,
    permalink: html,
    url: html,
    repository: () => repositoryValue(ctx, repo),
  };
}

/** The repository behind a node id, if this installation can write to it. */
function repoByNodeId(ctx: Ctx, id: string): RepoRecord {
  const parsed = parseNodeId(id);
  const repo = parsed?.type === "Repository" ? ctx.sim.state.repoById(parsed.id) : undefined;
  if (!repo || repo.installationId !== ctx.installationId) {
    throw new TypedError("NOT_FOUND", `Could not resolve to a node with the global id of '${id}'`);
  }
  return repo;
}

type GqlInput = Record<string, unknown>;

/** GraphQL input → the API-neutral check-run write (enums lower-cased, names snake-cased). */
function toCheckRunInput(input: GqlInput): CheckRunInput {
  const out: CheckRunInput = {};
  const map: Array<[string, keyof CheckRunInput]> = [
    ["name", "name"],
    ["headSha", "head_sha"],
    ["detailsUrl", "details_url"],
    ["externalId", "external_id"],
    ["startedAt", "started_at"],
    ["completedAt", "completed_at"],
    ["output", "output"],
    ["actions", "actions"],
  ];
  for (const [from, to] of map) if (input[from] !== undefined) out[to] = input[from];
  if (typeof input.status === "string") out.status = input.status.toLowerCase();
  if (typeof input.conclusion === "string") out.conclusion = input.conclusion.toLowerCase();
  return out;
}

function write(ctx: Ctx, repo: RepoRecord, run: CheckRunRecord | undefined, input: GqlInput) {
  permitted(ctx, ["checks", "write"]);
  try {
    const record = writeCheckRun(ctx.sim.state, repo, run, toCheckRunInput(input), "graphql");
    return { checkRun: checkRunValue(ctx, record, repo), clientMutationId: input.clientMutationId ?? null };
  } catch (e) {
    if (e instanceof CheckRunInvalid) throw new TypedError("UNPROCESSABLE", e.detail);
    throw e;
  }
}

const rootValue = {
  repository: (args: { owner: string; name: string }, ctx: Ctx) => {
    const repo = ctx.sim.state.repo(args.owner, args.name);
    if (!repo || repo.installationId !== ctx.installationId) {
      throw new TypedError("NOT_FOUND", `Could not resolve to a Repository with the name '${args.owner}/${args.name}'.`);
    }
    return repositoryValue(ctx, repo);
  },
  createCheckRun: ({ input }: { input: GqlInput }, ctx: Ctx) => write(ctx, repoByNodeId(ctx, String(input.repositoryId)), undefined, input),
  updateCheckRun: ({ input }: { input: GqlInput }, ctx: Ctx) => {
    const repo = repoByNodeId(ctx, String(input.repositoryId));
    const id = String(input.checkRunId);
    const parsed = parseNodeId(id);
    const run = parsed?.type === "CheckRun" ? ctx.sim.state.checkRuns.get(parsed.id) : undefined;
    if (!run || run.repoId !== repo.id) throw new TypedError("NOT_FOUND", `Could not resolve to a node with the global id of '${id}'`);
    return write(ctx, repo, run, input);
  },
};

/** GitHub's error entry: `type` first when known, then `path`, `locations`, `message`. */
function githubError(e: GraphQLError) {
  const type = e.originalError instanceof TypedError ? e.originalError.type : undefined;
  return {
    ...(type ? { type } : {}),
    ...(e.path ? { path: e.path } : {}),
    ...(e.locations ? { locations: e.locations } : {}),
    message: e.message,
  };
}

/** `POST /graphql` for an installation. */
export async function handleGraphql(call: Call, sim: SimContext): Promise<Reply> {
  const body = (call.body ?? {}) as { query?: unknown; variables?: unknown; operationName?: unknown };
  if (typeof body.query !== "string") {
    return {
      status: 400,
      body: { message: "A query attribute must be specified and must be a string.", documentation_url: "https://docs.github.com/graphql" },
    };
  }
  const result: ExecutionResult = await graphql({
    schema: await schema(),
    source: body.query,
    rootValue,
    contextValue: { sim, installationId: call.installationId! } satisfies Ctx,
    variableValues: (body.variables as Record<string, unknown> | undefined) ?? null,
    operationName: typeof body.operationName === "string" ? body.operationName : null,
  });
  // A bug in the simulator (a resolver failing, a value its scalar refuses) must not
  // pass for a GitHub error answer; errors without a path are the request's own (validation).
  const unexpected = result.errors
    ?.map((e) => (e.path ? e.originalError : undefined))
    .find((err) => err !== undefined && !(err instanceof TypedError) && !(err instanceof GraphQLError));
  if (unexpected) throw unexpected;
  return {
    status: 200,
    body: {
      ...(result.data !== undefined ? { data: result.data } : {}),
      ...(result.errors ? { errors: result.errors.map(githubError) } : {}),
    },
  };
}
