/**
 * Python's own xmlrpc.client — what koji and kobo are built on — gets from the fake
 * Koji and fake OpenScanHub what it gets from the real hubs: nil as None, faults
 * with the hubs' codes and texts, `system.multicall` and koji's `multiCall`,
 * keyword arguments as `__starstar`, and sessions in headers or a cookie.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKojiFake, type KojiFake } from "../../../testing/fakes/koji.js";
import { startOpenScanHubFake, type OpenScanHubFake } from "../../../testing/fakes/openscanhub.js";

const run = promisify(execFile);
let koji: KojiFake;
let osh: OpenScanHubFake;

beforeAll(async () => {
  // Password login (the fakes' default users): Python's standard library has no GSSAPI.
  [koji, osh] = await Promise.all([startKojiFake({ phaseMs: Infinity }), startOpenScanHubFake({ phaseMs: Infinity })]);
});
afterAll(() => Promise.all([koji?.stop(), osh?.stop()]));

describe("python3 xmlrpc.client against the fake hubs", () => {
  it("decodes the values, faults, multicalls and keyword-argument calls koji and kobo rely on", async () => {
    const script = join(import.meta.dirname, "python", "hub_calls.py");
    const { stdout } = await run("python3", [script, koji.hubUrl, osh.hubUrl], { timeout: 20_000 });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out).toEqual({
      koji_unknown_task: null,
      koji_login_keys: ["header-auth", "session-id", "session-key"],
      koji_task_is_int: true,
      koji_kwargs_request: ["git+https://github.com/o/r.git#abc", "rawhide", { scratch: true }],
      koji_kwargs_state: 0,
      koji_bad_kwarg: { faultCode: 1019, faultString: "getTaskInfo() got an unexpected keyword argument 'nonsense'" },
      koji_anonymous_cancel: { faultCode: 1004, faultString: "admin permission required (user not logged in)" },
      koji_multicall: [
        { value: true },
        { value: null },
        { value: { id: 1, name: "packit", status: 0, usertype: 0, krb_principals: [] } },
        { faultCode: 1000, faultString: "Invalid method: noSuchMethod" },
      ],
      koji_multiCall: [[null], { faultCode: 1000, faultString: "No such task: 424242" }, [3]],
      koji_logout: null,
      osh_unknown_task_info: {},
      osh_task_info_fault: { faultCode: 1, faultString: "DoesNotExist: Task matching query does not exist." },
      osh_renew_without_session: true,
      osh_cancel_without_session: { faultCode: 1, faultString: "PermissionDenied: Login required." },
      osh_renew_with_session: false,
      osh_cancel_unknown: "Specified task 999 does not exist.",
      osh_logout: null,
    });
    expect(koji.openSessions()).toEqual([]);
    expect(osh.openSessions()).toEqual([]);
  });
});
