import { describe, expect, it } from "vitest";
import { MAX_COMMANDS, parseCommands, selectJobs } from "../../../src/commands/parse.js";
import { inlineCode } from "../../../src/util/markdown.js";

describe("/packit commands", () => {
  it("finds commands at line starts only", () => {
    expect(parseCommands("LGTM\n/packit cancel\n> /packit cancel all\ntext /packit cancel").commands).toEqual([
      { verb: "cancel", args: [] },
    ]);
    expect(parseCommands("/packit cancel tests rpm-build:fedora-rawhide-x86_64").commands).toEqual([
      { verb: "cancel", args: ["tests", "rpm-build:fedora-rawhide-x86_64"] },
    ]);
    expect(parseCommands("/packit\n/packit help\n/packit frobnicate").commands.map((c) => c.verb)).toEqual(["help", "help", "unknown"]);
    expect(parseCommands("/packitcancel").commands).toEqual([]);
  });

  it("bounds the work of a comment with many commands or a huge body", () => {
    const many = parseCommands("/packit cancel\n".repeat(100));
    expect(many.commands).toHaveLength(MAX_COMMANDS);
    expect(many.truncated).toBe(true);
    expect(parseCommands(`${"x".repeat(2_000_000)}\n/packit cancel`).commands).toEqual([]);
  });

  const jobs = [
    { type: "copr_build", key: "rpm-build:fedora-rawhide-x86_64" },
    { type: "copr_build", key: "rpm-build:fedora-44-x86_64" },
    { type: "tests", key: "testing-farm:fedora-rawhide-x86_64" },
    { type: "osh_scan", key: "osh-diff-scan:fedora-rawhide-x86_64" },
  ];

  it("selects all, by type, by full or partial check name", () => {
    expect(selectJobs([], jobs).jobs).toHaveLength(4);
    expect(selectJobs(["all"], jobs).jobs).toHaveLength(4);
    expect(selectJobs(["tests"], jobs).jobs.map((j) => j.key)).toEqual(["testing-farm:fedora-rawhide-x86_64"]);
    expect(selectJobs(["build"], jobs).jobs).toHaveLength(2);
    expect(selectJobs(["rpm-build:fedora-44-x86_64"], jobs).jobs.map((j) => j.key)).toEqual(["rpm-build:fedora-44-x86_64"]);
    expect(selectJobs(["rpm-build"], jobs).jobs).toHaveLength(2);
    expect(selectJobs(["osh"], jobs).jobs).toHaveLength(1);
  });

  it("names the words it did not understand", () => {
    expect(selectJobs(["tests", "everything"], jobs)).toMatchObject({ unknown: ["everything"] });
    expect(selectJobs(["rpm-build:epel-9-x86_64"], jobs)).toEqual({ jobs: [], unknown: [] });
  });

  it("quotes comment text back as one code span a comment cannot break out of (no @mentions by the app)", () => {
    expect(inlineCode("rpm-build:fedora-44")).toBe("`rpm-build:fedora-44`");
    const quoted = inlineCode("x` @acme/admins `y\n\n# title");
    expect(quoted.match(/`/g)).toHaveLength(2);
    expect(quoted.startsWith("`") && quoted.endsWith("`")).toBe(true);
    expect(inlineCode("a".repeat(100), 10)).toBe(`\`${"a".repeat(10)}…\``);
  });
});
