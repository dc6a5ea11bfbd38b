import { describe, expect, it } from "vitest";
import { afterCancel, kojiAuthOf } from "../../../src/backends/koji/client.js";
import { kwargs, sslLoginUrl, type MultiCallResult } from "../../../src/backends/koji/session.js";
import { oshAuthOf } from "../../../src/backends/openscanhub/client.js";
import { oshKrb5LoginUrl } from "../../../src/backends/openscanhub/session.js";
import { XmlRpcFault } from "../../../src/backends/xmlrpc/codec.js";
import { bindKojiArgs } from "../../../testing/fakes/koji-hub.js";

const ok = (value: unknown): MultiCallResult => ({ ok: true, value: value as never });
const fault = (code: number, text: string): MultiCallResult => ({ ok: false, fault: new XmlRpcFault(code, text) });

describe("koji keyword arguments (encode_args / decode_args)", () => {
  it("encodes them as a trailing __starstar struct, and the hub binds them to parameter names", () => {
    expect(kwargs({ request: true })).toEqual({ request: true, __starstar: true });
    expect(bindKojiArgs("getTaskInfo", ["task_id", "request", "strict"], [7, { strict: true, __starstar: true }])).toEqual([
      7,
      undefined,
      true,
    ]);
    expect(() => bindKojiArgs("getTaskInfo", ["task_id"], [7, { color: 1, __starstar: true }])).toThrow(
      "getTaskInfo() got an unexpected keyword argument 'color'",
    );
    expect(() => bindKojiArgs("getTaskInfo", ["task_id"], [7, { task_id: 8, __starstar: true }])).toThrow(
      "getTaskInfo() got multiple values for argument 'task_id'",
    );
    expect(() => bindKojiArgs("logout", [], [1])).toThrow("logout() takes at most 0 arguments (1 given)");
    // A struct without __starstar is a positional argument.
    expect(bindKojiArgs("build", ["src", "target", "opts"], ["s", "t", { scratch: true }])).toEqual(["s", "t", { scratch: true }]);
  });
});

describe("login URLs and methods", () => {
  it("koji logs in at <hub>/ssllogin; kobo at <root>/auth/krb5login/", () => {
    expect(sslLoginUrl("https://koji.fedoraproject.org/kojihub")).toBe("https://koji.fedoraproject.org/kojihub/ssllogin");
    expect(sslLoginUrl("https://koji.example/kojihub/")).toBe("https://koji.example/kojihub/ssllogin");
    expect(oshKrb5LoginUrl("https://openscanhub.fedoraproject.org/xmlrpc/client/")).toBe(
      "https://openscanhub.fedoraproject.org/auth/krb5login/",
    );
  });

  it("infers the login method from the settings, and has none without credentials", () => {
    expect(kojiAuthOf({ url: "u", principal: "p@R", keytab: "/k" })).toEqual({
      method: "gssapi",
      principal: "p@R",
      keytab: "/k",
      krb5Config: undefined,
    });
    expect(kojiAuthOf({ url: "u", certificate: "/c", key: "/k" })).toMatchObject({ method: "certificate" });
    expect(kojiAuthOf({ url: "u", token: "me:pa:ss" })).toEqual({ method: "password", user: "me", password: "pa:ss" });
    expect(kojiAuthOf({ url: "u" })).toEqual({ method: "none" });
    expect(kojiAuthOf({ url: "u", auth: "gssapi", principal: "p@R" })).toEqual({ method: "none" }); // no keytab
    expect(oshAuthOf({ url: "u", principal: "p@R", keytab: "/k" })).toMatchObject({ method: "gssapi" });
  });
});

describe("afterCancel (a task's outcome from its multiCall entries)", () => {
  it.each<[string, MultiCallResult, MultiCallResult, object]>([
    ["cancelled", ok(null), ok({ id: 1, state: 3 }), { kind: "cancelled" }],
    ["ended in between", ok(null), ok({ id: 1, state: 5 }), { kind: "already_finished", state: "failure" }],
    [
      "refused",
      fault(1004, "admin permission required (logged in as x)"),
      ok({ id: 1, state: 1 }),
      { kind: "error", message: "not allowed: admin permission required (logged in as x)" },
    ],
    ["unknown", fault(1000, "No such task: 1"), ok(null), { kind: "error", message: "No such task: 1" }],
    ["gone", ok(null), ok(null), { kind: "error", message: "Koji task 1 disappeared while cancelling" }],
    ["still open", ok(null), ok({ id: 1, state: 1 }), { kind: "error", message: "cancelTask returned but task 1 is still OPEN" }],
  ])("%s", (_what, cancelled, read, outcome) => expect(afterCancel(1, cancelled, read)).toEqual(outcome));
});
