import { describe, expect, it } from "vitest";
import {
  decodeCall,
  decodeResponse,
  encodeCall,
  encodeFault,
  encodeResponse,
  XmlRpcFault,
  XmlRpcParseError,
} from "../../../src/backends/xmlrpc/codec.js";
import { BackendError } from "../../../src/errors.js";

const roundTrip = (v: unknown) => decodeResponse(encodeResponse(v));
const response = (inner: string) =>
  `<?xml version="1.0"?><methodResponse><params><param><value>${inner}</value></param></params></methodResponse>`;

describe("XML-RPC codec: round trips", () => {
  it.each([
    ["int", 42],
    ["negative int", -7],
    ["zero", 0],
    ["int32 max", 2 ** 31 - 1],
    ["i8 above int32", 2 ** 40],
    ["negative i8", -(2 ** 33)],
    ["double", 3.25],
    ["negative double", -0.5],
    ["true", true],
    ["false", false],
    ["string", "hello"],
    ["empty string", ""],
    ["nil", null],
  ])("%s", (_name, v) => {
    expect(roundTrip(v)).toEqual(v);
  });

  it("bigint beyond 2^53 travels as i8", () => {
    const big = 2n ** 62n;
    expect(encodeResponse(big)).toContain(`<i8>${big}</i8>`);
    expect(roundTrip(big)).toBe(big);
  });

  it("chooses int, i8 and double tags", () => {
    expect(encodeResponse(5)).toContain("<int>5</int>");
    expect(encodeResponse(2 ** 31)).toContain("<i8>2147483648</i8>");
    expect(encodeResponse(1.5)).toContain("<double>1.5</double>");
    expect(encodeResponse(true)).toContain("<boolean>1</boolean>");
    expect(encodeResponse(null)).toContain("<nil/>");
  });

  it("dateTime.iso8601 (UTC, second precision)", () => {
    const d = new Date(Date.UTC(2024, 1, 29, 13, 5, 9));
    expect(encodeResponse(d)).toContain("<dateTime.iso8601>20240229T13:05:09</dateTime.iso8601>");
    expect(roundTrip(d)).toEqual(d);
    expect(decodeResponse(response("<dateTime.iso8601>2024-02-29T13:05:09Z</dateTime.iso8601>"))).toEqual(d);
    expect(decodeResponse(response("<dateTime.iso8601>20240229T15:05:09+02:00</dateTime.iso8601>"))).toEqual(d);
  });

  it("base64 ↔ Buffer", () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    expect(encodeResponse(bytes)).toContain(`<base64>${bytes.toString("base64")}</base64>`);
    expect(roundTrip(bytes)).toEqual(bytes);
    expect(decodeResponse(response("<base64>\n  aGVs\n  bG8=\n</base64>"))).toEqual(Buffer.from("hello"));
  });

  it("nested arrays and structs", () => {
    const v = {
      id: 12,
      request: ["git+https://x/y#abc", "f40", { scratch: true, custom_user_metadata: { packit_token: "t" } }],
      empty: [],
      emptyStruct: {},
      deep: [[1, [2, [null, { a: [true] }]]]],
    };
    expect(roundTrip(v)).toEqual(v);
  });

  it("skips undefined struct members and encodes undefined array items as nil", () => {
    expect(roundTrip({ a: 1, b: undefined })).toEqual({ a: 1 });
    expect(roundTrip([1, undefined])).toEqual([1, null]);
  });

  it("escapes and restores entities and whitespace exactly", () => {
    const s = "  a & b < c > d \"q\" 'a' \r\n\ttab  \n ";
    const xml = encodeResponse({ [s]: s });
    expect(xml).toContain("&amp;");
    expect(xml).toContain("&lt;");
    expect(xml).toContain("&#13;");
    expect(roundTrip({ [s]: s })).toEqual({ [s]: s });
    expect(roundTrip("ünïcödé ✓ 😀")).toBe("ünïcödé ✓ 😀");
  });

  it("decodes character references and CDATA", () => {
    expect(decodeResponse(response("<string>&#65;&#x42;&quot;&apos;&lt;</string>"))).toBe("AB\"'<");
    expect(decodeResponse(response("<string><![CDATA[<raw> &amp;]]></string>"))).toBe("<raw> &amp;");
  });

  it("reads bare text without a type tag as a string, whitespace included", () => {
    expect(decodeResponse(response("  bare &amp; text "))).toBe("  bare & text ");
    expect(decodeResponse(response(""))).toBe("");
    expect(decodeResponse(response("<string/>"))).toBe("");
  });

  it("keeps a __proto__ member as an own property", () => {
    const v = decodeResponse(response("<struct><member><name>__proto__</name><value><int>1</int></value></member></struct>"));
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v as object)).toEqual(["__proto__"]);
  });

  it("rejects values XML-RPC cannot carry", () => {
    expect(() => encodeResponse(Number.NaN)).toThrow(TypeError);
    expect(() => encodeResponse(Infinity)).toThrow(TypeError);
    expect(() => encodeResponse("bell\u0007")).toThrow(TypeError);
    expect(() => encodeResponse(() => 1)).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeResponse(cyclic)).toThrow(/cyclic/);
  });
});

describe("XML-RPC codec: Koji extensions", () => {
  it("reads a Koji-style <nil/> member and <i8>", () => {
    const xml = `<?xml version='1.0'?>
<methodResponse>
<params>
<param>
<value><struct>
<member>
<name>host_id</name>
<value><nil/></value>
</member>
<member>
<name>weight</name>
<value><double>0.2</double></value>
</member>
<member>
<name>size</name>
<value><i8>5368709120</i8></value>
</member>
<member>
<name>state</name>
<value><int>2</int></value>
</member>
<member>
<name>label</name>
<value><ex:nil xmlns:ex="http://ws.apache.org/xmlrpc/namespaces/extensions"/></value>
</member>
</struct></value>
</param>
</params>
</methodResponse>`;
    expect(decodeResponse(xml)).toEqual({ host_id: null, weight: 0.2, size: 5368709120, state: 2, label: null });
  });
});

describe("XML-RPC codec: calls and faults", () => {
  it("round-trips a call", () => {
    const xml = encodeCall("getTaskInfo", [5, true]);
    expect(decodeCall(xml)).toEqual({ method: "getTaskInfo", params: [5, true] });
    expect(decodeCall(encodeCall("system.listMethods"))).toEqual({ method: "system.listMethods", params: [] });
    expect(decodeCall("<methodCall><methodName>x</methodName></methodCall>")).toEqual({ method: "x", params: [] });
  });

  it("throws a typed, permanent fault", () => {
    const xml = encodeFault(1000, "No such task: 5");
    let caught: unknown;
    try {
      decodeResponse(xml);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(XmlRpcFault);
    expect(caught).toBeInstanceOf(BackendError);
    expect(caught).toMatchObject({ code: 1000, faultString: "No such task: 5", transient: false });
  });

  it("reads a fault whose code is bare text", () => {
    const xml = `<methodResponse><fault><value><struct>
      <member><name>faultCode</name><value><int>1</int></value></member>
      <member><name>faultString</name><value>Exception: Cannot cancel task 5, state is CLOSED</value></member>
    </struct></value></fault></methodResponse>`;
    expect(() => decodeResponse(xml)).toThrow(
      expect.objectContaining({ code: 1, faultString: "Exception: Cannot cancel task 5, state is CLOSED" }),
    );
  });
});

describe("XML-RPC codec: hostile and broken input", () => {
  it("rejects a DOCTYPE entity bomb without expanding it", () => {
    const bomb = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<methodResponse><params><param><value><string>&lol2;</string></value></param></params></methodResponse>`;
    expect(() => decodeResponse(bomb)).toThrow(/DOCTYPE/);
  });

  it("rejects external entities and undefined entity references", () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><methodCall><methodName>&x;</methodName></methodCall>`;
    expect(() => decodeCall(xxe)).toThrow(XmlRpcParseError);
    expect(() => decodeResponse(response("<string>&x;</string>"))).toThrow(XmlRpcParseError);
  });

  it.each([
    ["empty", ""],
    ["not XML", "garbage <<"],
    ["HTML error page", "<html><body><h1>502 Bad Gateway</h1></body></html>"],
    ["unclosed", "<methodResponse><params>"],
    ["two values", response("<int>1</int><int>2</int>")],
    ["bad int", response("<int>12x</int>")],
    ["int out of range", response("<int>99999999999</int>")],
    ["bad boolean", response("<boolean>yes</boolean>")],
    ["bad double", response("<double>1.2.3</double>")],
    ["bad date", response("<dateTime.iso8601>yesterday</dateTime.iso8601>")],
    ["unknown type", response("<float>1</float>")],
    ["no params", "<methodResponse></methodResponse>"],
    ["two roots", `${response("<int>1</int>")}<methodResponse/>`],
    ["call instead of response", encodeCall("x", [])],
  ])("%s → XmlRpcParseError", (_name, xml) => {
    expect(() => decodeResponse(xml)).toThrow(XmlRpcParseError);
  });

  it("gives a clear message for garbage", () => {
    expect(() => decodeResponse("garbage <<")).toThrow(/^malformed XML-RPC: .*line 1/);
  });
});
