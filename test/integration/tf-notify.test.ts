import { afterEach, describe, expect, it } from "vitest";
import { pullRequestEvent } from "../../testing/github-sim/index.js";
import { TESTING_FARM_NOTIFY_PATH } from "../../src/pipeline/notifications.js";
import { randomSha, startWorld, waitFor, waitForChecks, type World } from "../support/env.js";

const TESTS_ONLY = "jobs:\n  - job: tests\n    trigger: pull_request\n    skip_build: true\n    targets: [fedora-rawhide-x86_64]\n";
const TOKEN = "tf-notification-secret-0123456789";

describe("Testing Farm notifications", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  const notify = (w: World, body: unknown) =>
    fetch(`${w.service.url}${TESTING_FARM_NOTIFY_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("a notification brings the result in at once instead of at the next poll", async () => {
    world = await startWorld(TESTS_ONLY, {
      phaseMs: 100,
      settings: {
        polling: { intervalMs: 60_000, maxIntervalMs: 60_000 },
        backends: { testingFarm: { notify: { url: "https://packit.example/api/testing-farm/notify", token: TOKEN } } },
      },
    });
    const sha = randomSha();
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 1, headSha: sha, author: "contributor" }));
    await waitFor(() => world!.fakes.testingFarm.requests().length === 1, 10_000, "the test request");
    const request = world.fakes.testingFarm.requests()[0]!;
    expect(
      (JSON.parse(world.fakes.testingFarm.calls.find((c) => c.method === "POST")!.body) as { notification: unknown }).notification,
    ).toEqual({
      webhook: { url: "https://packit.example/api/testing-farm/notify", token: TOKEN },
    });

    // TF finishes; the next poll is a minute away.
    await waitFor(() => world!.fakes.testingFarm.requests()[0]!.state === "complete", 10_000, "Testing Farm to finish the request");
    expect((await notify(world, { request_id: request.id, token: "wrong-token-wrong-token-wrong" })).status).toBe(401);
    expect((await notify(world, { request_id: request.id, token: TOKEN })).status).toBe(202);
    const checks = await waitForChecks(
      world,
      sha,
      (c) => c["testing-farm:fedora-rawhide-x86_64"] === "completed:success",
      "the result",
      3000,
    );
    expect(checks["testing-farm:fedora-rawhide-x86_64"]).toBe("completed:success");
  });
});
