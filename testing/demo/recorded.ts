/** The replay tool's input (`replay.ts`): recorded deliveries read from a directory or octokit's examples, and the simulated GitHub prepared so they refer to what exists. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { GitHubSim, SimRepo } from "../github-sim/index.js";
import { learn, type Facts } from "../github-sim/known.js";

/** Recorded payloads are arbitrary JSON; fields are checked where they are read. */
export type Payload = Record<string, unknown>;

export type Recorded = { file: string; event: string; payload: Payload } | { file: string; problem: string };

const isObject = (v: unknown): v is Payload => typeof v === "object" && v !== null && !Array.isArray(v);
/** The object at `v`, or an empty one when the recording has something else there. */
export const obj = (v: unknown): Payload => (isObject(v) ? v : {});
export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
const objects = (v: unknown): Payload[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** Where `@octokit/webhooks-examples` keeps GitHub.com's examples: `[{name, actions, examples: [payload…]}…]`. */
const OCTOKIT_EXAMPLES = join("api.github.com", "index.json");

/** The folder of the installed `@octokit/webhooks-examples` package. */
export function octokitExamplesDir(): string {
  return dirname(createRequire(import.meta.url).resolve("@octokit/webhooks-examples/package.json"));
}

/**
 * The deliveries of a folder, in file-name order; files that cannot be read say why.
 * A folder laid out like `@octokit/webhooks-examples` (`api.github.com/index.json`)
 * gives every example of every event, named `<event>[<n>]`.
 */
export function readDeliveries(dir: string): Recorded[] {
  if (existsSync(join(dir, OCTOKIT_EXAMPLES))) return readOctokitExamples(join(dir, OCTOKIT_EXAMPLES));
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort();
  return files.map((file): Recorded => {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(join(dir, file), "utf8"));
    } catch (err) {
      return { file, problem: `not JSON: ${(err as Error).message}` };
    }
    if (isObject(json) && typeof json.name === "string" && isObject(json.payload)) return { file, event: json.name, payload: json.payload };
    const parts = file.slice(0, -".json".length).split(".");
    if (parts.length >= 2 && isObject(json)) return { file, event: parts.at(-1)!, payload: json };
    return { file, problem: 'cannot tell the event: name the file "<name>.<event>.json" or write {"name": "<event>", "payload": {…}}' };
  });
}

function readOctokitExamples(file: string): Recorded[] {
  const index: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (!Array.isArray(index)) return [{ file, problem: "not a list of webhook events" }];
  return index.map(obj).flatMap((entry) => {
    const event = str(entry.name) ?? "";
    return (Array.isArray(entry.examples) ? (entry.examples as unknown[]) : []).map((payload, i): Recorded =>
      isObject(payload) ? { file: `${event}[${i}]`, event, payload } : { file: `${event}[${i}]`, problem: "example is not an object" },
    );
  });
}

/**
 * Make the simulator know every installation, repository and issue comment the
 * payloads reference, and rewrite repository and comment ids in the payloads to
 * the ones the simulator gave them.
 */
export function prepareSimulator(sim: GitHubSim, deliveries: { event: string; payload: Payload }[], config: string): void {
  const installations = new Set<number>();
  const repos = new Map<string, SimRepo>();
  for (const { payload: p } of deliveries) {
    const installation = obj(p.installation);
    const installationId = num(installation.id);
    if (installationId === undefined) continue;
    if (!installations.has(installationId)) {
      const account = obj(installation.account ?? p.organization ?? obj(p.repository).owner);
      const createdAt = str(installation.created_at);
      sim.addInstallation({
        id: installationId,
        account: { login: str(account.login) ?? `installation-${installationId}`, type: account.type === "User" ? "User" : "Organization" },
        ...(createdAt !== undefined ? { createdAt } : {}),
      });
      installations.add(installationId);
    }
    for (const r of [obj(p.repository), ...objects(p.repositories), ...objects(p.repositories_added)]) {
      const fullName = str(r.full_name);
      const [owner, name] = fullName?.split("/") ?? [];
      if (!fullName || !owner || !name || repos.has(fullName.toLowerCase())) continue;
      const repo = sim.addRepo({
        installationId,
        owner,
        name,
        defaultBranch: str(r.default_branch),
        private: r.private === true,
        files: { ".packit.yaml": config },
      });
      repos.set(fullName.toLowerCase(), repo);
    }
  }

  for (const d of deliveries) {
    rewriteRepoIds(d.payload, repos);
    const repo = repos.get(str(obj(d.payload.repository).full_name)?.toLowerCase() ?? "");
    if (repo) learn(repo, factsOf(d.payload));
    const { comment } = d.payload;
    const issueNumber = num(obj(d.payload.issue).number);
    if (d.event === "issue_comment" && isObject(comment) && issueNumber !== undefined && repo) {
      const created = sim.addComment(repo.owner.login, repo.name, issueNumber, {
        body: str(comment.body) ?? "",
        author: str(obj(comment.user).login) ?? "ghost",
      });
      comment.id = created.id;
      comment.node_id = created.node_id;
    }
  }
}

/** The commits, users, issues and tags a recorded payload names: GitHub had them when it sent it. */
function factsOf(p: Payload): Facts {
  const users = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isObject(node)) return;
    if (typeof node.login === "string") users.add(node.login);
    for (const v of Object.values(node)) walk(v);
  };
  walk(p);
  const pr = obj(p.pull_request);
  const issue = obj(p.issue);
  const issueNumber = num(issue.number);
  const release = obj(p.release);
  const tag = str(release.tag_name);
  const target = str(release.target_commitish);
  return {
    users: [...users],
    commits: [
      str(obj(pr.head).sha),
      str(obj(pr.base).sha),
      str(p.before),
      str(p.after),
      str(obj(p.head_commit).id),
      ...objects(p.commits).map((c) => str(c.id)),
      str(obj(p.check_run).head_sha),
      str(obj(p.check_suite).head_sha),
    ],
    issues: issueNumber !== undefined && !issue.pull_request ? [issueNumber] : [],
    pulls: [num(pr.number), issue.pull_request ? issueNumber : undefined].filter((n): n is number => n !== undefined),
    ...(tag !== undefined && target !== undefined ? { tags: { [tag]: target } } : {}),
  };
}

/** Every object naming a known repository by `full_name` gets the simulator's id and node id. */
function rewriteRepoIds(node: unknown, repos: Map<string, SimRepo>): void {
  if (Array.isArray(node)) return node.forEach((n) => rewriteRepoIds(n, repos));
  if (!isObject(node)) return;
  const repo = typeof node.full_name === "string" ? repos.get(node.full_name.toLowerCase()) : undefined;
  if (repo && typeof node.id === "number") {
    node.id = repo.id;
    if ("node_id" in node) node.node_id = repo.node_id;
  }
  for (const v of Object.values(node)) rewriteRepoIds(v, repos);
}
