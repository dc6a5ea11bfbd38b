import type { CheckRunState } from "../checks/state.js";
import { APPROVE_ACTION } from "../checks/state.js";
import { inlineCode } from "../util/markdown.js";

export const APPROVAL_CHECK_NAME = "packit:approval";
export const INSTALLATION_CHECK_NAME = "packit:installation";

/** Where the jobs that did start came from, as the check run says it. */
export type PlannedFrom = { from: "base"; branch: string } | { from: "none"; branch: string };

/** The "Approval needed" check run (pure): what waits, why, where the plan came from, and the *Approve* button. */
export function approvalNeededCheck(o: {
  author: string;
  held: readonly string[];
  started: readonly string[];
  planned: PlannedFrom;
}): CheckRunState {
  const plan =
    o.planned.from === "base"
      ? `Jobs were planned from the base branch's Packit config (${inlineCode(o.planned.branch)}): the pull request's own config is not trusted before approval.`
      : `The base branch (${inlineCode(o.planned.branch)}) has no usable Packit config, so nothing runs before approval; after it, the pull request's own config is used.`;
  return {
    status: "completed",
    conclusion: "action_required",
    title: "Approval needed",
    summary: [
      `@${o.author} has no write permission on this repository, so these jobs wait for a maintainer's approval: ${o.held.map((k) => inlineCode(k, 200)).join(", ") || "the pull request's jobs"}.`,
      o.started.length > 0 ? `Started without approval: ${o.started.map((k) => inlineCode(k, 200)).join(", ")}.` : "",
      plan,
      "A user with write permission approves this commit with the **Approve** button above or a `/packit approve` comment. The approval holds for this commit only: a new push needs a new one.",
    ]
      .filter(Boolean)
      .join("\n\n"),
    actions: [APPROVE_ACTION],
  };
}

/** The same check run once approved (pure). */
export function approvedCheck(by: string, started: number): CheckRunState {
  return {
    status: "completed",
    conclusion: "success",
    title: `Approved by @${by}`,
    summary: `@${by} approved this commit; ${started} job${started === 1 ? "" : "s"} started, planned from the pull request's own Packit config.`,
    actions: [],
  };
}

/** The one check run a waiting installation's repository gets (pure). */
export function installationWaitingCheck(login: string, contact: string | undefined): CheckRunState {
  return {
    status: "completed",
    conclusion: "neutral",
    title: "Installation waiting for approval",
    summary: [
      `This installation of packit-probot (account ${inlineCode(login)}) is new: it runs no job until the service's operator approves it.`,
      contact ? `Ask ${contact} to approve it.` : "Ask the operator of this packit-probot service to approve it.",
      `(Operators: \`npm run cli -- installations approve ${login}\`.) Events before the approval are not run; push again afterwards.`,
    ].join("\n\n"),
    actions: [],
  };
}
