import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { octokitExamplesDir, readDeliveries } from "../../testing/demo/recorded.js";
import { runReplay } from "../../testing/demo/replay.js";
import { pullRequestEvent, pushEvent } from "../../testing/github-sim/index.js";
import { DeliveryLog } from "../../src/webhooks/deliveries.js";
import { deliveriesSettled, randomSha, startWorld, type World } from "../support/env.js";

describe("every payload of @octokit/webhooks-examples, against the strict simulator", () => {
  it("reads the package's layout: every example of every event", () => {
    const read = readDeliveries(octokitExamplesDir());
    expect(read).toHaveLength(329);
    expect(read.filter((d) => "problem" in d)).toEqual([]);
    expect(read[0]).toMatchObject({ file: "branch_protection_rule[0]", event: "branch_protection_rule" });
  });

  it("replays all of them without an error: a repository the installation cannot read is ignored, with the reason", async () => {
    const summary = await runReplay(octokitExamplesDir(), { log: () => undefined });
    expect(summary).toMatchObject({ deliveries: 329, errors: 0, unhandled: 0 });
    expect(summary.handled + summary.ignored).toBe(329);
    // Codertocat/Hello-World belongs to another installation in these payloads: GitHub answers NOT_FOUND.
    const unreadable = summary.results.filter((r) => /not readable by the App/.test(r.detail ?? ""));
    expect(unreadable.length).toBeGreaterThan(0);
    for (const r of unreadable) expect(r).toMatchObject({ status: 200, outcome: "ignored" });
    expect(summary.results.every((r) => r.status === null || r.status < 500)).toBe(true);
  }, 300_000);
});

describe("permanent conditions are not errors", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  /** A world whose log lines are kept, to count what the app said about a delivery. */
  async function loggedWorld() {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    world = await startWorld(undefined, { log: await createLogger({ level: "info", destination }) });
    return { world, lines };
  }

  const metric = async (w: World, line: string) => {
    const text = await (await fetch(w.service.metricsUrl!)).text();
    return Number(
      text
        .split("\n")
        .find((l) => l.startsWith(line))
        ?.split(" ")
        .at(-1) ?? 0,
    );
  };

  it("answers 2xx for a repository the installation cannot read, counts it ignored and logs why once", async () => {
    const { world: w, lines } = await loggedWorld();
    // Another account's repository, not in installation 100.
    w.sim.addInstallation({ id: 200, account: { login: "other", type: "User" } });
    const foreign = { ...w.sim.addRepo({ installationId: 200, owner: "other", name: "secret", private: true }), installationId: 100 };
    const res = await w.send(
      "pull_request",
      pullRequestEvent("opened", { repo: foreign, number: 1, headSha: randomSha(), author: "other" }),
      "d-foreign",
    );
    expect(res.status).toBe(200);
    await deliveriesSettled(w);
    expect(await metric(w, 'packit_webhook_events_total{event="pull_request.opened",outcome="ignored"}')).toBe(1);
    expect(await metric(w, 'packit_webhook_events_total{event="pull_request.opened",outcome="error"}')).toBe(0);
    const said = lines.filter((l) => l.delivery === "d-foreign" && typeof l.why === "string");
    expect(said).toHaveLength(1);
    expect(said[0]!.why).toBe("repository other/secret is not readable by the App or no longer exists");
    expect(lines.filter((l) => l.delivery === "d-foreign" && l.level === 50)).toEqual([]);
  });

  it("answers 2xx for an installation that is gone: its token cannot be had", async () => {
    const { world: w, lines } = await loggedWorld();
    const orphan = { ...w.repo, installationId: 999 };
    const after = randomSha();
    const res = await w.send(
      "push",
      pushEvent({ repo: orphan, ref: "main", before: randomSha(), after, commits: [{ id: after, modified: [".packit.yaml"] }] }),
      "d-gone",
    );
    expect(res.status).toBe(200);
    await deliveriesSettled(w);
    expect(lines.filter((l) => l.delivery === "d-gone" && typeof l.why === "string").map((l) => l.why)).toEqual([
      "the installation of acme/widget no longer exists",
    ]);
  });

  it("retries what a retry can fix (GitHub failing the lookup), and after the last attempt counts the delivery an error that a redelivery runs again", async () => {
    const { world: w } = await loggedWorld();
    w.sim.failNext(1000, 502, { routeGroup: "graphql" }); // more than Octokit and the queue retry
    const after = randomSha();
    const payload = pushEvent({
      repo: w.repo,
      ref: "main",
      before: randomSha(),
      after,
      commits: [{ id: after, modified: [".packit.yaml"] }],
    });
    const res = await w.send("push", payload, "d-failing");
    expect(res.status).toBe(200); // recorded with its task: the retries are the app's
    await deliveriesSettled(w);
    expect(await new DeliveryLog(w.deps.db).outcome("d-failing")).toBe("error");
    expect(await metric(w, 'packit_webhook_events_total{event="push",outcome="error"}')).toBe(1);
    expect((await w.deps.db.get<{ attempts: number }>("SELECT attempts FROM tasks WHERE name = 'process-trigger'"))!.attempts).toBe(
      w.settings.worker.maxAttempts,
    );

    // The operator presses "Redeliver": the delivery is recorded again with a new task.
    expect((await w.send("push", payload, "d-failing")).status).toBe(200);
    expect((await w.deps.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM tasks WHERE name = 'process-trigger'"))!.n).toBe(2);
  });
});
