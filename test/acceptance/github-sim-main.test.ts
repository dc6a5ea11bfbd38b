import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { ProbotOctokit } from "probot";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../src/util/net.js";

interface SimInfo {
  url: string;
  appId: number;
  privateKeyPath: string;
  webhookSecret: string;
  installationId: number;
  repo: string;
  headSha: string;
  token: string;
}

/** `npm run sim -- …` as a process; resolves with it and its first stdout line. */
async function startSim(args: string[]): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "testing/github-sim/main.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`sim exited (${code}) before printing: ${err}`)));
  });
  return { child, line };
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

describe("npm run sim -- --json", () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    child = undefined;
  });

  it("prints one JSON line to reach a seeded installation and repository, serves it to the printed token, and stops on SIGTERM", async () => {
    const port = await freePort();
    const started = await startSim(["--json", "--port", String(port)]);
    child = started.child;
    const info = JSON.parse(started.line) as SimInfo;
    expect(Object.keys(info)).toEqual(["url", "appId", "privateKeyPath", "webhookSecret", "installationId", "repo", "headSha", "token"]);
    expect(info.url).toBe(`http://127.0.0.1:${port}`);
    expect(info.repo).toMatch(/^[^/]+\/[^/]+$/);
    expect(info.headSha).toMatch(/^[0-9a-f]{40}$/);
    expect(existsSync(info.privateKeyPath)).toBe(true);

    const [owner, name] = info.repo.split("/") as [string, string];
    const octokit = new ProbotOctokit({
      auth: { token: info.token },
      baseUrl: info.url,
      throttle: { enabled: false },
      retry: { enabled: false },
    });
    const { data: repo } = await octokit.rest.repos.get({ owner, repo: name });
    const head = await octokit.graphql<{
      repository: { defaultBranchRef: { name: string; target: { oid: string } }; config: { text: string } | null };
    }>(
      `query ($owner: String!, $name: String!, $config: String!) {
        repository(owner: $owner, name: $name) {
          defaultBranchRef { name target { oid } }
          config: object(expression: $config) { ... on Blob { text } }
        }
      }`,
      { owner, name, config: `${repo.default_branch}:.packit.yaml` },
    );
    expect(head.repository.defaultBranchRef).toEqual({ name: repo.default_branch, target: { oid: info.headSha } });
    expect(head.repository.config?.text).toMatch(/^jobs:/m);
    // The App's own credentials work too: its key signs the JWT GitHub checks.
    const app = new ProbotOctokit({
      auth: { appId: info.appId, privateKey: readFileSync(info.privateKeyPath, "utf8") },
      baseUrl: info.url,
    });
    expect((await app.rest.apps.getRepoInstallation({ owner, repo: name })).data.id).toBe(info.installationId);

    const code = exited(child);
    child.kill("SIGTERM");
    expect(await code).toBe(0);
    expect(existsSync(info.privateKeyPath)).toBe(false);
  }, 30_000);

  it("takes any free port with --port 0, and refuses a bad one", async () => {
    const started = await startSim(["--json", "--port", "0"]);
    child = started.child;
    expect((JSON.parse(started.line) as SimInfo).url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const code = exited(child);
    child.kill("SIGINT");
    expect(await code).toBe(0);

    const bad = spawn(process.execPath, ["--import", "tsx", "testing/github-sim/main.ts", "--port", "nope"], { stdio: "ignore" });
    expect(await exited(bad)).toBe(2);
  }, 30_000);
});
