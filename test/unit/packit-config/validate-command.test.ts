import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runValidateConfig } from "../../../src/packit-config/validate-command.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/packit-configs");
const dir = mkdtempSync(join(tmpdir(), "validate-config-"));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function run(argv: string[]) {
  const log: string[] = [];
  const error: string[] = [];
  const code = await runValidateConfig(argv, { log: (l) => log.push(l), error: (l) => error.push(l) });
  return { code, log, error, json: () => JSON.parse(log.at(-1) ?? "null") as Record<string, unknown> };
}

describe("validate-config", () => {
  it("prints the planned jobs as an aligned table and exits 0", async () => {
    const { code, log } = await run([join(FIXTURES, "fedora-copr__logdetective__packit.yaml")]);
    expect(code).toBe(0);
    expect(log[0]).toMatch(/valid; 5 job\(s\) for a pull_request event$/);
    expect(log.slice(1, 4)).toEqual([
      "TYPE        TRIGGER       TARGET                 CHECK                                AFTER                            NOTES",
      "copr_build  pull_request  fedora-rawhide-x86_64  rpm-build:fedora-rawhide-x86_64      -",
      "copr_build  pull_request  fedora-44-x86_64       rpm-build:fedora-44-x86_64           -",
    ]);
    expect(log).toContain("tests       pull_request  fedora-rawhide-x86_64  testing-farm:fedora-rawhide-x86_64   rpm-build:fedora-rawhide-x86_64");
    expect(log).toContain("osh_scan    pull_request  fedora-rawhide-x86_64  osh-diff-scan:fedora-rawhide-x86_64  rpm-build:fedora-rawhide-x86_64");
  });

  it("plans for --event push --branch and lists jobs it does not handle", async () => {
    const { code, log } = await run([join(FIXTURES, "packit__ogr__.packit.yaml"), "--event", "push", "--branch", "stable"]);
    expect(code).toBe(0);
    expect(log).toContain("copr_build  commit   fedora-45-aarch64  rpm-build:stable:fedora-45-aarch64  -");
    expect(log).toContain("not handled: koji_build: downstream job, not handled by this service");
  });

  it("with --json ends with one JSON object describing the plan and warnings", async () => {
    const path = file("warn.yaml", "colour: red\njobs:\n  - {job: tests, trigger: pull_request, targets: [fedora-rawhide], skip_build: true, manual_trigger: true}\n");
    const { code, log, json } = await run([path, "--json"]);
    expect(code).toBe(0);
    expect(log).toContain("warning: colour: unknown key, ignored (line 1)");
    expect(log.at(-2)).toBe("warning: colour: unknown key, ignored (line 1)");
    expect(json()).toEqual({
      valid: true,
      jobs: [{ type: "tests", target: "fedora-rawhide-x86_64", check: "testing-farm:fedora-rawhide-x86_64", after: null }],
      warnings: ["colour: unknown key, ignored (line 1)"],
    });
    expect(log).toContain("tests  pull_request  fedora-rawhide-x86_64  testing-farm:fedora-rawhide-x86_64  -      manual");
  });

  it("exits 1 on an invalid config with the position, in text and JSON", async () => {
    const path = file("bad.yaml", "jobs:\n  - job: copr_build\n    trigger: sometimes\n");
    const text = await run([path]);
    expect(text.code).toBe(1);
    expect(text.error[0]).toBe(
      `invalid: ${path}: jobs[0].trigger: expected one of pull_request, commit, release, koji_build, ignore (got "sometimes") (line 3, column 5)`,
    );
    const { code, json } = await run([path, "--json"]);
    expect(code).toBe(1);
    expect(json()).toEqual({
      valid: false,
      error: {
        message: `invalid: ${path}: jobs[0].trigger: expected one of pull_request, commit, release, koji_build, ignore (got "sometimes") (line 3, column 5)`,
        line: 3,
        column: 5,
      },
    });
  });

  it("exits 1 on YAML syntax errors and unreadable files", async () => {
    const syntax = await run([file("syntax.yaml", "jobs: [\n"), "--json"]);
    expect(syntax.code).toBe(1);
    expect(syntax.json()).toMatchObject({ valid: false, error: { line: 2, column: 1 } });
    const missing = await run([join(dir, "missing.yaml"), "--json"]);
    expect(missing.code).toBe(1);
    expect(missing.json()).toMatchObject({ valid: false, error: { line: null, column: null } });
  });

  it("exits 2 on bad arguments", async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(["a.yaml", "b.yaml"])).code).toBe(2);
    expect((await run(["a.yaml", "--event", "merge"])).error[0]).toBe('unknown event "merge"');
    const unknown = await run(["a.yaml", "--frobnicate", "--json"]);
    expect(unknown.code).toBe(2);
    expect(unknown.json()).toMatchObject({ valid: false });
  });
});
