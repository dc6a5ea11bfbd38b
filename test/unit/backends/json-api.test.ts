import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createJsonApi } from "../../../src/backends/http.js";
import { BackendError } from "../../../src/errors.js";

const api = createJsonApi({ backend: "copr", baseUrl: "http://127.0.0.1:9/api_3", unauthorized: (said) => `token expired (${said})` });
const Build = z.object({ id: z.number().int(), state: z.string(), chroots: z.array(z.string()) });
const answer = (status: number, body: unknown) => ({ status, body, headers: new Headers() });

describe("JSON API answers (zod at the backend boundary)", () => {
  it("a body of the wrong shape is a transient BackendError naming the backend and the fields", () => {
    const err = (() => {
      try {
        api.parse({ id: 7, state: 3, chroots: ["fedora-41-x86_64", 4] }, Build, "get build 7", 200);
      } catch (e) {
        return e as BackendError;
      }
      throw new Error("no error");
    })();
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ backend: "copr", transient: true, status: 200 });
    expect(err.message).toMatch(/^copr: get build 7: malformed answer: state: .*expected string.*; chroots\.1: .*expected string/);
  });

  it("a body that is not JSON says so, with its start", () => {
    expect(() => api.parse("<html>Bad Gateway</html>", Build, "get build 7")).toThrow(
      'copr: get build 7: malformed answer: the answer is not JSON ("<html>Bad Gateway</html>")',
    );
    expect(() => api.parse(null, Build, "get build 7")).toThrow("malformed answer: the answer is not JSON (empty)");
  });

  it("expect returns what the schema read (unknown fields dropped), and turns other statuses into permanent errors", () => {
    expect(api.expect(answer(200, { id: 7, state: "running", chroots: [], extra: true }), Build, "get build 7")).toEqual({
      id: 7,
      state: "running",
      chroots: [],
    });
    expect(() => api.expect(answer(404, { error: "Build 7 does not exist." }), Build, "get build 7")).toThrow(
      "copr: get build 7: HTTP 404 Build 7 does not exist.",
    );
    const unauthorized = api.fail(answer(401, { error: "Login invalid/expired" }), "submit build");
    expect(unauthorized).toMatchObject({
      transient: false,
      status: 401,
      message: "copr: submit build: token expired (Login invalid/expired)",
    });
  });
});
