import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { bodyProblem, guardWebhookRequests, headerProblem } from "../../../src/webhooks/http-guard.js";

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

describe("guardWebhookRequests", () => {
  /** A server whose only listener counts what reaches it (Probot's, behind the guard). */
  async function guarded(maxBytes: number) {
    const server = createServer();
    let reached = 0;
    server.on("request", (_req, res) => {
      reached++;
      res.writeHead(200).end("ok");
    });
    guardWebhookRequests(server, { paths: ["/api/github/webhooks"], maxBytes });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/api/github/webhooks`,
      reached: () => reached,
      stop: () => new Promise<void>((r) => server.close(() => r())),
    };
  }

  it("answers 413 to a delivery over the size limit, declared or chunked, before anything parses it", async () => {
    const s = await guarded(1024);
    try {
      const big = JSON.stringify({ zen: "x".repeat(2000) });
      const declared = await fetch(s.url, { method: "POST", headers: { "content-type": "application/json" }, body: big });
      expect(declared.status).toBe(413);
      expect(await declared.json()).toEqual({ error: "request body too large" });
      const chunked = await fetch(s.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: new Blob([big]).stream(),
        duplex: "half",
      });
      expect(chunked.status).toBe(413);
      expect(s.reached()).toBe(0);
      const small = await fetch(s.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(small.status).toBe(200);
      expect(s.reached()).toBe(1);
    } finally {
      await s.stop();
    }
  });
});
