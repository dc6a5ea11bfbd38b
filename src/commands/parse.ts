import { CHECK_NAME_PREFIX } from "../pipeline/plan.js";

/** A `/packit …` command found in a comment. */
export type PackitCommand =
  | { verb: "cancel"; args: string[] }
  | { verb: "help" }
  | { verb: "unknown"; text: string };

/** Comments longer than this are cut before parsing: commands sit at a line start, near the top. */
const MAX_BODY = 65_536;
/** A comment may carry several commands; more than this is ignored (with a note in the reply). */
export const MAX_COMMANDS = 5;

/**
 * The `/packit` commands of a comment (pure): one per line that starts with
 * `/packit` (or `/packit-probot`), outside quoted lines, at most MAX_COMMANDS.
 */
export function parseCommands(body: string): { commands: PackitCommand[]; truncated: boolean } {
  const lines = body.slice(0, MAX_BODY).split(/\r?\n/);
  const found: PackitCommand[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (!/^\/packit(-probot)?(\s|$)/.test(line)) continue;
    const words = line.split(/\s+/).slice(1).filter(Boolean);
    const verb = words[0]?.toLowerCase();
    if (verb === "cancel") found.push({ verb: "cancel", args: words.slice(1).slice(0, 50) });
    else if (verb === undefined || verb === "help") found.push({ verb: "help" });
    else found.push({ verb: "unknown", text: line.slice(0, 200) });
  }
  return { commands: found.slice(0, MAX_COMMANDS), truncated: found.length > MAX_COMMANDS };
}

/** Words that name a job type in `/packit cancel <what>`. */
const TYPE_WORDS: Record<string, string> = {
  build: "copr_build",
  copr_build: "copr_build",
  "copr-build": "copr_build",
  "rpm-build": "copr_build",
  tests: "tests",
  test: "tests",
  "testing-farm": "tests",
  koji: "upstream_koji_build",
  upstream_koji_build: "upstream_koji_build",
  "koji-build": "upstream_koji_build",
  vm_image_build: "vm_image_build",
  "vm-image-build": "vm_image_build",
  osh: "osh_scan",
  osh_scan: "osh_scan",
  "osh-scan": "osh_scan",
  "osh-diff-scan": "osh_scan",
};

const CHECK_PREFIXES: readonly string[] = Object.values(CHECK_NAME_PREFIX);

/**
 * The jobs `/packit cancel <args>` names among a PR's jobs (pure): no argument or
 * `all` → every job; a job type → jobs of that type; a check name → that job (a
 * name without target, like `rpm-build`, matches every target). Unknown words are
 * returned so the reply can say which word it did not understand.
 */
export function selectJobs<J extends { type: string; key: string }>(args: readonly string[], jobs: readonly J[]): { jobs: J[]; unknown: string[] } {
  if (args.length === 0 || args.some((a) => a.toLowerCase() === "all")) return { jobs: [...jobs], unknown: [] };
  const chosen = new Set<J>();
  const unknown: string[] = [];
  for (const arg of args) {
    const type = TYPE_WORDS[arg.toLowerCase()];
    if (type) jobs.filter((j) => j.type === type).forEach((j) => chosen.add(j));
    else if (CHECK_PREFIXES.includes(arg.split(":")[0]!)) jobs.filter((j) => j.key === arg || j.key.startsWith(`${arg}:`)).forEach((j) => chosen.add(j));
    else unknown.push(arg);
  }
  return { jobs: jobs.filter((j) => chosen.has(j)), unknown };
}

export const HELP_TEXT = [
  "**packit-probot commands**",
  "",
  "- `/packit cancel` or `/packit cancel all` — cancel every unfinished job of this pull request",
  "- `/packit cancel build | tests | koji | vm-image-build | osh` — cancel the unfinished jobs of one type",
  "- `/packit cancel rpm-build:fedora-rawhide-x86_64 …` — cancel jobs by check name",
  "",
  "Commands are accepted from the pull request's author and from users with write, maintain or admin permission.",
].join("\n");
