/**
 * Contract: the fake Koji answers the calls recorded from a real hub
 * (`test/fixtures/api-samples/koji`, copied from `../shared/api-samples/koji`, koji's own CLI test data) with answers of the
 * same shape — the same fields, each of the same XML-RPC type — and the same
 * fault codes.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xmlRpcCall } from "../../../src/backends/xmlrpc/client.js";
import { XmlRpcFault, type XmlRpcValue } from "../../../src/backends/xmlrpc/codec.js";
import { kwargs } from "../../../src/backends/koji/session.js";
import { startKojiFake, type KojiFake } from "../../../testing/fakes/koji.js";

const SAMPLES = join(import.meta.dirname, "..", "..", "fixtures", "api-samples", "koji");
interface Recorded {
  method: string;
  args: XmlRpcValue[];
  kwargs: Record<string, XmlRpcValue>;
  result?: XmlRpcValue;
  fault?: { faultCode: number; faultString: string };
}
const recorded = (file: string): Recorded[] => JSON.parse(readFileSync(join(SAMPLES, file), "utf8")) as Recorded[];

/** The JSON type of a value, as the recordings can tell them apart (ints and floats are both numbers). */
function typeOf(v: unknown): string {
  return v === null || v === undefined ? "null" : Array.isArray(v) ? "array" : typeof v;
}
function shape(v: XmlRpcValue | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .map(([k, x]): [string, string] => [k, typeOf(x)])
      .sort(),
  );
}

let fake: KojiFake;
let session: Record<string, unknown>;
const STATE_NAMES: Record<number, "FREE" | "OPEN" | "CLOSED" | "FAILED"> = { 0: "FREE", 1: "OPEN", 2: "CLOSED", 5: "FAILED" };

/** A task of ours in `state`, built like the recorded one. */
async function taskIn(state: number): Promise<number> {
  const headers = {
    "Koji-Session-Id": String(session["session-id"]),
    "Koji-Session-Key": String(session["session-key"]),
    "Koji-Session-Callnum": String(Date.now()),
  };
  const id = (await xmlRpcCall("koji", fake.hubUrl, "build", ["git://git.example/fake.git#master", "f24", { skip_tag: true }], {
    headers,
  })) as number;
  if (STATE_NAMES[state] === "OPEN") fake.start(id);
  if (STATE_NAMES[state] === "CLOSED" || STATE_NAMES[state] === "FAILED") fake.finish(id, STATE_NAMES[state]);
  return id;
}

beforeAll(async () => {
  if (!existsSync(SAMPLES)) throw new Error(`the recorded samples are missing: ${SAMPLES} (test/fixtures/api-samples)`);
  fake = await startKojiFake({ phaseMs: Infinity });
  session = (await xmlRpcCall("koji", fake.hubUrl, "login", ["packit", "packit-password"])) as Record<string, unknown>;
});
afterAll(() => fake?.stop());

const calls = [...recorded("koji_recorded_calls_watchtasks1.json"), ...recorded("koji_recorded_calls_watchtasks2.json")];
// Child tasks (buildSRPMFromSCM, buildArch) come from real builders; the fake runs no builders.
const topLevelTaskInfos = calls.filter((c) => c.method === "getTaskInfo" && (c.result as { parent: unknown }).parent === null);

describe("the fake Koji answers the recorded calls of a real hub", () => {
  it.each(topLevelTaskInfos.map((c) => [(c.result as { state: number }).state, c] as const))(
    "getTaskInfo(id, request=True) of a task in state %i: same fields, same types",
    async (state, call) => {
      const id = await taskIn(state);
      const answer = await xmlRpcCall("koji", fake.hubUrl, "getTaskInfo", [id, kwargs(call.kwargs)]);
      expect(shape(answer)).toEqual(shape(call.result));
      expect((answer as { request: unknown[] }).request).toHaveLength((call.result as { request: unknown[] }).request.length);
    },
  );

  it("getTaskChildren answers a list; getHost a host with the recorded fields", async () => {
    const id = await taskIn(1);
    expect(Array.isArray(await xmlRpcCall("koji", fake.hubUrl, "getTaskChildren", [id]))).toBe(true);
    const host = calls.find((c) => c.method === "getHost")!;
    expect(shape(await xmlRpcCall("koji", fake.hubUrl, "getHost", host.args))).toEqual(shape(host.result));
  });

  it("getTaskResult of a failed build is a fault with the recorded code", async () => {
    const recordedFault = calls.find((c) => c.method === "getTaskResult")!.fault!;
    const err = await xmlRpcCall("koji", fake.hubUrl, "getTaskResult", [await taskIn(5)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XmlRpcFault);
    expect((err as XmlRpcFault).code).toBe(recordedFault.faultCode);
  });
});
