import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "../src/util/net.js";
import { FAKE_COPR_ACCOUNT } from "./fakes/copr.js";
import { FAKE_TF_API_KEY } from "./fakes/testing-farm.js";
import { waitFor } from "./wait.js";

/**
 * The environment of a real server process for kill tests: App credentials of the
 * simulated GitHub, a SQLite file (or a PostgreSQL database), short worker and poll
 * timings, and the fake Copr (and Testing Farm) it submits to.
 */
export function killTestEnv(
  o: {
    sim: { appId: number; privateKey: string; webhookSecret: string; url: string };
    coprUrl: string;
    testingFarmUrl?: string;
  } & ({ databasePath: string } | { databaseUrl: string }),
): Record<string, string> {
  return {
    APP_ID: String(o.sim.appId),
    PRIVATE_KEY: o.sim.privateKey,
    WEBHOOK_SECRET: o.sim.webhookSecret,
    ...("databaseUrl" in o ? { DATABASE_URL: o.databaseUrl } : { PACKIT__DATABASE__PATH: o.databasePath }),
    PACKIT__WORKER__POLL_INTERVAL_MS: "50",
    PACKIT__WORKER__LEASE_MS: "800",
    PACKIT__WORKER__RETRY_BASE_MS: "50",
    PACKIT__WORKER__RETRY_MAX_MS: "200",
    PACKIT__POLLING__INTERVAL_MS: "60",
    PACKIT__POLLING__MAX_INTERVAL_MS: "200",
    PACKIT__CHECKS__FLUSH_WINDOW_MS: "10",
    PACKIT__CRON__ENABLED: "false",
    // The simulated installation is the operator's own (the gate is tested in approval.test.ts).
    PACKIT__APPROVAL__INSTALLATIONS: "open",
    PACKIT__GITHUB__BASE_URL: o.sim.url,
    PACKIT__GITHUB__WRITE_INTERVAL_MS: "20",
    PACKIT__BACKENDS__COPR__URL: o.coprUrl,
    PACKIT__BACKENDS__COPR__LOGIN: FAKE_COPR_ACCOUNT.login,
    PACKIT__BACKENDS__COPR__USERNAME: FAKE_COPR_ACCOUNT.username,
    PACKIT__BACKENDS__COPR__TOKEN: FAKE_COPR_ACCOUNT.token,
    ...(o.testingFarmUrl
      ? { PACKIT__BACKENDS__TESTING_FARM__URL: o.testingFarmUrl, PACKIT__BACKENDS__TESTING_FARM__API_KEY: FAKE_TF_API_KEY }
      : {}),
  };
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** kill -9: no shutdown code runs. */
  kill(): Promise<void>;
}

/**
 * Start the real service (`src/main.ts`, with `opts.args`) as a child process with `env`,
 * and wait until /readyz answers. `preload`: modules the child imports first (`node --import`).
 */
export async function startServerProcess(
  env: Record<string, string>,
  opts: { preload?: string[]; args?: string[] } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    LOG_LEVEL: "warn",
    ...env,
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_FORMAT: "json",
    NODE_ENV: "test",
  };
  const child = spawn(
    process.execPath,
    ["--import", "tsx", ...(opts.preload ?? []).flatMap((m) => ["--import", m]), "src/main.ts", ...(opts.args ?? [])],
    { env: childEnv, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  // A process killed by a signal has a signalCode and no exitCode.
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  let ready = false;
  const poll = setInterval(() => {
    fetch(`${url}/readyz`).then(
      (r) => (ready = r.ok),
      () => undefined,
    );
  }, 50);
  try {
    await waitFor(() => ready || exited(), 30_000, "the server process to be ready");
  } finally {
    clearInterval(poll);
  }
  if (!ready) throw new Error(`server exited early:\n${out}`);
  return {
    url,
    child,
    output: () => out,
    async kill() {
      if (exited()) return;
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await gone;
    },
  };
}
