import type { z } from "zod";
import type { HttpAnswer, JsonApi } from "../http.js";

/** Every error body of Copr is `{"error": "<message>"}`: any `error` key is a failure, whatever the HTTP status. */
export function hasError(body: unknown): boolean {
  return typeof body === "object" && body !== null && (body as { error?: unknown }).error != null;
}

/** The body of a successful Copr answer read with `schema`, or the error the answer means. */
export function expectCopr<S extends z.ZodType>(api: JsonApi, ans: HttpAnswer, schema: S, what: string): z.output<S> {
  if (hasError(ans.body)) throw api.fail(ans, what);
  return api.expect(ans, schema, what);
}
