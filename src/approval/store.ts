import type { Db } from "../db/types.js";
import { installationGate, type InstallationApproval, type InstallationsSetting } from "./decide.js";

/** An installation as the approval gate reads it. */
export interface InstallationApprovalRow {
  id: number;
  account_login: string;
  approval: InstallationApproval;
  approval_by: string | null;
  approval_at: number | null;
  created_at: number;
}

/** A pull request head whose held jobs wait (`approved_by` NULL) or waited for a maintainer. */
export interface PrApprovalRow {
  repo_id: number;
  pr_number: number;
  head_sha: string;
  author: string;
  pipeline_id: number;
  requested_at: number;
  approved_by: string | null;
  approved_at: number | null;
}

/** Approval state of installations and pull request heads (migration 6). */
export class ApprovalStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  async installation(id: number): Promise<InstallationApprovalRow | undefined> {
    return this.db.get<InstallationApprovalRow>(
      "SELECT id, account_login, approval, approval_by, approval_at, created_at FROM installations WHERE id = ? AND deleted_at IS NULL",
      [id],
    );
  }

  /** Live installations of an account (an account has one per App; an uninstall and reinstall leaves the old row deleted). */
  async installationsOf(login: string): Promise<InstallationApprovalRow[]> {
    return this.db.all<InstallationApprovalRow>(
      "SELECT id, account_login, approval, approval_by, approval_at, created_at FROM installations WHERE LOWER(account_login) = LOWER(?) AND deleted_at IS NULL ORDER BY id",
      [login],
    );
  }

  async installations(): Promise<InstallationApprovalRow[]> {
    return this.db.all<InstallationApprovalRow>(
      "SELECT id, account_login, approval, approval_by, approval_at, created_at FROM installations WHERE deleted_at IS NULL ORDER BY id",
    );
  }

  async setInstallation(id: number, approval: InstallationApproval, by: string): Promise<void> {
    await this.db.run("UPDATE installations SET approval = ?, approval_by = ?, approval_at = ?, updated_at = ? WHERE id = ?", [
      approval,
      by,
      this.now(),
      this.now(),
      id,
    ]);
  }

  /** Installations the gate holds now (the setting applied): the metric and the dashboard. */
  async waitingInstallations(setting: InstallationsSetting): Promise<InstallationApprovalRow[]> {
    return (await this.installations()).filter(
      (i) => installationGate({ login: i.account_login, approval: i.approval }, setting) === "waiting",
    );
  }

  /** True once per repository: its first event while the installation waits gets the one check run saying so. */
  async firstNotice(repoId: number): Promise<boolean> {
    return (
      (await this.db.run("UPDATE repositories SET approval_notice_at = ? WHERE id = ? AND approval_notice_at IS NULL", [
        this.now(),
        repoId,
      ])) === 1
    );
  }

  async requestPr(r: { repoId: number; prNumber: number; headSha: string; author: string; pipelineId: number }): Promise<void> {
    await this.db.run(
      `INSERT INTO pr_approvals (repo_id, pr_number, head_sha, author, pipeline_id, requested_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (repo_id, pr_number, head_sha) DO NOTHING`,
      [r.repoId, r.prNumber, r.headSha, r.author, r.pipelineId, this.now()],
    );
  }

  async pr(repoId: number, prNumber: number, headSha: string): Promise<PrApprovalRow | undefined> {
    return this.db.get<PrApprovalRow>("SELECT * FROM pr_approvals WHERE repo_id = ? AND pr_number = ? AND head_sha = ?", [
      repoId,
      prNumber,
      headSha,
    ]);
  }

  /** The request an "Approval needed" check run (keyed by repository and head) asks for. */
  async waitingAtHead(repoId: number, headSha: string): Promise<PrApprovalRow | undefined> {
    return this.db.get<PrApprovalRow>("SELECT * FROM pr_approvals WHERE repo_id = ? AND head_sha = ? ORDER BY requested_at LIMIT 1", [
      repoId,
      headSha,
    ]);
  }

  /** Record a maintainer's approval of one head; false when it was approved already (two maintainers at once). */
  async approvePr(repoId: number, prNumber: number, headSha: string, by: string): Promise<boolean> {
    const n = await this.db.run(
      "UPDATE pr_approvals SET approved_by = ?, approved_at = ? WHERE repo_id = ? AND pr_number = ? AND head_sha = ? AND approved_by IS NULL",
      [by, this.now(), repoId, prNumber, headSha],
    );
    return n === 1;
  }

  /** Heads still waiting, oldest first, with their repository (the dashboard). */
  async waitingPrs(limit = 100): Promise<(PrApprovalRow & { owner: string; name: string; private: number | null })[]> {
    return this.db.all(
      `SELECT a.*, r.owner, r.name, r.private FROM pr_approvals a JOIN repositories r ON r.id = a.repo_id
       JOIN pipelines p ON p.id = a.pipeline_id
       WHERE a.approved_by IS NULL AND p.superseded_by IS NULL ORDER BY a.requested_at LIMIT ?`,
      [limit],
    );
  }
}
