/** The operations pages' data: cancellations and maintenance decisions (from the audit table), the queue. */
import type { JobCancelResult } from "../cancel/report.js";
import { sweepDecision } from "../maintenance/decide.js";
import { jobPath, projectPath } from "./links.js";
import type { AuditWithRepo, CancelledSummary, Page, QueueView, Viewer } from "./store.js";
import { DAY_MS, WEEK_MS, type DashboardContext, type RepoView } from "./data.js";

export interface CancellationsData {
  /** Cancel requests of the last 7 days by entry point (supersede, closed, comment, button, cli). */
  bySource: { source: string; n: number }[];
  saved: { day: CancelledSummary; week: CancelledSummary };
  reports: Page<{
    id: number;
    at: number;
    by: string;
    source: string;
    repo: RepoView | null;
    overall: string;
    reason: string;
    results: (JobCancelResult & { page: string })[];
  }>;
}

export async function cancellationsData(
  c: DashboardContext,
  viewer: Viewer,
  page: { limit: number; before?: number },
): Promise<CancellationsData> {
  const now = c.now();
  const [bySource, day, week, audit] = await Promise.all([
    c.store.cancelsBySource(viewer, now - WEEK_MS),
    c.store.cancelledSince(viewer, now - DAY_MS),
    c.store.cancelledSince(viewer, now - WEEK_MS),
    c.store.audit(viewer, "cancel.", page),
  ]);
  return {
    bySource: bySource.map((s) => ({ source: s.action.replace(/^cancel\./, ""), n: s.n })),
    saved: { day, week },
    reports: {
      next: audit.next,
      items: audit.items.map((a: AuditWithRepo) => {
        const d = (a.detail ?? {}) as { overall?: string; reason?: string; results?: JobCancelResult[] };
        return {
          id: a.id,
          at: a.at,
          by: a.actor,
          source: a.action.replace(/^cancel\./, ""),
          repo: a.owner && a.name ? { owner: a.owner, name: a.name, private: false, page: projectPath(a.owner, a.name) } : null,
          overall: d.overall ?? "?",
          reason: d.reason ?? "",
          results: (d.results ?? []).map((r) => ({ ...r, page: jobPath(r.jobId) })),
        };
      }),
    },
  };
}

export interface MaintenanceData {
  decisions: Page<{ id: number; at: number; by: string; action: string; subject: string; detail: unknown }>;
  /** What the next sweep would decide for each installation, from what is known now. */
  candidates: { id: number; account: string; action: string; reason: string }[];
  mode: string;
}

export async function maintenanceData(c: DashboardContext, page: { limit: number; before?: number }): Promise<MaintenanceData> {
  const [audit, facts] = await Promise.all([
    c.store.audit({ login: null, repoIds: [] }, "maintenance.", page),
    c.store.installationFacts(),
  ]);
  const now = c.now();
  return {
    decisions: {
      next: audit.next,
      items: audit.items.map((a) => ({
        id: a.id,
        at: a.at,
        by: a.actor,
        action: a.action.replace(/^maintenance\./, ""),
        subject: a.subject,
        detail: a.detail,
      })),
    },
    candidates: facts.map((f) => {
      const states = [
        ...Array<"present">(f.configured).fill("present"),
        ...Array<"unknown">(f.unknown).fill("unknown"),
        ...Array<"absent">(Math.max(0, f.repos - f.configured - f.unknown)).fill("absent"),
      ];
      const d = sweepDecision(
        { id: f.id, login: f.account_login, createdAt: f.created_at, suspendedAt: f.suspended_at, repoStates: states },
        now,
        c.settings.maintenance,
      );
      return { id: f.id, account: f.account_login, ...d };
    }),
    mode: c.settings.maintenance.mode,
  };
}

export type QueueData = QueueView;

export const queueData = (c: DashboardContext): Promise<QueueData> => c.store.queue();
