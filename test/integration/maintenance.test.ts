import { sqliteOf, waitFor } from "../support/db.js";
import { afterEach, describe, expect, it } from "vitest";
import { startEnvironment, type Environment } from "../../testing/demo/environment.js";
import { installationEvent } from "../../testing/github-sim/index.js";
import { AuditLog } from "../../src/audit/index.js";
import { runSweep } from "../../src/maintenance/sweep.js";
import { DeliveryLog } from "../../src/webhooks/deliveries.js";

const DAY = 86_400_000;
const old = new Date(Date.now() - 40 * DAY).toISOString();
const CONFIG = "jobs:\n  - job: copr_build\n    trigger: pull_request\n    targets: [fedora-rawhide-x86_64]\n";

/** Installs: 1 (old, 3 repos, one configured), 2 and 3 (old, no config anywhere), 4 (young, no config). */
async function world(): Promise<Environment> {
  const env = await startEnvironment();
  const add = async (id: number, login: string, createdAt: string, repos: { name: string; config?: boolean }[]) => {
    const installation = env.sim.addInstallation({ id, account: { login, type: "Organization" }, createdAt });
    const simRepos = repos.map((r) =>
      env.sim.addRepo({ installationId: id, owner: login, name: r.name, files: r.config ? { ".packit.yaml": CONFIG } : {} }),
    );
    const res = await env.send("installation", installationEvent("created", { installation, repositories: simRepos, sender: login }));
    expect(res.status).toBe(200);
  };
  await add(1, "configured-org", old, [{ name: "a" }, { name: "b", config: true }, { name: "c" }]);
  await add(2, "idle-org", old, [{ name: "x" }, { name: "y" }]);
  await add(3, "idle-user", old, [{ name: "z" }]);
  await add(4, "new-org", new Date().toISOString(), [{ name: "n" }]);
  // Answered is not yet stored: the installations' tasks store them.
  const deliveries = new DeliveryLog(env.deps.db);
  await waitFor(async () => (await deliveries.unfinished()) === 0, 10_000, "the installation events to be stored");
  return env;
}

const decisions = (res: Awaited<ReturnType<typeof runSweep>>) => Object.fromEntries(res!.decisions.map((d) => [d.login, d.action]));
const suspended = (env: Environment) =>
  env.sim
    .installations()
    .filter((i) => i.suspended_at)
    .map((i) => i.id);

describe("maintenance sweep", () => {
  let env: Environment | undefined;
  afterEach(async () => {
    await env?.stop();
    env = undefined;
  });

  it("in report mode only reports, and audits every decision", async () => {
    env = await world();
    const res = await runSweep(env.deps);
    expect(decisions(res)).toEqual({ "configured-org": "kept", "idle-org": "reported", "idle-user": "reported", "new-org": "kept" });
    expect(suspended(env)).toEqual([]);
    const audit = await new AuditLog(env.deps.db).list({ actionPrefix: "maintenance." });
    expect(audit.map((a) => a.action).sort()).toEqual([
      "maintenance.kept",
      "maintenance.kept",
      "maintenance.reported",
      "maintenance.reported",
    ]);
  });

  it("in suspend mode suspends the old unconfigured installations on GitHub, and keeps the configured one whole", async () => {
    env = await world();
    env.deps.settings.maintenance.mode = "suspend";
    expect(decisions(await runSweep(env.deps))).toEqual({
      "configured-org": "kept",
      "idle-org": "suspended",
      "idle-user": "suspended",
      "new-org": "kept",
    });
    expect(suspended(env).sort()).toEqual([2, 3]);
    // Suspended installations are not swept again.
    expect(decisions(await runSweep(env.deps))["idle-org"]).toBe("skipped");
  });

  it("in uninstall mode deletes them", async () => {
    env = await world();
    env.deps.settings.maintenance.mode = "uninstall";
    await runSweep(env.deps);
    expect(
      env.sim
        .installations()
        .filter((i) => i.deleted)
        .map((i) => i.id)
        .sort(),
    ).toEqual([2, 3]);
  });

  it("respects the per-run cap", async () => {
    env = await world();
    Object.assign(env.deps.settings.maintenance, { mode: "suspend", maxActionsPerRun: 1 });
    const res = await runSweep(env.deps);
    expect(suspended(env)).toHaveLength(1);
    expect(res!.capped).toBe(1);
    expect(res!.decisions.find((d) => d.action === "skipped")?.reason).toMatch(/cap of 1/);
  });

  it("skips an installation whose config lookup fails, and acts on the others", async () => {
    env = await world();
    await runSweep(env.deps, { dryRun: true }); // every answer cached and fresh
    // Forget idle-org's answers so the next sweep must look them up, and make that lookup fail for good.
    sqliteOf(env.deps.db)
      .prepare("DELETE FROM config_state WHERE repo_id IN (SELECT id FROM repositories WHERE installation_id = 2)")
      .run();
    env.sim.failNext(4, 500, { routeGroup: "graphql" });
    env.deps.settings.maintenance.mode = "suspend";
    const res = await runSweep(env.deps);
    expect(res!.decisions.find((d) => d.login === "idle-org")).toMatchObject({
      action: "skipped",
      reason: expect.stringMatching(/lookup failed/),
    });
    expect(decisions(res)["idle-user"]).toBe("suspended");
    expect(suspended(env)).toEqual([3]);
  });

  it("changes nothing in a dry run", async () => {
    env = await world();
    env.deps.settings.maintenance.mode = "uninstall";
    const res = await runSweep(env.deps, { dryRun: true });
    expect(decisions(res)["idle-org"]).toBe("uninstalled");
    expect(env.sim.installations().filter((i) => i.deleted || i.suspended_at)).toEqual([]);
    expect(await new AuditLog(env.deps.db).list({ actionPrefix: "maintenance." })).toEqual([]);
  });
});
