import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/errors.js";
import { CONFIG_FILE_NAMES, lookupConfig, UnreadableConfigError } from "../../../src/packit-config/lookup.js";

interface Call {
  query: string;
  vars: Record<string, unknown> | undefined;
}

/** A fake Octokit `graphql` that records its calls and answers with `answer` (a value, or a function that returns a promise). */
function fakeGithub(answer: unknown) {
  const calls: Call[] = [];
  return {
    calls,
    graphql: (query: string, vars?: Record<string, unknown>) => {
      calls.push({ query, vars });
      return typeof answer === "function" ? (answer as () => Promise<unknown>)() : Promise.resolve(answer);
    },
  };
}

const where = { owner: "packit", repo: "ogr", ref: "0123abc" };
const blob = (oid: string, text: string) => ({ oid, text, byteSize: text.length, isTruncated: false, isBinary: false });
const repository = (files: Record<string, unknown>) => ({
  repository: { ref: { oid: "0123abc" }, c0: null, c1: null, c2: null, c3: null, ...files },
});

describe("lookupConfig", () => {
  it("asks for every accepted name in one GraphQL request, passing ref and names as variables", async () => {
    const github = fakeGithub(repository({}));
    await lookupConfig(github, where);
    expect(github.calls).toHaveLength(1);
    const [{ query, vars }] = github.calls as [Call];
    expect(vars).toEqual({
      owner: "packit",
      name: "ogr",
      ref: "0123abc",
      e0: "0123abc:.packit.yaml",
      e1: "0123abc:.packit.yml",
      e2: "0123abc:packit.yaml",
      e3: "0123abc:packit.yml",
    });
    // nothing from the request is spliced into the query text
    expect(query).not.toContain("0123abc");
    expect(query).not.toContain("ogr");
    for (let i = 0; i < 4; i++) {
      expect(query).toContain(`c${i}: object(expression: $e${i}) { ... on Blob { oid text byteSize isTruncated isBinary } }`);
    }
    expect(query).toContain("repository(owner: $owner, name: $name)");
  });

  it("uses Packit's priority order", async () => {
    expect(CONFIG_FILE_NAMES).toEqual([".packit.yaml", ".packit.yml", "packit.yaml", "packit.yml"]);
    const github = fakeGithub(repository({ c1: blob("b1", "jobs: []\n"), c2: blob("b2", "specfile_path: x\n") }));
    expect(await lookupConfig(github, where)).toEqual({
      kind: "present",
      path: ".packit.yml",
      blobSha: "b1",
      text: "jobs: []\n",
      commitSha: "0123abc",
    });
  });

  it("skips a directory that carries a config name (a tree answers {})", async () => {
    const github = fakeGithub(repository({ c0: {}, c3: blob("b3", "jobs: []\n") }));
    expect(await lookupConfig(github, where)).toMatchObject({ kind: "present", path: "packit.yml", blobSha: "b3" });
  });

  it("is absent when the ref exists and no name is a file", async () => {
    expect(await lookupConfig(fakeGithub(repository({})), where)).toEqual({ kind: "absent", commitSha: "0123abc" });
  });

  it("propagates GraphQL and transport errors (never absent)", async () => {
    const github = fakeGithub(() => Promise.reject(new Error("502 Bad Gateway")));
    await expect(lookupConfig(github, where)).rejects.toThrow("502 Bad Gateway");
    expect(github.calls).toHaveLength(1);
  });

  it("throws for `repository: null` and for a ref that does not resolve", async () => {
    await expect(lookupConfig(fakeGithub({ repository: null }), where)).rejects.toThrow(/not found or not accessible/);
    await expect(lookupConfig(fakeGithub({ repository: { ref: null, c0: null } }), where)).rejects.toThrow(/ref 0123abc not found/);
  });

  it("reports a binary or truncated config as an invalid (present) config", async () => {
    const binary = fakeGithub(repository({ c0: { oid: "bb", text: null, byteSize: 10, isTruncated: false, isBinary: true } }));
    const err = await lookupConfig(binary, where).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreadableConfigError);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ path: ".packit.yaml", blobSha: "bb", message: ".packit.yaml: the config is a binary file" });

    const truncated = fakeGithub(repository({ c2: { oid: "tt", text: "jobs:", byteSize: 9_000_000, isTruncated: true, isBinary: false } }));
    await expect(lookupConfig(truncated, where)).rejects.toThrow("packit.yaml: the config is too large to read (9000000 bytes)");
  });

  it("refuses a ref that would change the expression", async () => {
    const github = fakeGithub(repository({}));
    await expect(lookupConfig(github, { ...where, ref: "main:evil" })).rejects.toThrow(/invalid ref/);
    expect(github.calls).toHaveLength(0);
  });
});

describe("lookupConfig on a tag", () => {
  it("reports the commit an annotated tag points at", async () => {
    const github = {
      graphql: () =>
        Promise.resolve({
          repository: { ref: { oid: "tagobject", target: { oid: "c0ffee" } }, c0: null, c1: null, c2: null, c3: null },
        }),
    };
    expect(await lookupConfig(github, { owner: "o", repo: "r", ref: "v1.0" })).toEqual({ kind: "absent", commitSha: "c0ffee" });
  });
});
