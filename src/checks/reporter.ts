import type { Logger } from "pino";
import type { GitHub } from "../github/octokit.js";
import type { Metrics } from "../metrics/index.js";
import type { CheckRunState } from "./state.js";
import type { CheckRunStore, PendingCheckRun } from "./store.js";
import { httpStatus } from "../errors.js";

export interface ReporterDeps {
  checks: CheckRunStore;
  github: (installationId: number) => Promise<GitHub>;
  metrics: Metrics;
  log: Logger;
  now: () => number;
  batchSize: number;
}

export interface FlushResult {
  sent: number;
  failed: number;
  /** GitHub requests made (GraphQL batches, REST fallbacks, lookups). */
  requests: number;
}

/** Delay before a failed check-run write is tried again: 2 s, 4 s … 5 min. */
const retryDelayMs = (attempts: number) => Math.min(300_000, 2000 * 2 ** Math.min(attempts, 10));

/**
 * Send every pending check-run state of one installation: the latest desired state
 * of each run only (intermediate states recorded before the send are never sent),
 * many runs per GraphQL request; items GraphQL rejects go over REST one by one;
 * items that still fail (rate limit after retries, 5xx) stay pending with a backoff.
 */
export async function flushCheckRuns(deps: ReporterDeps, installationId: number, signal?: AbortSignal): Promise<FlushResult> {
  const result: FlushResult = { sent: 0, failed: 0, requests: 0 };
  let github: GitHub | undefined;
  for (;;) {
    if (signal?.aborted) break;
    const rows = await deps.checks.pending(installationId, deps.batchSize * 4);
    if (rows.length === 0) break;
    github ??= await deps.github(installationId);
    const batches: PendingCheckRun[][] = [];
    for (let i = 0; i < rows.length; i += deps.batchSize) batches.push(rows.slice(i, i + deps.batchSize));
    const before = result.sent;
    await Promise.all(batches.map((b) => sendBatch(deps, github!, b, result)));
    // Everything in this round failed and was postponed: leave it to a later flush.
    if (result.sent === before) break;
  }
  return result;
}

async function sendBatch(deps: ReporterDeps, github: GitHub, rows: PendingCheckRun[], result: FlushResult): Promise<void> {
  // A create that was sent before a crash may have reached GitHub: find it instead of creating a twin.
  for (const row of rows.filter((r) => !r.github_node_id && r.create_sent)) {
    const found = await findExisting(github, row, result).catch(() => undefined);
    if (found) Object.assign(row, { github_id: found.id, github_node_id: found.nodeId });
  }
  const viaGraphql = rows.filter((r) => r.repo_node_id);
  const viaRest = rows.filter((r) => !r.repo_node_id);
  await deps.checks.markCreateSent(rows.filter((r) => !r.github_node_id).map((r) => r.id));

  if (viaGraphql.length > 0) {
    deps.metrics.checkBatchSize.observe(viaGraphql.length);
    const { document, variables } = buildMutation(viaGraphql);
    let data: Record<string, { checkRun: { id: string; databaseId: number } } | null> = {};
    let failedAliases = new Set<string>();
    let wholeError: unknown;
    result.requests++;
    try {
      data = await github.graphql(document, variables);
    } catch (err) {
      const partial = (err as { data?: typeof data; errors?: { path?: string[] }[] }).data;
      if (partial) {
        data = partial;
        failedAliases = new Set(((err as { errors?: { path?: string[] }[] }).errors ?? []).map((e) => e.path?.[0] ?? ""));
      } else {
        wholeError = err;
      }
      deps.log.warn(
        { err: (err as Error).message, items: viaGraphql.length, failed: partial ? failedAliases.size : viaGraphql.length },
        "check-run batch failed in GraphQL; falling back to REST for the failed items",
      );
    }
    for (const [i, row] of viaGraphql.entries()) {
      const alias = `r${i}`;
      const ok = !wholeError && !failedAliases.has(alias) ? data[alias] : null;
      if (ok) {
        await deps.checks.markSent(row.id, row.desired_version, { id: ok.checkRun.databaseId, nodeId: ok.checkRun.id });
        result.sent++;
      } else viaRest.push(row);
    }
    if (wholeError && isRateLimit(wholeError)) {
      // REST would hit the same limit: postpone the lot.
      for (const row of viaRest.splice(0)) await postpone(deps, row, wholeError, result);
    }
  }
  await Promise.all(viaRest.map((row) => sendRest(deps, github, row, result)));
}

/** One aliased mutation per check run; inputs go in variables, never spliced into the document. */
export function buildMutation(rows: readonly PendingCheckRun[]): { document: string; variables: Record<string, unknown> } {
  const defs: string[] = [];
  const fields: string[] = [];
  const variables: Record<string, unknown> = {};
  rows.forEach((row, i) => {
    const state = JSON.parse(row.desired) as CheckRunState;
    const input: Record<string, unknown> = {
      repositoryId: row.repo_node_id,
      status: state.status.toUpperCase(),
      output: { title: state.title, summary: state.summary },
      actions: state.actions,
      externalId: state.externalId,
    };
    if (state.conclusion) input.conclusion = state.conclusion.toUpperCase();
    if (state.detailsUrl) input.detailsUrl = state.detailsUrl;
    if (row.github_node_id) {
      defs.push(`$i${i}: UpdateCheckRunInput!`);
      fields.push(`r${i}: updateCheckRun(input: $i${i}) { checkRun { id databaseId } }`);
      variables[`i${i}`] = { ...input, checkRunId: row.github_node_id };
    } else {
      defs.push(`$i${i}: CreateCheckRunInput!`);
      fields.push(`r${i}: createCheckRun(input: $i${i}) { checkRun { id databaseId } }`);
      variables[`i${i}`] = { ...input, headSha: row.head_sha, name: row.name };
    }
  });
  return { document: `mutation(${defs.join(", ")}) {\n  ${fields.join("\n  ")}\n}`, variables };
}

async function sendRest(deps: ReporterDeps, github: GitHub, row: PendingCheckRun, result: FlushResult): Promise<void> {
  const state = JSON.parse(row.desired) as CheckRunState;
  const body = {
    owner: row.owner,
    repo: row.repo,
    status: state.status,
    ...(state.conclusion ? { conclusion: state.conclusion } : {}),
    ...(state.detailsUrl ? { details_url: state.detailsUrl } : {}),
    external_id: state.externalId,
    output: { title: state.title, summary: state.summary },
    actions: state.actions,
  };
  result.requests++;
  try {
    const res = row.github_id
      ? await github.rest.checks.update({ ...body, check_run_id: row.github_id })
      : await github.rest.checks.create({ ...body, name: row.name, head_sha: row.head_sha });
    await deps.checks.markSent(row.id, row.desired_version, { id: res.data.id, nodeId: res.data.node_id });
    result.sent++;
  } catch (err) {
    await postpone(deps, row, err, result);
  }
}

async function postpone(deps: ReporterDeps, row: PendingCheckRun, err: unknown, result: FlushResult): Promise<void> {
  const retryAfter = Number((err as { response?: { headers?: Record<string, string> } }).response?.headers?.["retry-after"]);
  const delay = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : retryDelayMs(row.attempts);
  const message = (err as Error).message ?? String(err);
  await deps.checks.markFailed(row.id, message, deps.now() + delay);
  deps.log.warn({ checkRun: row.name, repo: `${row.owner}/${row.repo}`, retryInMs: delay, err: message }, "check run update postponed");
  result.failed++;
}

function isRateLimit(err: unknown): boolean {
  const status = httpStatus(err);
  return status === 429 || (status === 403 && /rate limit/i.test((err as Error).message ?? ""));
}

/** The check run this app created earlier for `row`, matched by name and external id. */
async function findExisting(
  github: GitHub,
  row: PendingCheckRun,
  result: FlushResult,
): Promise<{ id: number; nodeId: string } | undefined> {
  const externalId = (JSON.parse(row.desired) as CheckRunState).externalId;
  result.requests++;
  const res = await github.rest.checks.listForRef({
    owner: row.owner,
    repo: row.repo,
    ref: row.head_sha,
    check_name: row.name,
    filter: "all",
  });
  const run = res.data.check_runs.find((r) => !externalId || r.external_id === externalId);
  return run ? { id: run.id, nodeId: run.node_id } : undefined;
}
