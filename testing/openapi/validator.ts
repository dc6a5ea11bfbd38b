/**
 * Requests and responses checked against a service's published OpenAPI 3.0
 * description, with ajv. The fakes and the simulated GitHub use it to refuse what the
 * real service refuses, and to prove that what they answer is what the real one
 * would. Schemas are compiled lazily, per operation and on first use, because
 * GitHub's description holds over 800 paths and we serve a dozen.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS with `exports.default`: under NodeNext the default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** One thing the description refuses; `where` says which part of the exchange. */
export interface OpenApiProblem {
  where: "path" | "query" | "body" | "response";
  /** The parameter or JSON pointer concerned ("" for the whole body). */
  at: string;
  message: string;
  /** The JSON Schema keyword that failed and its parameters (ajv's), for callers that word problems their own way. */
  keyword?: string;
  params?: Record<string, unknown>;
}

export interface MatchedOperation {
  operationId: string;
  method: string;
  /** The path as the description writes it, e.g. `/repos/{owner}/{repo}/check-runs`. */
  template: string;
  /** Path parameters, decoded. */
  params: Record<string, string>;
}

interface RequestToCheck {
  method: string;
  /** The request path below the service's base path, without the query. */
  path: string;
  query?: URLSearchParams;
  /** The parsed JSON body, or undefined when there is none. */
  body?: unknown;
}

export interface OpenApiValidator {
  /** The operation a method and path name, or null when the description has none. */
  match(method: string, path: string): MatchedOperation | null;
  /** What the description refuses in a request (no operation at all is one problem). */
  validateRequest(req: RequestToCheck): { operation: MatchedOperation | null; problems: OpenApiProblem[] };
  /** What the description refuses in an answer: an undeclared status, or a body of the wrong shape. */
  validateResponse(operation: MatchedOperation, status: number, body: unknown): OpenApiProblem[];
  /** What the schema at a JSON pointer into the document (e.g. `/components/schemas/basic-error`) refuses in a value. */
  validateAt(pointer: string, value: unknown): OpenApiProblem[];
}

type Json = Record<string, unknown>;
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;
const DOC_ID = "openapi";

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  names: string[];
  pointer: string;
  operation: Json;
}

/** Build a validator over a parsed OpenAPI 3.0 document (JSON or YAML, already loaded). */
export function createOpenApiValidator(doc: Json): OpenApiValidator {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, coerceTypes: false, discriminator: false });
  addFormats(ajv);
  allowNullInNullableEnums(doc);
  // OpenAPI 3.0 schemas are JSON Schema plus words ajv ignores when not strict
  // (`example`, `xml`, `x-*`); `nullable` next to `type` ajv understands itself.
  ajv.addSchema(doc, DOC_ID);
  const compiled = new Map<string, ValidateFunction>();
  const validatorAt = (pointer: string): ValidateFunction => {
    let fn = compiled.get(pointer);
    if (!fn) {
      fn = ajv.compile({ $ref: `${DOC_ID}#${encodePointer(pointer)}` });
      compiled.set(pointer, fn);
    }
    return fn;
  };
  const routes = buildRoutes(doc);
  const match = (method: string, path: string): (MatchedOperation & { route: Route }) | null => {
    const m = method.toLowerCase();
    for (const route of routes) {
      if (route.method !== m) continue;
      const hit = route.pattern.exec(path);
      if (!hit) continue;
      const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(hit[i + 1]!)]));
      return {
        operationId: typeof route.operation.operationId === "string" ? route.operation.operationId : `${m} ${route.template}`,
        method: m,
        template: route.template,
        params,
        route,
      };
    }
    return null;
  };

  /** Where a node really lives: the target of its `$ref`, or `pointer` itself. */
  const home = (node: unknown, pointer: string): string => {
    let at = pointer;
    let n = node;
    for (let i = 0; i < 10 && isObject(n) && typeof n.$ref === "string"; i++) {
      at = n.$ref.slice(1);
      n = resolvePointer(doc, at);
    }
    return at;
  };
  const jsonSchemaAt = (node: unknown, pointer: string): string | undefined => {
    const at = home(node, pointer);
    const content = (resolvePointer(doc, at) as Json | undefined)?.content;
    const json = isObject(content) ? content["application/json"] : undefined;
    return isObject(json) && json.schema ? `${at}/content/${escape("application/json")}/schema` : undefined;
  };

  return {
    match: (method, path) => {
      const m = match(method, path);
      if (!m) return null;
      const { route: _route, ...op } = m;
      return op;
    },
    validateRequest(req) {
      const m = match(req.method, req.path);
      if (!m)
        return {
          operation: null,
          problems: [{ where: "path", at: req.path, message: `no ${req.method.toUpperCase()} ${req.path} in the description` }],
        };
      const { route, ...operation } = m;
      const problems: OpenApiProblem[] = [];
      const itemPointer = `/paths/${escape(route.template)}`;
      const declared = [
        ...(((resolvePointer(doc, itemPointer) as Json).parameters as unknown[] | undefined) ?? []).map((p, i) =>
          home(p, `${itemPointer}/parameters/${i}`),
        ),
        ...((route.operation.parameters as unknown[] | undefined) ?? []).map((p, i) => home(p, `${route.pointer}/parameters/${i}`)),
      ];
      for (const at of declared) {
        const p = resolvePointer(doc, at) as Json;
        if ((p.in !== "path" && p.in !== "query") || !p.schema) continue;
        const name = String(p.name);
        const all = p.in === "path" ? (m.params[name] === undefined ? [] : [m.params[name]]) : (req.query?.getAll(name) ?? []);
        if (all.length === 0) {
          if (p.required) problems.push({ where: p.in, at: name, message: `"${name}" is required` });
          continue;
        }
        const fn = validatorAt(`${at}/schema`);
        const schema = resolvePointer(doc, home(p.schema, `${at}/schema`)) as Json;
        if (!fn(coerceParameter(all, schema))) problems.push(...fromAjv(p.in, fn.errors, name));
      }
      const bodyAt = route.operation.requestBody ? jsonSchemaAt(route.operation.requestBody, `${route.pointer}/requestBody`) : undefined;
      const bodyRequired = Boolean(
        (resolvePointer(doc, home(route.operation.requestBody, `${route.pointer}/requestBody`)) as Json | undefined)?.required,
      );
      if (req.body === undefined) {
        if (bodyRequired) problems.push({ where: "body", at: "", message: "a request body is required" });
      } else if (bodyAt) {
        const fn = validatorAt(bodyAt);
        if (!fn(req.body)) problems.push(...fromAjv("body", fn.errors));
      }
      return { operation, problems };
    },
    validateResponse(operation, status, body) {
      const route = routes.find((r) => r.method === operation.method && r.template === operation.template);
      if (!route) return [{ where: "response", at: "", message: `unknown operation ${operation.operationId}` }];
      const responses = (route.operation.responses ?? {}) as Json;
      const key = [String(status), `${String(status)[0]}XX`, "default"].find((k) => k in responses);
      if (!key)
        return [
          {
            where: "response",
            at: "",
            message: `status ${status} is not declared for ${operation.operationId} (declared: ${Object.keys(responses).join(", ")})`,
          },
        ];
      const at = jsonSchemaAt(responses[key], `${route.pointer}/responses/${key}`);
      if (!at) return [];
      const fn = validatorAt(at);
      return fn(body) ? [] : fromAjv("response", withoutAmbiguousOneOf(fn.errors));
    },
    validateAt(pointer, value) {
      if (resolvePointer(doc, pointer) === undefined) return [{ where: "response", at: pointer, message: `no schema at ${pointer}` }];
      const fn = validatorAt(pointer);
      return fn(value) ? [] : fromAjv("response", fn.errors);
    },
  };
}

/**
 * In OpenAPI 3.0 `nullable: true` admits null even next to an `enum` that does not
 * list it (GitHub's `conclusion`, for one), and beside `allOf` without a `type`; ajv
 * reads `enum` strictly and refuses the latter, so both are rewritten to admit null.
 */
function allowNullInNullableEnums(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(allowNullInNullableEnums);
  if (!isObject(node)) return;
  if (node.nullable === true && Array.isArray(node.enum) && !node.enum.includes(null)) node.enum = [...(node.enum as unknown[]), null];
  for (const v of Object.values(node)) allowNullInNullableEnums(v);
  if (node.nullable === true && node.type === undefined) {
    // `nullable` beside `allOf`/`anyOf` only (no `type`), which ajv refuses to compile: say "this, or null".
    const { nullable: _, ...rest } = node;
    for (const key of Object.keys(node)) delete node[key];
    node.anyOf = [rest, { type: "null" }];
  }
}

/** Operations by method and path template, most specific (fewest parameters) first. */
function buildRoutes(doc: Json): Route[] {
  const routes: Route[] = [];
  for (const [template, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      const names: string[] = [];
      const source = template
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const param = /^\{([^}]+)\}$/.exec(part);
          if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          names.push(param[1]!);
          return "([^/]+)";
        })
        .join("");
      routes.push({
        method,
        template,
        pattern: new RegExp(`^${source}/?$`),
        names,
        pointer: `/paths/${escape(template)}/${method}`,
        operation,
      });
    }
  }
  return routes.sort((a, b) => a.names.length - b.names.length);
}

/** Query and path values arrive as strings: turn them into what the schema's type says. */
function coerceParameter(all: string[], schema: Json): unknown {
  const value = all[0]!;
  switch (schema.type) {
    case "integer":
    case "number":
      return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    case "boolean":
      return value === "true" ? true : value === "false" ? false : value;
    case "array":
      return all.length > 1 ? all : value.split(",");
    default:
      return value;
  }
}

/**
 * Drops the failures of `oneOf`s that more than one branch matched, with their
 * branches' errors: servers generated from a description do not check "exactly
 * one", and overlapping branches (Image Builder's upload options `{url}` are both
 * its S3 and its OCI status) would refuse the service's own recorded answers.
 */
function withoutAmbiguousOneOf(errors: ErrorObject[] | null | undefined): ErrorObject[] {
  const ambiguous = (errors ?? []).filter(
    (e) => e.keyword === "oneOf" && Array.isArray((e.params as { passingSchemas?: unknown }).passingSchemas),
  );
  // A branch that matched makes the value there valid: the other branches' errors at or below it are only alternatives (their schemaPaths are their $ref targets', so the place tells).
  const under = (e: ErrorObject, a: ErrorObject) => e.instancePath === a.instancePath || e.instancePath.startsWith(`${a.instancePath}/`);
  return (errors ?? []).filter((e) => !ambiguous.some((a) => under(e, a)));
}

function fromAjv(where: OpenApiProblem["where"], errors: ErrorObject[] | null | undefined, name?: string): OpenApiProblem[] {
  return (errors ?? []).map((e) => ({
    where,
    at: name ?? e.instancePath,
    keyword: e.keyword,
    params: e.params as Record<string, unknown>,
    message: `${name ?? (e.instancePath || "body")} ${e.message ?? "is invalid"}${e.keyword === "enum" ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(", ")})` : e.keyword === "additionalProperties" ? ` ("${(e.params as { additionalProperty: string }).additionalProperty}")` : ""}`,
  }));
}

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
/** JSON pointer escaping of one reference token. */
const escape = (token: string) => token.replaceAll("~", "~0").replaceAll("/", "~1");
/** A JSON pointer as a URI fragment (ajv resolves `$ref` as a URI). */
const encodePointer = (pointer: string) =>
  pointer
    .split("/")
    .map((t) => encodeURIComponent(t))
    .join("/");

function resolvePointer(doc: unknown, pointer: string): unknown {
  let node = doc;
  for (const raw of pointer.split("/").slice(1)) {
    const token = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    node = isObject(node) || Array.isArray(node) ? (node as Json)[token] : undefined;
  }
  return node;
}
