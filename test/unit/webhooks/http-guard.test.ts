import { describe, expect, it } from "vitest";
import { bodyProblem, headerProblem } from "../../../src/webhooks/http-guard.js";

describe("webhook request guard (pure)", () => {
  it("accepts what GitHub sends", () => {
    expect(
      headerProblem({
        "x-github-event": "pull_request_review_comment",
        "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "x-hub-signature-256": `sha256=${"a".repeat(64)}`,
      }),
    ).toBeUndefined();
    expect(bodyProblem(JSON.stringify({ action: "opened", installation: { id: 1 }, repository: { id: 2 } }))).toBeUndefined();
    expect(bodyProblem("{}")).toBeUndefined(); // each event's own fields are its handler's to check
  });

  it("refuses header values over the bound and names GitHub never uses, saying which header", () => {
    expect(headerProblem({ "x-github-delivery": "x".repeat(101) })).toMatch(/^x-github-delivery is 101 characters/);
    expect(headerProblem({ "x-hub-signature-256": "x".repeat(500) })).toMatch(/^x-hub-signature-256/);
    for (const event of ["constructor", "toString", "__proto__", "PUSH", "push ", "a-b", ""])
      expect(headerProblem({ "x-github-event": event }), event).toContain("not a GitHub event name");
  });

  it("refuses bodies that are not a JSON object, or whose installation id is not a positive integer", () => {
    expect(bodyProblem("null")).toContain("not null");
    expect(bodyProblem("3")).toContain("a number");
    expect(bodyProblem('"x"')).toContain("a string");
    expect(bodyProblem("[]")).toContain("an array");
    expect(bodyProblem("{")).toBe("Invalid JSON");
    for (const installation of [{}, null, { id: "1" }, { id: 0 }, { id: -3 }, { id: 1.5 }, { id: 2 ** 60 }, 7]) {
      expect(bodyProblem(JSON.stringify({ installation })), JSON.stringify(installation)).toBe(
        "installation.id must be a positive integer",
      );
    }
  });
});
