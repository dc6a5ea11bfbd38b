/**
 * GitHub's published REST description (`@octokit/openapi`, api.github.com), loaded
 * once per process: every request the simulator answers is checked against it, and
 * so is every answer, so that neither the app nor the simulator can drift from
 * what GitHub accepts and sends.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createOpenApiValidator, type MatchedOperation, type OpenApiProblem, type OpenApiValidator } from "../openapi/validator.js";

let validator: OpenApiValidator | undefined;
let webhooks: OpenApiValidator | undefined;

/** The REST description's validator, loaded on first use (about 0.4 s, once per process). */
export function description(): OpenApiValidator {
  if (!validator) {
    const path = createRequire(import.meta.url).resolve("@octokit/openapi/generated/api.github.com.json");
    validator = createOpenApiValidator(JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>);
  }
  return validator;
}

/** The description's operation for a request, and what it refuses in it. */
export function checkRequest(method: string, path: string, query: URLSearchParams, body: unknown) {
  return description().validateRequest({ method, path, query, body });
}

/**
 * What the description refuses in an answer. Error statuses an operation does not
 * declare (GitHub leaves many out) are checked against GitHub's generic error bodies.
 */
export function checkResponse(operation: MatchedOperation, status: number, body: unknown): OpenApiProblem[] {
  const v = description();
  const problems = v.validateResponse(operation, status, body);
  if (status < 400 || !problems.some((p) => p.message.startsWith(`status ${status} is not declared`))) return problems;
  return v.validateAt(status === 422 ? "/components/schemas/validation-error" : "/components/schemas/basic-error", body);
}

/** GitHub's words for a request the schema refuses: "Invalid request.\n\n" and one line per problem, as its JSON-schema checker writes them. */
export function invalidRequestMessage(problems: OpenApiProblem[], body: unknown): string {
  const lines = problems.filter((p) => p.keyword !== "anyOf" && p.keyword !== "oneOf").map((p) => githubWording(p, body));
  if (problems.some((p) => p.keyword === "anyOf")) lines.unshift('No subschema in "anyOf" matched.');
  return `Invalid request.\n\n${[...new Set(lines)].join("\n")}`;
}

function githubWording(p: OpenApiProblem, body: unknown): string {
  if (p.where !== "body") return p.message;
  const field = p.at.split("/").pop() || "body";
  const value = valueAt(body, p.at);
  const params = p.params ?? {};
  switch (p.keyword) {
    case "required":
      return `"${String(params.missingProperty)}" wasn't supplied.`;
    case "maxLength":
      return `Only ${String(params.limit)} characters are allowed; ${typeof value === "string" ? value.length : "more"} were supplied.`;
    case "maxItems":
      return `Only ${String(params.limit)} ${field} are allowed; ${Array.isArray(value) ? value.length : "more"} were supplied.`;
    case "enum":
      return `For 'properties/${field}', ${JSON.stringify(value)} is not one of ${JSON.stringify(params.allowedValues)}.`;
    case "type":
      return `For 'properties/${field}', ${JSON.stringify(value)} is not ${/^[aeiou]/.test(String(params.type)) ? "an" : "a"} ${String(params.type)}.`;
    case "format":
      return `For 'properties/${field}', ${JSON.stringify(value)} is not a valid ${String(params.format)}.`;
    default:
      return p.message;
  }
}

function valueAt(body: unknown, pointer: string): unknown {
  let node = body;
  for (const token of pointer.split("/").slice(1)) {
    node =
      node !== null && typeof node === "object"
        ? (node as Record<string, unknown>)[token.replaceAll("~1", "/").replaceAll("~0", "~")]
        : undefined;
  }
  return node;
}

/**
 * What GitHub's published webhook descriptions (`@octokit/openapi-webhooks`) refuse in
 * a payload of `event` (with its `action`, if the event has actions): what the payload
 * builders send must be what GitHub sends.
 */
export function checkWebhookPayload(event: string, payload: { action?: unknown }): OpenApiProblem[] {
  if (!webhooks) {
    const path = createRequire(import.meta.url).resolve("@octokit/openapi-webhooks/generated/api.github.com.json");
    webhooks = createOpenApiValidator(JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>);
  }
  const key = [event, typeof payload.action === "string" ? payload.action : undefined].filter(Boolean).join("-").replaceAll("_", "-");
  return webhooks.validateAt(`/webhooks/${key}/post/requestBody/content/application~1json/schema`, payload);
}
