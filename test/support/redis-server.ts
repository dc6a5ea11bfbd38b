import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../src/util/net.js";

export interface RedisServer {
  /** redis://127.0.0.1:<port> */
  url: string;
  stop(): Promise<void>;
}

/**
 * A real `redis-server` (Debian's package; `.ci/run` installs it) on 127.0.0.1 and
 * a free port, in a fresh temp directory, nothing persisted; `stop()` ends it and
 * removes the directory.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "packit-redis-"));
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  const ready = new Promise<void>((resolve, reject) => {
    child.once("error", (err) => reject(new Error(`redis-server could not start (apt-get install redis-server): ${err.message}`)));
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}:\n${out.slice(-2000)}`)));
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("Ready to accept connections")) resolve();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
  });
  try {
    await ready;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
