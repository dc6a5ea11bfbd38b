/**
 * Who may do what (pure): the installation gate, which jobs of an untrusted pull
 * request wait for approval, what each actor may do through each entry point, and
 * the command flood throttle. docs/security.md is the table of these rules.
 */

export type InstallationApproval = "waiting" | "approved" | "denied";

/** `approval.installations`: `open`, or the account logins approved on arrival. */
export type InstallationsSetting = "open" | readonly string[];

/**
 * Whether an installation may run jobs. An operator's decision stands (a denied one
 * stays denied even if its login is listed); `open` turns the gate off; a listed
 * account (case-insensitive, as GitHub logins are) is approved without waiting.
 */
export function installationGate(
  i: { login: string; approval: InstallationApproval },
  setting: InstallationsSetting,
): InstallationApproval {
  if (i.approval === "denied") return "denied";
  if (setting === "open" || i.approval === "approved") return "approved";
  return setting.some((l) => l.toLowerCase() === i.login.toLowerCase()) ? "approved" : "waiting";
}

/** Packit's floor: these job types never run for an author without write permission unless a maintainer approved the head. */
export const APPROVAL_FLOOR: readonly string[] = ["tests", "upstream_koji_build", "vm_image_build"];

/** Whether a job type of an untrusted pull request waits for approval: the setting's types, and the floor whatever the setting says. */
export function needsApproval(type: string, settingTypes: readonly string[]): boolean {
  return APPROVAL_FLOOR.includes(type) || settingTypes.includes(type);
}

/** A repository permission as GitHub's collaborator endpoint names it (`role_name`), or `unknown` when it could not be read. */
export type RepoPermission = "admin" | "maintain" | "write" | "triage" | "read" | "none" | "unknown";

const WRITERS: ReadonlySet<RepoPermission> = new Set(["admin", "maintain", "write"]);

/** Write, maintain or admin: may approve, press buttons, run any command. A failed lookup (`unknown`) is not. */
export const canWrite = (p: RepoPermission): boolean => WRITERS.has(p);

/** GitHub Apps and other bots: `type: Bot`, or a login ending in `[bot]`. */
export const isBot = (a: { login: string; type?: string }): boolean => a.type === "Bot" || /\[bot\]$/i.test(a.login);

/** What an actor tries, by entry point. */
export type ActorAction =
  "command:cancel" | "command:run" | "command:help" | "command:approve" | "button:cancel" | "button:rerun" | "button:approve";

export interface ActorFacts {
  login: string;
  type?: string;
  permission: RepoPermission;
  /** The actor opened the pull request the command is about. */
  isPrAuthor: boolean;
  /** A maintainer approved the pull request's current head. */
  headApproved: boolean;
}

export type ActorVerdict = { allowed: true } | { allowed: false; why: "bot" | "no-write" | "needs-approval" };

/**
 * Whether an actor may do `action` (pure). Bots never act (this App's own comments
 * included). Users with write permission may do everything. A pull request's author
 * without it may cancel its jobs and ask for help, and start jobs only at a head a
 * maintainer approved; buttons and approval need write permission.
 */
export function decideActor(actor: ActorFacts, action: ActorAction): ActorVerdict {
  if (isBot(actor)) return { allowed: false, why: "bot" };
  if (canWrite(actor.permission)) return { allowed: true };
  if (!actor.isPrAuthor) return { allowed: false, why: "no-write" };
  if (action === "command:cancel" || action === "command:help") return { allowed: true };
  if (action === "command:run") return actor.headApproved ? { allowed: true } : { allowed: false, why: "needs-approval" };
  return { allowed: false, why: "no-write" };
}

/**
 * The flood throttle (pure): `times` are the actor's earlier commands on this pull
 * request (epoch ms). Over `limit` in `windowMs`, the command is refused; only the
 * first refused one gets a reply (`reply`), so a flood costs one comment.
 */
export function throttleDecision(
  times: readonly number[],
  now: number,
  limit: number,
  windowMs: number,
): { allowed: boolean; reply: boolean; recent: number[] } {
  const recent = times.filter((t) => t > now - windowMs);
  if (recent.length < limit) return { allowed: true, reply: false, recent: [...recent, now] };
  // The one over the limit is recorded too: the next ones see that a reply went out.
  return { allowed: false, reply: recent.length === limit, recent: [...recent, now].slice(-(limit + 1)) };
}

/**
 * The planned jobs of an untrusted pull request split into those that wait for
 * approval and those that may start (pure). `all`: everything waits (the plan did
 * not come from a trusted config). A job that waits for a held job is held too.
 */
export function splitHeld<J extends { key: string; type: string; after?: string }>(
  jobs: readonly J[],
  settingTypes: readonly string[],
  all = false,
): { held: J[]; free: J[] } {
  const held = new Set(jobs.filter((j) => all || needsApproval(j.type, settingTypes)).map((j) => j.key));
  for (let grew = true; grew;) {
    grew = false;
    for (const j of jobs)
      if (!held.has(j.key) && j.after !== undefined && held.has(j.after)) {
        held.add(j.key);
        grew = true;
      }
  }
  return { held: jobs.filter((j) => held.has(j.key)), free: jobs.filter((j) => !held.has(j.key)) };
}
