/**
 * Contract: what the recorded OpenScanHub samples (`test/fixtures/api-samples/openscanhub`, copied from the shared samples,
 * the hub's task.started / task.finished messages as Packit consumes them) say
 * about the real hub, checked against the client and the fake. The samples hold no
 * XML-RPC answers; what they do fix is the task page layout and that a finished,
 * successful task is a success.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mapState, oshTaskUrl } from "../../../src/backends/openscanhub/task.js";
import { xmlRpcCall } from "../../../src/backends/xmlrpc/client.js";
import { startOpenScanHubFake, type OpenScanHubFake } from "../../../testing/fakes/openscanhub.js";

const SAMPLES = join(import.meta.dirname, "..", "..", "fixtures", "api-samples", "openscanhub");
const sample = (name: string) => JSON.parse(readFileSync(join(SAMPLES, name), "utf8")) as Record<string, unknown>;

let fake: OpenScanHubFake;
beforeAll(async () => {
  if (!existsSync(SAMPLES)) throw new Error(`the recorded samples are missing: ${SAMPLES} (test/fixtures/api-samples)`);
  fake = await startOpenScanHubFake({ phaseMs: Infinity });
});
afterAll(() => fake?.stop());

describe("OpenScanHub samples", () => {
  it("the task page the client links is the one the hub's messages point into", () => {
    const finished = sample("packit_fedmsg_openscanhub_task_finished.json");
    const started = sample("packit_fedmsg_openscanhub_task_started.json");
    expect(started.task_id).toBe(finished.task_id);
    const page = new URL(oshTaskUrl("https://openscanhub.fedoraproject.org/xmlrpc/client/", finished.task_id as number));
    for (const key of ["added.js", "fixed.js", "scan-results.js"]) {
      expect(new URL(finished[key] as string).pathname.startsWith(page.pathname)).toBe(true);
    }
  });

  it("a task the fake finishes as CLOSED is what the hub announces as status success", async () => {
    expect(sample("packit_fedmsg_openscanhub_task_finished.json").status).toBe("success");
    // An unknown task is {} on the real hub (scan.get_task_info): the fake's answer, read as kobo's Task.export.
    expect(await xmlRpcCall("openscanhub", fake.hubUrl, "scan.get_task_info", [15649])).toEqual({});
    expect(mapState(3)).toBe("success"); // kobo CLOSED
  });
});
