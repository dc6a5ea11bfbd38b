/**
 * What the strict simulator's tests (test/integration/github-sim-strict*.test.ts)
 * share beyond `useSim`: the head of packit/ogr, a check run's fields at it, and
 * how GitHub's refusals read over REST and GraphQL.
 */
import { beforeEach } from "vitest";
import { failure, installationOctokit, sim, useSim } from "./github-sim-app.js";

export const CHECKS_DOCS = "https://docs.github.com/rest/checks/runs#create-a-check-run";

/** packit/ogr's default-branch head in the current test. */
export let head: string;

/** `useSim()`, and `head` read before each test. */
export function useStrictSim(): void {
  useSim();
  beforeEach(() => {
    head = sim.headOf("packit", "ogr");
  });
}

export const base = () => ({ owner: "packit", repo: "ogr", name: "rpm-build:f40", head_sha: head });

interface Refusal {
  status: number;
  data: { message: string; documentation_url: string; status: string; errors?: Array<Record<string, unknown>> };
}

/** The status and body GitHub refused a request with. */
export async function refused(p: Promise<unknown>): Promise<Refusal> {
  const err = await failure(p);
  return { status: err.status, data: err.response.data as Refusal["data"] };
}

/** A GraphQL request's errors (GitHub answers 200 with `errors[]`). */
export async function graphqlErrors(query: string, variables: Record<string, unknown> = {}) {
  const gh = await installationOctokit();
  const err = (await gh.graphql(query, variables).then(
    () => {
      throw new Error("expected GraphQL errors");
    },
    (e: unknown) => e,
  )) as { errors: Array<{ type?: string; message: string; path?: string[] }>; data?: unknown };
  return err.errors;
}
