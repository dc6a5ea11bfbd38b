import type { Settings } from "../settings.js";

export type SweepAction = "kept" | "reported" | "suspended" | "uninstalled" | "skipped";

export interface InstallationFacts {
  id: number;
  login: string;
  createdAt: number;
  suspendedAt: number | null;
  /** Config state of each repository's default branch after the refresh; "unknown" = the lookup failed. */
  repoStates: ("present" | "absent" | "invalid" | "unknown")[];
}

/**
 * What the sweep does with one installation (pure). Kept when allow-listed, younger
 * than the grace period, or when any repository has a config (valid or not: the
 * namespace rule keeps the whole installation). Skipped when already suspended or
 * when any lookup failed (a failure is never read as "no config"). Otherwise the
 * mode's action.
 */
export function sweepDecision(i: InstallationFacts, now: number, m: Settings["maintenance"]): { action: SweepAction; reason: string } {
  if (m.allowList.some((a) => a === i.id || a === String(i.id) || a === i.login)) return { action: "kept", reason: "allow-listed" };
  if (i.suspendedAt !== null) return { action: "skipped", reason: "already suspended" };
  const ageDays = (now - i.createdAt) / 86_400_000;
  if (ageDays < m.graceDays) return { action: "kept", reason: `installed ${Math.floor(ageDays)} days ago (grace ${m.graceDays} days)` };
  if (i.repoStates.some((s) => s === "present" || s === "invalid")) return { action: "kept", reason: "a repository has a Packit config" };
  if (i.repoStates.some((s) => s === "unknown")) return { action: "skipped", reason: "a config lookup failed; not judged this time" };
  const why = i.repoStates.length === 0 ? "no repositories" : `none of ${i.repoStates.length} repositories has a Packit config`;
  switch (m.mode) {
    case "suspend":
      return { action: "suspended", reason: why };
    case "uninstall":
      return { action: "uninstalled", reason: why };
    default:
      return { action: "reported", reason: why };
  }
}
