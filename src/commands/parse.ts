import { CHECK_NAME_PREFIX } from "../pipeline/plan.js";

/** Job types a user can start with a command (Packit's retrigger commands). */
type RunnableType = "copr_build" | "tests" | "upstream_koji_build" | "vm_image_build";

/** `/packit build`, `/packit test --identifier x`, `/packit retest-failed`, …: run (again) jobs of one type. */
export interface RunCommand {
  verb: "run";
  type: RunnableType;
  /** Only the jobs whose latest run for this head failed (`rebuild-failed`, `retest-failed`). */
  failedOnly: boolean;
  /** `--identifier`/`--id`: only the tests jobs with this identifier. */
  identifier?: string;
  /** `--labels a,b`: only the tests jobs carrying one of these labels. */
  labels?: string[];
}

/** A `/packit …` command found in a comment. */
export type PackitCommand =
  { verb: "cancel"; args: string[] } | RunCommand | { verb: "approve" } | { verb: "help" } | { verb: "unknown"; text: string };

/** Packit's command words for starting jobs. */
const RUN_VERBS: Readonly<Record<string, Pick<RunCommand, "type" | "failedOnly">>> = {
  build: { type: "copr_build", failedOnly: false },
  "copr-build": { type: "copr_build", failedOnly: false },
  "rebuild-failed": { type: "copr_build", failedOnly: true },
  test: { type: "tests", failedOnly: false },
  "retest-failed": { type: "tests", failedOnly: true },
  "upstream-koji-build": { type: "upstream_koji_build", failedOnly: false },
  "vm-image-build": { type: "vm_image_build", failedOnly: false },
};

/** A command's word for metrics and logs: Packit's name of it (`build`, `retest-failed`, …). */
export function commandName(cmd: PackitCommand): string {
  if (cmd.verb !== "run") return cmd.verb;
  return Object.entries(RUN_VERBS).find(([, v]) => v.type === cmd.type && v.failedOnly === cmd.failedOnly)![0];
}

/**
 * The options of a run command (pure): `--identifier X` / `--id X` and `--labels
 * a,b` (also `--flag=value`), for tests only. Anything else makes the command
 * unknown, so that a typo is answered instead of running more than was asked.
 */
function runCommand(verb: string, args: string[]): RunCommand | undefined {
  const base = RUN_VERBS[verb];
  if (!base) return undefined;
  const cmd: RunCommand = { verb: "run", ...base };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = inline ?? args[++i];
    if (base.type !== "tests" || value === undefined || value === "") return undefined;
    if (flag === "--identifier" || flag === "--id") cmd.identifier = value;
    else if (flag === "--labels")
      cmd.labels = value
        .split(",")
        .map((l) => l.trim())
        .filter(Boolean);
    else return undefined;
  }
  return cmd;
}

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
    const run = verb === undefined ? undefined : runCommand(verb, words.slice(1, 20));
    if (verb === "cancel") found.push({ verb: "cancel", args: words.slice(1).slice(0, 50) });
    else if (verb === undefined || verb === "help") found.push({ verb: "help" });
    else if (verb === "approve" && words.length === 1) found.push({ verb: "approve" });
    else if (run) found.push(run);
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
export function selectJobs<J extends { type: string; key: string }>(
  args: readonly string[],
  jobs: readonly J[],
): { jobs: J[]; unknown: string[] } {
  if (args.length === 0 || args.some((a) => a.toLowerCase() === "all")) return { jobs: [...jobs], unknown: [] };
  const chosen = new Set<J>();
  const unknown: string[] = [];
  for (const arg of args) {
    const type = TYPE_WORDS[arg.toLowerCase()];
    if (type) jobs.filter((j) => j.type === type).forEach((j) => chosen.add(j));
    else if (CHECK_PREFIXES.includes(arg.split(":")[0]!))
      jobs.filter((j) => j.key === arg || j.key.startsWith(`${arg}:`)).forEach((j) => chosen.add(j));
    else unknown.push(arg);
  }
  return { jobs: jobs.filter((j) => chosen.has(j)), unknown };
}

export const HELP_TEXT = [
  "**packit-probot commands**",
  "",
  "- `/packit build` (or `copr-build`), `/packit rebuild-failed` — run the Copr builds again (all, or the failed ones), with the tests waiting for them",
  "- `/packit test`, `/packit retest-failed` — run the tests again (all, or the failed ones); `--identifier <id>` and `--labels a,b` pick tests jobs; a missing or failed build is built first",
  "- `/packit upstream-koji-build`, `/packit vm-image-build` — run the Koji builds or VM image builds (also those marked `manual_trigger`)",
  "- `/packit cancel` or `/packit cancel all` — cancel every unfinished job of this pull request",
  "- `/packit cancel build | tests | koji | vm-image-build | osh` — cancel the unfinished jobs of one type",
  "- `/packit cancel rpm-build:fedora-rawhide-x86_64 …` — cancel jobs by check name",
  "- `/packit approve` — run the jobs of this pull request's head, whose author has no write permission (write permission needed)",
  "",
  "Commands are accepted from users with write, maintain or admin permission, and from the pull request's author (`cancel` and `help`; the others once a maintainer approved the head).",
].join("\n");
