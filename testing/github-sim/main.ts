/**
 * `npm run sim -- [--json] [--port N]`: the simulated GitHub on its own, for local
 * development (`npm start` against it) and for checks from outside. It seeds one
 * installation with one repository whose default branch has a `.packit.yaml`, issues
 * an installation token for it, and prints how to reach it: with `--json`, one line
 * `{"url", "appId", "privateKeyPath", "webhookSecret", "installationId", "repo",
 * "headSha", "token"}`. The App's private key is written to a file of its own in a
 * temporary folder, removed on exit. Ctrl-C or SIGTERM stops it (exit 0).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProbotOctokit } from "probot";
import { startGitHubSim } from "./server.js";

const INSTALLATION_ID = 1;
const OWNER = "acme";
const NAME = "widget";
const CONFIG = `specfile_path: widget.spec
jobs:
  - job: copr_build
    trigger: pull_request
    targets: [fedora-rawhide-x86_64]
  - job: tests
    trigger: pull_request
    targets: [fedora-rawhide-x86_64]
`;

function parseArgs(argv: string[]): { json: boolean; port: number } | string {
  let json = false;
  let port = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") json = true;
    else if (a === "--port" || a.startsWith("--port=")) {
      const value = a === "--port" ? argv[++i] : a.slice("--port=".length);
      port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        return `--port wants a port number (0: any free port), not ${JSON.stringify(value ?? "")}`;
    } else return `unknown argument ${JSON.stringify(a)}`;
  }
  return { json, port };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === "string") {
    console.error(`${args}\nusage: npm run sim -- [--json] [--port N]`);
    process.exit(2);
  }
  const sim = await startGitHubSim({ port: args.port });
  sim.addInstallation({ id: INSTALLATION_ID, account: { login: OWNER, type: "Organization" } });
  const repo = sim.addRepo({ installationId: INSTALLATION_ID, owner: OWNER, name: NAME, files: { ".packit.yaml": CONFIG } });
  const headSha = sim.headOf(OWNER, NAME);

  const dir = mkdtempSync(join(tmpdir(), "github-sim-"));
  const privateKeyPath = join(dir, "app.private-key.pem");
  writeFileSync(privateKeyPath, sim.privateKey, { mode: 0o600 });
  // The token is obtained as any App obtains one: a signed JWT exchanged over the API.
  const app = new ProbotOctokit({ auth: { appId: sim.appId, privateKey: sim.privateKey }, baseUrl: sim.url });
  const { token } = (await app.auth({ type: "installation", installationId: INSTALLATION_ID })) as { token: string };

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());

  const info = {
    url: sim.url,
    appId: sim.appId,
    privateKeyPath,
    webhookSecret: sim.webhookSecret,
    installationId: INSTALLATION_ID,
    repo: repo.full_name,
    headSha,
    token,
  };
  if (args.json) {
    console.log(JSON.stringify(info));
    return;
  }
  console.log(
    [
      `Simulated GitHub on ${sim.url} (Ctrl-C stops it)`,
      `  installation ${INSTALLATION_ID}: ${repo.full_name}, default branch ${repo.default_branch} at ${headSha}, with a .packit.yaml`,
      `  installation token (one hour): ${token}`,
      "",
      "Run the app against it:",
      `  APP_ID=${sim.appId} PRIVATE_KEY_PATH=${privateKeyPath} WEBHOOK_SECRET=${sim.webhookSecret} PACKIT__GITHUB__BASE_URL=${sim.url} npm start`,
    ].join("\n"),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
