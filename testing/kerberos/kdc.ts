/**
 * A throwaway MIT Kerberos realm for tests, the fakes CLI and the demo: Debian's
 * `krb5kdc`, its database made with `kdb5_util create` and principals and keytabs
 * made with `kadmin.local`, all in a fresh temp directory, listening on a free
 * loopback port (UDP and TCP), with its own `krb5.conf`.
 *
 * The realm's `krb5.conf` turns off DNS and reverse lookups (`rdns = false`,
 * `dns_canonicalize_hostname = false`), so a hub at `http://127.0.0.1:<port>` is
 * the service principal `HTTP/127.0.0.1@<REALM>` exactly as GSSAPI builds it from
 * `HTTP@127.0.0.1`.
 *
 * The KDC's own environment (`KRB5_CONFIG`, `KRB5_KDC_PROFILE`) is given to its
 * child processes only; nothing here touches this process's environment.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createSocket } from "node:dgram";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../../src/util/net.js";

const run = promisify(execFile);

const DEFAULT_REALM = "PACKIT.TEST";

/** The Debian programs a realm needs (`krb5-kdc`, `krb5-admin-server`). */
const PROGRAMS = ["krb5kdc", "kdb5_util", "kadmin.local"] as const;

/** Where a program is, or undefined: /usr/sbin is not on every PATH. */
function locate(program: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/sbin"]) {
    if (dir && existsSync(join(dir, program))) return join(dir, program);
  }
  return undefined;
}

interface PrincipalOptions {
  /** Longest ticket the KDC issues for it, in kadmin's words ("3 seconds", "10 hours"). */
  maxLife?: string;
}

export interface Kdc {
  readonly realm: string;
  readonly port: number;
  /** The realm's temp directory (database, keytabs, log). */
  readonly dir: string;
  /** The `krb5.conf` a client or server of this realm uses (`KRB5_CONFIG`). */
  readonly krb5Config: string;
  /** `name@REALM`. */
  principal(name: string): string;
  /** Create a principal with a random key; returns `name@REALM`. */
  addPrincipal(name: string, opts?: PrincipalOptions): Promise<string>;
  /** Add the current keys of `names` to the keytab at `path` (created if missing). */
  writeKeytab(path: string, names: readonly string[]): Promise<void>;
  /** Run kadmin.local queries (`delprinc -force x`, `cpw -randkey x`, `modprinc …`). */
  kadmin(...queries: string[]): Promise<void>;
  /** How many initial tickets (AS requests) the KDC issued to `name` so far, from its log. */
  ticketsIssued(name: string): number;
  stop(): Promise<void>;
}

/** Start a realm. Throws with the missing Debian package when the KDC is not installed. */
export async function startKdc(opts: { realm?: string } = {}): Promise<Kdc> {
  const missing = PROGRAMS.filter((p) => !locate(p));
  if (missing.length > 0) {
    throw new Error(`a test KDC needs ${missing.join(", ")}: apt-get install -y krb5-kdc krb5-admin-server`);
  }
  const realm = opts.realm ?? DEFAULT_REALM;
  // The port is probed, then bound by krb5kdc: another process may take it in between, so try a few.
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), "packit-kdc-"));
    try {
      return await startIn(dir, realm, await freeUdpAndTcpPort());
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      if (attempt >= 3) throw err;
    }
  }
}

async function startIn(dir: string, realm: string, port: number): Promise<Kdc> {
  const krb5Config = join(dir, "krb5.conf");
  const kdcConfig = join(dir, "kdc.conf");
  const log = join(dir, "kdc.log");
  writeFileSync(
    krb5Config,
    [
      "[libdefaults]",
      `  default_realm = ${realm}`,
      "  dns_lookup_kdc = false",
      "  dns_lookup_realm = false",
      "  dns_canonicalize_hostname = false",
      "  rdns = false",
      "  udp_preference_limit = 1",
      "[realms]",
      `  ${realm} = {`,
      `    kdc = 127.0.0.1:${port}`,
      "  }",
      "[domain_realm]",
      `  127.0.0.1 = ${realm}`,
      `  localhost = ${realm}`,
      "",
    ].join("\n"),
  );
  writeFileSync(
    kdcConfig,
    [
      "[kdcdefaults]",
      `  kdc_listen = 127.0.0.1:${port}`,
      `  kdc_tcp_listen = 127.0.0.1:${port}`,
      "[realms]",
      `  ${realm} = {`,
      `    database_name = ${join(dir, "principal")}`,
      `    key_stash_file = ${join(dir, "stash")}`,
      `    acl_file = ${join(dir, "kadm5.acl")}`,
      "    supported_enctypes = aes256-cts-hmac-sha1-96:normal",
      "  }",
      "[logging]",
      `  kdc = FILE:${log}`,
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "kadm5.acl"), "");
  const env = { ...process.env, KRB5_CONFIG: krb5Config, KRB5_KDC_PROFILE: kdcConfig };
  const kadminPath = locate("kadmin.local")!;

  // The master password protects a database that lives for one test run.
  const master = Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  await run(locate("kdb5_util")!, ["create", "-s", "-r", realm, "-P", master], { env });

  // The KDC must not outlive this process, however it ends (a test worker is often
  // killed, and "exit" handlers do not run then): a shell holds our end of a pipe
  // and stops the KDC, and removes the realm, when the pipe closes.
  const watchdog =
    'exec 3<&0; "$0" -n -P "$1/kdc.pid" & kdc=$!; (read -r _ <&3; kill "$kdc" 2>/dev/null) & wait "$kdc"; status=$?; rm -rf "$1"; exit $status';
  const child: ChildProcess = spawn("/bin/sh", ["-c", watchdog, locate("krb5kdc")!, dir], { env, stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin?.end();
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForLog(log, child, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  // Running, it must not hold this process open: a demo or CLI that is done exits, the
  // pipe closes and the watchdog stops the KDC (stop() still ends it at once).
  child.unref();
  for (const stream of [child.stdin, child.stderr]) (stream as Socket | null)?.unref();

  const kadmin = async (...queries: string[]) => {
    for (const q of queries) {
      const { stderr: err } = await run(kadminPath, ["-q", q], { env });
      // kadmin.local exits 0 even when a query fails; its complaint is on stderr.
      const complaint = err.split("\n").find((l) => l.trim() && !/^Authenticating as|No policy specified|defaulting to no policy/.test(l));
      if (complaint) throw new Error(`kadmin.local ${q.split(" ")[0]}: ${complaint.trim()}`);
    }
  };
  const principal = (name: string) => (name.includes("@") ? name : `${name}@${realm}`);

  return {
    realm,
    port,
    dir,
    krb5Config,
    principal,
    async addPrincipal(name, popts = {}) {
      const life = popts.maxLife ? ` -maxlife "${popts.maxLife}"` : "";
      await kadmin(`addprinc -randkey${life} ${principal(name)}`);
      return principal(name);
    },
    async writeKeytab(path, names) {
      // -norandkey exports the current keys: a second keytab of the same principal stays valid.
      for (const n of names) await kadmin(`ktadd -norandkey -k ${path} ${principal(n)}`);
      chmodSync(path, 0o600);
    },
    kadmin,
    ticketsIssued(name) {
      const p = principal(name);
      const text = existsSync(log) ? readFileSync(log, "utf8") : "";
      return text.split("\n").filter((l) => l.includes("AS_REQ") && l.includes("ISSUE") && l.includes(`, ${p} for krbtgt/`)).length;
    },
    stop,
  };
}

/** Resolve once the KDC logs "commencing operation"; reject when it exits first or takes over 10 s. */
async function waitForLog(log: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (existsSync(log) && readFileSync(log, "utf8").includes("commencing operation")) return;
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").slice(-3).join("; ") : "";
      throw new Error(`krb5kdc exited (${child.exitCode ?? child.signalCode}): ${stderr().trim() || tail}`);
    }
    if (Date.now() > deadline) throw new Error("krb5kdc did not start within 10 s");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A port free for TCP and UDP on 127.0.0.1 at the time of asking (the KDC serves both). */
async function freeUdpAndTcpPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    const udpFree = await new Promise<boolean>((resolve) => {
      const sock = createSocket("udp4");
      sock.once("error", () => resolve(false));
      sock.bind(port, "127.0.0.1", () => sock.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}
