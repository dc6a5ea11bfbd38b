/**
 * XML-RPC encoding and decoding (http://xmlrpc.com/spec.md) with the two
 * extensions Koji and kobo rely on: `<nil/>` (Python's `allow_none`) and `<i8>`
 * (Koji's `xmlrpcplus` marshals big ints that way). Parsing is done by
 * fast-xml-parser; this module only maps its node tree onto values.
 *
 * Value mapping:
 *   int/i4/i8 ↔ number (bigint beyond 2^53) · boolean ↔ boolean · string or bare
 *   text ↔ string · double ↔ number (non-integer) · dateTime.iso8601 ↔ Date (UTC) ·
 *   base64 ↔ Buffer · array ↔ array · struct ↔ plain object · nil ↔ null.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { BackendError } from "../../errors.js";

export type XmlRpcValue = string | number | bigint | boolean | null | Date | Buffer | XmlRpcValue[] | { [key: string]: XmlRpcValue };

export type XmlRpcStruct = { [key: string]: XmlRpcValue };

/**
 * A fault answered by the server (`<fault>`), e.g. Koji's `{faultCode: 1000,
 * faultString: "No such task: 5"}`. It is a permanent `BackendError`: the call
 * reached the service and was refused. Fakes throw it from a method to answer a fault.
 */
export class XmlRpcFault extends BackendError {
  readonly code: number;
  readonly faultString: string;
  constructor(code: number, faultString: string, opts: { backend?: string } = {}) {
    super(opts.backend ?? "xmlrpc", `fault ${code}: ${faultString}`, { transient: false });
    this.code = code;
    this.faultString = faultString;
  }
}

/** The document is not XML-RPC (not XML, wrong shape, bad scalar, DOCTYPE …). */
export class XmlRpcParseError extends Error {
  /** What is wrong, without the prefix. */
  readonly reason: string;
  constructor(reason: string) {
    super(`malformed XML-RPC: ${reason}`);
    this.name = "XmlRpcParseError";
    this.reason = reason;
  }
}

// ───────────────────────────── encoding ─────────────────────────────

const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);
// XML 1.0 cannot carry these even as character references.
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** A fault's faultString as text: servers send a string; anything else is shown as JSON. */
export function faultText(faultString: unknown): string {
  return typeof faultString === "string"
    ? faultString
    : faultString === undefined || faultString === null
      ? ""
      : JSON.stringify(faultString);
}

/** Escape text for element content; `\r` becomes a reference so parsers keep it. */
function escapeXml(text: string): string {
  if (INVALID_XML_CHARS.test(text)) {
    throw new TypeError("XML-RPC cannot carry control characters other than tab, LF and CR");
  }
  return text.replace(/[&<>\r]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&#13;"));
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Python's xmlrpc format, `YYYYMMDDTHH:MM:SS`, in UTC. */
function formatDate(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new TypeError("cannot encode an invalid Date");
  return (
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

function encodeNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`XML-RPC cannot carry ${n}`);
  if (Number.isInteger(n)) {
    if (n >= INT32_MIN && n <= INT32_MAX) return `<int>${n}</int>`;
    if (Number.isSafeInteger(n)) return `<i8>${n}</i8>`;
  }
  return `<double>${n}</double>`;
}

/** Encode one value as `<value>…</value>`. `undefined` is nil in arrays, skipped in structs. */
function encodeValue(value: unknown): string {
  return `<value>${encodeInner(value, new Set())}</value>`;
}

function encodeInner(value: unknown, seen: Set<object>): string {
  if (value === null || value === undefined) return "<nil/>";
  switch (typeof value) {
    case "string":
      return `<string>${escapeXml(value)}</string>`;
    case "number":
      return encodeNumber(value);
    case "bigint":
      return `<i8>${value}</i8>`;
    case "boolean":
      return `<boolean>${value ? 1 : 0}</boolean>`;
    case "object":
      break;
    default:
      throw new TypeError(`XML-RPC cannot carry a ${typeof value}`);
  }
  if (value instanceof Date) return `<dateTime.iso8601>${formatDate(value)}</dateTime.iso8601>`;
  if (value instanceof Uint8Array) return `<base64>${Buffer.from(value).toString("base64")}</base64>`;
  if (seen.has(value)) throw new TypeError("XML-RPC cannot carry a cyclic value");
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      return `<array><data>${value.map((v) => `<value>${encodeInner(v, seen)}</value>`).join("")}</data></array>`;
    }
    const members = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<member><name>${escapeXml(k)}</name><value>${encodeInner(v, seen)}</value></member>`);
    return `<struct>${members.join("")}</struct>`;
  } finally {
    seen.delete(value);
  }
}

const XML_DECL = `<?xml version="1.0"?>\n`;

/** A `<methodCall>` document. */
export function encodeCall(method: string, params: readonly unknown[] = []): string {
  const ps = params.map((p) => `<param>${encodeValue(p)}</param>`).join("");
  return `${XML_DECL}<methodCall><methodName>${escapeXml(method)}</methodName><params>${ps}</params></methodCall>`;
}

/** A successful `<methodResponse>` carrying one value. */
export function encodeResponse(value: unknown): string {
  return `${XML_DECL}<methodResponse><params><param>${encodeValue(value)}</param></params></methodResponse>`;
}

/** A `<fault>` response. */
export function encodeFault(code: number, message: string): string {
  return `${XML_DECL}<methodResponse><fault>${encodeValue({ faultCode: code, faultString: message })}</fault></methodResponse>`;
}

// ───────────────────────────── decoding ─────────────────────────────

/** fast-xml-parser's `preserveOrder` node: `{tag: children}` or `{"#text": s}` / `{"#cdata": [...]}`. */
type XNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: false, // string values keep their whitespace
  parseTagValue: false, // scalars are converted here, by their type tag
  processEntities: false, // decoded here, strictly: no DOCTYPE-defined entities
  cdataPropName: "#cdata", // keep CDATA apart so it is not entity-decoded
  commentPropName: false,
});

const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&([^;&\s]{1,10});/g, (_m, name: string) => {
    if (name in NAMED_ENTITIES) return NAMED_ENTITIES[name]!;
    const code =
      name.startsWith("#x") || name.startsWith("#X")
        ? Number.parseInt(name.slice(2), 16)
        : name.startsWith("#")
          ? Number.parseInt(name.slice(1), 10)
          : Number.NaN;
    if (!Number.isInteger(code) || code < 0 || code > 0x10ffff) throw new XmlRpcParseError(`unknown entity &${name};`);
    return String.fromCodePoint(code);
  });
}

function tagOf(node: XNode): string | undefined {
  for (const key of Object.keys(node)) {
    if (key !== "#text" && key !== "#cdata" && key !== ":@") return key;
  }
  return undefined;
}

function childrenOf(node: XNode, tag: string): XNode[] {
  const c = node[tag];
  return Array.isArray(c) ? (c as XNode[]) : [];
}

/** Concatenated text of a node's children (entities decoded, CDATA verbatim). */
function textOf(children: XNode[]): string {
  let out = "";
  for (const child of children) {
    if (typeof child["#text"] === "string") out += decodeEntities(child["#text"]);
    else if (Array.isArray(child["#cdata"]))
      out += (child["#cdata"] as XNode[]).map((c) => (typeof c["#text"] === "string" ? c["#text"] : "")).join("");
    else throw new XmlRpcParseError(`unexpected element <${tagOf(child)}> inside a scalar`);
  }
  return out;
}

/** Element children, ignoring whitespace between them; any other text is an error. */
function elementsOf(children: XNode[], where: string): XNode[] {
  const out: XNode[] = [];
  for (const child of children) {
    if (typeof child["#text"] === "string") {
      if (child["#text"].trim() !== "") throw new XmlRpcParseError(`unexpected text in <${where}>`);
    } else if ("#cdata" in child) {
      throw new XmlRpcParseError(`unexpected CDATA in <${where}>`);
    } else out.push(child);
  }
  return out;
}

function single(children: XNode[], where: string, expected: string): XNode {
  const els = elementsOf(children, where);
  if (els.length !== 1 || tagOf(els[0]!) !== expected) {
    throw new XmlRpcParseError(`<${where}> must contain exactly one <${expected}>`);
  }
  return els[0]!;
}

/** Strip a namespace prefix: Apache-style `<ex:nil/>`, `<ex:i8>`. */
function localName(tag: string): string {
  const i = tag.indexOf(":");
  return i >= 0 ? tag.slice(i + 1) : tag;
}

const INT_RE = /^\s*[+-]?\d+\s*$/;
const DOUBLE_RE = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;
const DATE_RE = /^\s*(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?\s*$/;

function decodeInt(text: string, tag: string): number | bigint {
  if (!INT_RE.test(text)) throw new XmlRpcParseError(`<${tag}> is not an integer: ${JSON.stringify(text.slice(0, 40))}`);
  const big = BigInt(text.trim());
  if (tag !== "i8" && (big > BigInt(INT32_MAX) || big < BigInt(INT32_MIN))) {
    throw new XmlRpcParseError(`<${tag}> out of 32-bit range: ${text.trim()}`);
  }
  return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(big) : big;
}

function decodeDate(text: string): Date {
  const m = DATE_RE.exec(text);
  if (!m) throw new XmlRpcParseError(`bad dateTime.iso8601: ${JSON.stringify(text.slice(0, 40))}`);
  // No zone (Python's default) is read as UTC.
  const zone = m[8] ? (m[8] === "Z" ? "Z" : `${m[8].slice(0, 3)}:${m[8].slice(-2)}`) : "Z";
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ""}${zone}`);
  if (Number.isNaN(d.getTime())) throw new XmlRpcParseError(`bad dateTime.iso8601: ${text.trim()}`);
  return d;
}

function decodeValueNode(valueNode: XNode): XmlRpcValue {
  const children = childrenOf(valueNode, "value");
  if (!children.some((c) => tagOf(c) !== undefined)) return textOf(children); // bare text (or empty) = string
  const els = elementsOf(children, "value");
  if (els.length > 1) throw new XmlRpcParseError("<value> holds more than one type");
  const typed = els[0]!;
  const rawTag = tagOf(typed)!;
  const tag = localName(rawTag);
  const inner = childrenOf(typed, rawTag);
  switch (tag) {
    case "string":
      return textOf(inner);
    case "int":
    case "i4":
    case "i8":
      return decodeInt(textOf(inner), tag);
    case "boolean": {
      const t = textOf(inner).trim();
      if (t === "1" || t === "true") return true;
      if (t === "0" || t === "false") return false;
      throw new XmlRpcParseError(`bad boolean: ${JSON.stringify(t.slice(0, 20))}`);
    }
    case "double": {
      const t = textOf(inner);
      if (!DOUBLE_RE.test(t)) throw new XmlRpcParseError(`bad double: ${JSON.stringify(t.slice(0, 40))}`);
      return Number.parseFloat(t);
    }
    case "dateTime.iso8601":
      return decodeDate(textOf(inner));
    case "base64": {
      const t = textOf(inner).replace(/\s+/g, "");
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t)) throw new XmlRpcParseError("bad base64");
      return Buffer.from(t, "base64");
    }
    case "nil":
      if (elementsOf(inner, "nil").length > 0 || textOf(inner).trim() !== "") throw new XmlRpcParseError("<nil/> must be empty");
      return null;
    case "array": {
      const data = single(inner, "array", "data");
      return elementsOf(childrenOf(data, "data"), "data").map((v) => {
        if (tagOf(v) !== "value") throw new XmlRpcParseError(`unexpected <${tagOf(v)}> in <data>`);
        return decodeValueNode(v);
      });
    }
    case "struct": {
      const out: XmlRpcStruct = {};
      for (const member of elementsOf(inner, "struct")) {
        if (tagOf(member) !== "member") throw new XmlRpcParseError(`unexpected <${tagOf(member)}> in <struct>`);
        const parts = elementsOf(childrenOf(member, "member"), "member");
        const nameNode = parts.find((p) => tagOf(p) === "name");
        const valueNode = parts.find((p) => tagOf(p) === "value");
        if (!nameNode || !valueNode || parts.length !== 2) throw new XmlRpcParseError("<member> needs one <name> and one <value>");
        const name = textOf(childrenOf(nameNode, "name"));
        // Own property even for "__proto__": never touch the prototype.
        Object.defineProperty(out, name, { value: decodeValueNode(valueNode), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default:
      throw new XmlRpcParseError(`unknown type <${rawTag}>`);
  }
}

/** Parse a document and return its single root element. */
function parseRoot(xml: string, expectedRoot: string): XNode {
  if (typeof xml !== "string" || xml.trim() === "") throw new XmlRpcParseError("empty document");
  // No DTDs at all: entity definitions are how XML bombs and external-entity reads work.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new XmlRpcParseError("DOCTYPE and ENTITY declarations are not allowed");
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new XmlRpcParseError(`${valid.err.msg} (line ${valid.err.line}, col ${valid.err.col})`);
  }
  const nodes = parser.parse(xml) as XNode[];
  const roots = elementsOf(nodes, "document");
  if (roots.length !== 1) throw new XmlRpcParseError("a document needs exactly one root element");
  const root = roots[0]!;
  if (tagOf(root) !== expectedRoot) throw new XmlRpcParseError(`expected <${expectedRoot}>, got <${tagOf(root)}>`);
  return root;
}

function decodeParams(container: XNode[]): XmlRpcValue[] {
  const els = elementsOf(container, "methodCall");
  const paramsNode = els.find((e) => tagOf(e) === "params");
  if (!paramsNode) return [];
  return elementsOf(childrenOf(paramsNode, "params"), "params").map((p) => {
    if (tagOf(p) !== "param") throw new XmlRpcParseError(`unexpected <${tagOf(p)}> in <params>`);
    return decodeValueNode(single(childrenOf(p, "param"), "param", "value"));
  });
}

/** Decode a `<methodCall>` (what a fake server receives). */
export function decodeCall(xml: string): { method: string; params: XmlRpcValue[] } {
  const root = parseRoot(xml, "methodCall");
  const children = childrenOf(root, "methodCall");
  const nameNode = elementsOf(children, "methodCall").find((e) => tagOf(e) === "methodName");
  if (!nameNode) throw new XmlRpcParseError("<methodCall> has no <methodName>");
  const method = textOf(childrenOf(nameNode, "methodName")).trim();
  if (!method) throw new XmlRpcParseError("empty <methodName>");
  return { method, params: decodeParams(children) };
}

/**
 * Decode a `<methodResponse>`: the value, or throws `XmlRpcFault` for a `<fault>`
 * and `XmlRpcParseError` for anything that is not XML-RPC.
 */
/** `v` when it is a struct (not an array, date or base64 value), else undefined. */
export function asStruct(v: unknown): XmlRpcStruct | undefined {
  return v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v) ? (v as XmlRpcStruct) : undefined;
}

export function decodeResponse(xml: string): XmlRpcValue {
  const root = parseRoot(xml, "methodResponse");
  const els = elementsOf(childrenOf(root, "methodResponse"), "methodResponse");
  if (els.length !== 1) throw new XmlRpcParseError("<methodResponse> needs one <params> or <fault>");
  const body = els[0]!;
  if (tagOf(body) === "fault") {
    const fault = asStruct(decodeValueNode(single(childrenOf(body, "fault"), "fault", "value")));
    if (!fault) throw new XmlRpcParseError("<fault> must hold a struct");
    const { faultCode, faultString } = fault;
    const code = typeof faultCode === "number" ? faultCode : Number(faultCode);
    throw new XmlRpcFault(Number.isFinite(code) ? code : 0, faultText(faultString));
  }
  if (tagOf(body) !== "params") throw new XmlRpcParseError(`unexpected <${tagOf(body)}> in <methodResponse>`);
  const params = decodeParams([body]);
  if (params.length !== 1) throw new XmlRpcParseError(`a response carries one value, got ${params.length}`);
  return params[0]!;
}
