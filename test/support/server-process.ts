import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "../../src/util/net.js";
import { waitFor } from "./db.js";

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
export async function startServerProcess(env: Record<string, string>, opts: { preload?: string[]; args?: string[] } = {}): Promise<ServerProcess> {
  const port = await freePort();
  const childEnv: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: "warn", ...env, PORT: String(port), HOST: "127.0.0.1", LOG_FORMAT: "json", NODE_ENV: "test" };
  const child = spawn(process.execPath, ["--import", "tsx", ...(opts.preload ?? []).flatMap((m) => ["--import", m]), "src/main.ts", ...(opts.args ?? [])], { env: childEnv as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  // A process killed by a signal has a signalCode and no exitCode.
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  let ready = false;
  const poll = setInterval(() => {
    fetch(`${url}/readyz`).then((r) => (ready = r.ok), () => undefined);
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
