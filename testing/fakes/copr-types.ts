/** The fake Copr's (`copr.ts`) public shapes, the app's account on it, Copr's active chroots and the SRPM bytes it serves. */
import { createHash } from "node:crypto";
import type { FakeServer } from "./http-fake.js";

export type CoprBuildState =
  "pending" | "starting" | "importing" | "running" | "waiting" | "succeeded" | "failed" | "canceled" | "skipped" | "forked";

/** What a create call asked for, as `setOutcome` matchers see it. */
export interface CoprSubmission {
  id: number;
  ownername: string;
  projectname: string;
  clone_url: string;
  committish: string;
  chroots: string[];
  submitter: string;
  /** The JSON body as received. */
  body: Record<string, unknown>;
}

/** A build as the fake holds it, with its state as of now. */
interface FakeCoprBuild extends CoprSubmission {
  state: CoprBuildState;
  submittedAt: number;
}

/** A project as the fake holds it. */
interface FakeCoprProject {
  ownername: string;
  projectname: string;
  chroots: string[];
  /** Users besides the owner that may edit the project (and build in it). */
  admins: string[];
  /** Users besides the owner and admins that may build in the project. */
  builders: string[];
  /** The project form as added, with later edits merged in. */
  form: Record<string, unknown>;
}

/** One user's Copr API config, as <copr>/api shows it. */
export interface CoprAccount {
  /** The generated API login: with `token`, what HTTP Basic carries. */
  login: string;
  /** The user name: owner of their projects, `submitter` of their builds. */
  username: string;
  token: string;
  /** The token's last valid day (YYYY-MM-DD); Copr tokens last 180 days. Default: never expires. */
  expiresOn?: string;
}

export interface FakeCoprOptions {
  /** Accounts that may write. Default: [FAKE_COPR_ACCOUNT]. */
  accounts?: CoprAccount[];
  /** The fake's clock (token expiry), epoch ms. Default: Date.now. */
  now?: () => number;
  /** Length of each phase (pending, running) in ms; default 50. `Infinity` keeps builds pending until `finish`. */
  phaseMs?: number;
  /** `false` is the same as `phaseMs: Infinity`. */
  autoAdvance?: boolean;
  /** The active chroots `/api_3/mock-chroots/list` answers, chroot → comment. Default: FAKE_COPR_MOCK_CHROOTS. */
  mockChroots?: Record<string, string>;
}

export interface FakeCopr extends FakeServer {
  /** Forget projects, builds, outcomes, recorded calls and faults. */
  reset(): void;
  /** A snapshot of a project, or undefined when it does not exist. */
  project(owner: string, name: string): FakeCoprProject | undefined;
  /** Seed a project (someone else's, say), as if created on Copr's web UI. */
  addProject(owner: string, name: string, opts: { chroots: string[]; admins?: string[]; builders?: string[] }): void;
  /** Delete a project (Copr deleting a throwaway project after its days). */
  deleteProject(owner: string, name: string): void;
  /** Snapshots of all builds, oldest first. */
  builds(): FakeCoprBuild[];
  /** How many create calls succeeded. */
  readonly submissions: number;
  /** Builds the matcher accepts end in `outcome` (later rules win). Default outcome: `succeeded`. */
  setOutcome(matcher: (s: CoprSubmission) => boolean, outcome: CoprBuildState): void;
  /** Force a build into a state now (it stays there). */
  finish(id: number | string, state: CoprBuildState): void;
  /** Let an account's token run out: from now on Copr refuses it as expired. */
  expireToken(login: string): void;
}

/** The app's account on the fake (its login is a generated string, as in Copr). */
export const FAKE_COPR_ACCOUNT: CoprAccount = {
  login: "wbqhzmnrjtkdlxvyafpc",
  username: "packit",
  token: "fake-copr-api-token-0123456789",
};

/** Copr's active chroots as of late 2026 (Fedora 44, 45 and Rawhide; EPEL 8–10; CentOS Stream 9, 10; …). */
export const FAKE_COPR_MOCK_CHROOTS: Readonly<Record<string, string>> = Object.fromEntries(
  [
    ...["fedora-44", "fedora-45", "fedora-rawhide", "fedora-eln"].flatMap((d) =>
      ["x86_64", "aarch64", "ppc64le", "s390x", "i386"].map((a) => `${d}-${a}`),
    ),
    ...["epel-8", "epel-9", "epel-10", "rhel+epel-10", "centos-stream-9", "centos-stream-10", "centos-stream+epel-next-9"].flatMap((d) =>
      ["x86_64", "aarch64", "ppc64le", "s390x"].map((a) => `${d}-${a}`),
    ),
    ...["rhel-8", "rhel-9", "rhel-10", "opensuse-tumbleweed", "opensuse-leap-16.0", "mageia-9", "mageia-cauldron"].flatMap((d) =>
      ["x86_64", "aarch64"].map((a) => `${d}-${a}`),
    ),
  ].map((chroot) => [chroot, ""]),
);

/** The bytes served as the SRPM of build `id`: a few KB, the same for the same id. */
export function fakeSrpm(id: number): Buffer {
  const lines = [`fake-copr SRPM of build ${id}\n`];
  let digest = String(id);
  for (let i = 0; i < 64; i++) {
    digest = createHash("sha256").update(digest).digest("hex");
    lines.push(`${digest}\n`);
  }
  return Buffer.from(lines.join(""), "ascii");
}
