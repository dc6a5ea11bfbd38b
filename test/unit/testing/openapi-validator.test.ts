import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { createOpenApiValidator } from "../../../testing/openapi/validator.js";

// The real Image Builder description (vendored in testing/openapi): small enough to load per test file.
const imageBuilder = createOpenApiValidator(
  yaml.load(readFileSync(new URL("../../../testing/openapi/image-builder-crc_internal_v1_api.yaml", import.meta.url), "utf8")) as Record<
    string,
    unknown
  >,
);

describe("OpenAPI validator (the fakes' strictness)", () => {
  it("finds the operation and its path parameters", () => {
    expect(imageBuilder.match("GET", "/composes/0b6a4b8c-2f5e-4f4e-9c8e-2d3c4b5a6f70")).toMatchObject({
      operationId: "getComposeStatus",
      params: { composeId: "0b6a4b8c-2f5e-4f4e-9c8e-2d3c4b5a6f70" },
    });
    expect(imageBuilder.match("PATCH", "/composes/x")).toBeNull();
  });

  it("refuses a compose body the real service refuses, naming each field", () => {
    const { problems } = imageBuilder.validateRequest({
      method: "POST",
      path: "/compose",
      body: {
        distribution: "fedora-rawhide",
        image_requests: [
          { architecture: "x86_64", image_type: "aws", upload_request: { type: "aws", options: { share_with_accounts: ["123"] } } },
        ],
        customizations: { payload_repositories: [{ baseurl: "https://copr.example/repo/" }] },
      },
    });
    expect(problems.map((p) => p.at)).toEqual(expect.arrayContaining(["/distribution", "/customizations/payload_repositories/0"]));
    expect(problems.find((p) => p.at === "/distribution")?.message).toContain("fedora-41");
  });

  it("accepts a valid compose body, and requires one", () => {
    const body = {
      distribution: "fedora-41",
      image_requests: [
        { architecture: "x86_64", image_type: "aws", upload_request: { type: "aws", options: { share_with_accounts: ["123456789012"] } } },
      ],
      customizations: { payload_repositories: [{ baseurl: "https://copr.example/repo/", rhsm: false, check_gpg: false }] },
    };
    expect(imageBuilder.validateRequest({ method: "POST", path: "/compose", body }).problems).toEqual([]);
    expect(imageBuilder.validateRequest({ method: "POST", path: "/compose" }).problems).toEqual([
      { where: "body", at: "", message: "a request body is required" },
    ]);
  });

  it("checks answers: undeclared statuses and bodies of the wrong shape", () => {
    const op = imageBuilder.match("POST", "/compose")!;
    expect(imageBuilder.validateResponse(op, 201, { id: "0b6a4b8c-2f5e-4f4e-9c8e-2d3c4b5a6f70" })).toEqual([]);
    expect(imageBuilder.validateResponse(op, 201, { uuid: 1 })[0]?.message).toContain("id");
    expect(imageBuilder.validateResponse(op, 418, {})[0]?.message).toContain("status 418 is not declared");
  });

  it("coerces and checks query parameters", () => {
    const bad = imageBuilder.validateRequest({ method: "GET", path: "/composes", query: new URLSearchParams("limit=abc") });
    expect(bad.problems).toEqual([expect.objectContaining({ where: "query", at: "limit" })]);
    expect(imageBuilder.validateRequest({ method: "GET", path: "/composes", query: new URLSearchParams("limit=10") }).problems).toEqual([]);
  });

  it("passes an answer that more than one oneOf branch matches (the recorded aws.s3 upload status), refuses one that none matches", () => {
    const op = imageBuilder.match("GET", "/composes/0b6a4b8c-2f5e-4f4e-9c8e-2d3c4b5a6f70")!;
    const request = {
      distribution: "fedora-41",
      image_requests: [{ architecture: "x86_64", image_type: "guest-image", upload_request: { type: "aws.s3", options: {} } }],
    };
    const answer = (options: unknown) => ({
      image_status: { status: "success", upload_status: { status: "success", type: "aws.s3", options } },
      request,
    });
    expect(imageBuilder.validateResponse(op, 200, answer({ url: "https://bucket.example/image.qcow2" }))).toEqual([]);
    const refused = imageBuilder.validateResponse(op, 200, answer({ size: 1 }));
    expect(refused.map((p) => p.message)).toContain("/image_status/upload_status/options must match exactly one schema in oneOf");
  });

  it("reads OpenAPI 3.0's nullable as GitHub's description uses it: beside an enum, and without a type", () => {
    const v = createOpenApiValidator({
      openapi: "3.0.3",
      paths: {},
      components: {
        schemas: {
          run: {
            type: "object",
            properties: {
              conclusion: { type: "string", nullable: true, enum: ["success", "failure"] },
              app: { nullable: true, allOf: [{ $ref: "#/components/schemas/app" }] },
            },
          },
          app: { type: "object", required: ["id"], properties: { id: { type: "integer" } } },
        },
      },
    });
    expect(v.validateAt("/components/schemas/run", { conclusion: null, app: null })).toEqual([]);
    expect(v.validateAt("/components/schemas/run", { conclusion: "success", app: { id: 1 } })).toEqual([]);
    expect(v.validateAt("/components/schemas/run", { conclusion: "great", app: {} }).map((p) => p.keyword)).toEqual(
      expect.arrayContaining(["enum", "required"]),
    );
    expect(v.validateAt("/components/schemas/nope", {})).toEqual([
      expect.objectContaining({ message: "no schema at /components/schemas/nope" }),
    ]);
  });
});
