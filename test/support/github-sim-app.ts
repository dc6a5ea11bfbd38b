/**
 * What the simulated GitHub's own tests (test/integration/github-sim*.test.ts that
 * talk to it as an app) share: one simulator per file (`useSim`), reset before each
 * test; `sim` and `repo` are the current ones.
 */
import { ProbotOctokit } from "probot";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { randomSha, startGitHubSim, type GitHubSim, type SimRepo } from "../../testing/github-sim/index.js";

export const INSTALLATION = 4242;
export const CONFIG = "specfile_path: ogr.spec\njobs:\n  - job: copr_build\n    trigger: pull_request\n";

export let sim: GitHubSim;
export let repo: SimRepo;

export const quiet = { throttle: { enabled: false }, retry: { enabled: false } } as const;

export function appOctokit(privateKey = sim.privateKey) {
  return new ProbotOctokit({ auth: { appId: sim.appId, privateKey }, baseUrl: sim.url, ...quiet });
}

export async function installationToken(installationId = INSTALLATION): Promise<string> {
  const auth = (await appOctokit().auth({ type: "installation", installationId })) as { token: string };
  return auth.token;
}

export async function installationOctokit(installationId = INSTALLATION) {
  return new ProbotOctokit({ auth: { token: await installationToken(installationId) }, baseUrl: sim.url, ...quiet });
}

/** A commit of packit/ogr: GitHub refuses check runs at a sha the repository does not have. */
export function newCommit(): string {
  const sha = randomSha();
  sim.addCommit("packit", "ogr", sha);
  return sha;
}

/** The HTTP status of a rejected Octokit call (and the error, for its body). */
export async function failure(p: Promise<unknown>) {
  const err = (await p.then(
    () => {
      throw new Error("expected the request to fail");
    },
    (e: unknown) => e,
  )) as { status: number; message: string; response: { data: { message: string }; headers: Record<string, string> } };
  return err;
}

/** A test file's hooks: one simulated GitHub, reset before each test to installation INSTALLATION with packit/ogr. */
export function useSim(): void {
  beforeAll(async () => {
    sim = await startGitHubSim();
  });
  afterAll(async () => {
    await sim.stop();
  });
  beforeEach(() => {
    sim.reset();
    sim.addInstallation({ id: INSTALLATION, account: { login: "packit", type: "Organization" } });
    repo = sim.addRepo({ installationId: INSTALLATION, owner: "packit", name: "ogr", files: { ".packit.yaml": CONFIG } });
  });
}
