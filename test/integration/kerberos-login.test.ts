/**
 * A Kerberos login that fails (here: a principal the KDC does not know) ends the
 * Koji job in error with "Koji login failed: <why>" on its check run and in the
 * log — the service keeps running and nothing is submitted.
 */
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { pullRequestEvent } from "../../testing/github-sim/index.js";
import { kerberosRealm } from "../../testing/kerberos/realm.js";
import { checksOf, randomSha, startWorld, waitForChecks, type World } from "../support/env.js";

const CONFIG = `
specfile_path: widget.spec
jobs:
  - job: upstream_koji_build
    trigger: pull_request
    targets: [fedora-rawhide]
`;

describe("a failing Kerberos login, seen by a user", () => {
  let world: World;
  const logs: string[] = [];
  beforeAll(async () => {
    const realm = await kerberosRealm();
    // In the app's keytab, unknown to the KDC: the operator's keytab names a principal that was removed.
    await realm.kdc.addPrincipal("retired");
    await realm.kdc.writeKeytab(realm.appKeytab, ["retired"]);
    await realm.kdc.kadmin(`delprinc -force ${realm.kdc.principal("retired")}`);
    const log = await createLogger({ level: "info", destination: new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }) });
    world = await startWorld(CONFIG, { log, settings: { backends: { koji: { principal: realm.kdc.principal("retired") } } } });
  });
  afterAll(() => world?.stop());

  it("ends the Koji job in error with 'Koji login failed: …' on its check run and in the log", async () => {
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 3, headSha: sha, author: "contributor" }));
    await waitForChecks(world, sha, (c) => c["koji-build:rawhide"]?.startsWith("completed") ?? false, "the Koji check to end");
    expect(checksOf(world, sha)["koji-build:rawhide"]).toBe("completed:failure");
    const run = world.sim.checkRuns("acme", "widget", sha).find((c) => c.name === "koji-build:rawhide")!;
    const shown = `${run.output?.title ?? ""}\n${run.output?.summary ?? ""}`;
    expect(shown).toContain("Koji login failed: Client 'retired@PACKIT.TEST' not found in Kerberos database");
    expect(logs.join("")).toContain("Koji login failed: Client 'retired@PACKIT.TEST' not found in Kerberos database");
    expect(world.fakes.koji.submissions).toBe(0);
  });
});
