import { afterEach, describe, expect, it } from "vitest";
import { startWorld, type World } from "../support/env.js";

describe("/metrics is not on the public port", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it("is served on a port of its own (loopback), with the builder time saved counter; the public port answers 404", async () => {
    world = await startWorld(null, { settings: { metrics: { port: 0 } } });
    expect((await fetch(`${world.service.url}/metrics`)).status).toBe(404);
    const own = world.service.metricsUrl!;
    expect(own).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(own.startsWith(world.service.url)).toBe(false);
    const res = await fetch(own);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("# TYPE packit_builder_time_saved_seconds_total counter");
  });

  it("with `metrics.token`, is served on the public port only to a request bearing it", async () => {
    const token = "s3cret-token-for-prometheus";
    world = await startWorld(null, { settings: { metrics: { token } } });
    expect(world.service.metricsUrl).toBe(`${world.service.url}/metrics`);
    const anonymous = await fetch(`${world.service.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain(token);
    expect((await fetch(`${world.service.url}/metrics`, { headers: { authorization: "Bearer wrong-token-of-same-len" } })).status).toBe(
      401,
    );
    const ok = await fetch(`${world.service.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("# TYPE packit_queue_tasks gauge");
  });
});
