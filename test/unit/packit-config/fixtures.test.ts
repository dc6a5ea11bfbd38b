import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePackitConfig } from "../../../src/packit-config/parse.js";
import { runValidateConfig } from "../../../src/packit-config/validate-command.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/packit-configs");
const MORE = join(FIXTURES, "more");
const configs = [FIXTURES, MORE].flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .map((f) => join(dir, f)),
);
const name = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** Packit refuses these (packit/schema.py today); the reason each one fails. */
const REFUSED: Record<string, RegExp> = {
  // 2019 format: jobs without `job`, keys Packit never had
  "packit-service__docker-py-source-git__.packit.json": /jobs\[0\]\.job: Missing data for required field\./,
  // synced_files was removed from Packit
  "Scribery__tlog__.packit.yml": /^synced_files: Unknown field\./,
  // the job type production_build was removed from Packit in 2022
  "fedora-infra__noggin__.packit.yaml": /the deprecated name 'production_build' was removed/,
  "fedora-infra__datagrepper__.packit.yaml": /the deprecated name 'production_build' was removed/,
  "fedora-infra__fedora-messaging__.packit.yaml": /the deprecated name 'production_build' was removed/,
};

describe("Packit's verdict on the 94 real configs", () => {
  it("has them all", () => {
    expect(configs).toHaveLength(94);
  });

  it.each(configs.map((path) => [name(path), path]))("%s", (file, path) => {
    const result = parsePackitConfig(readFileSync(path), { path: file });
    const refused = REFUSED[file];
    if (refused) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems.map((p) => p.message).join("\n")).toMatch(refused);
    } else {
      expect(result.ok, result.ok ? "" : result.error.message).toBe(true);
    }
  });
});

/**
 * Automatic jobs (builds × chroots, tests × test targets, Koji builds, scans) of a
 * pull request into the default branch, a push to it and a release, worked out by
 * hand from Packit's rules with the bundled releases (Fedora 44, 45, Rawhide; EPEL
 * 8, 9, 10) and no Copr to ask:
 * - requre: PR builds fedora-all + epel-9 (4) and tests them (epel-9 on CentOS
 *   Stream 9: 4), and the commit job into main is the scan's base (1); the push and
 *   the release each build the same 4 chroots in their own project.
 * - python-bugzilla: only commit jobs, in `metadata:`: 4 builds (fedora-all,
 *   epel-8) and 4 tests after them.
 * - rpmlint: 4 PR builds (Rawhide and Tumbleweed, two arches each) and the scan
 *   (the commit job on main); the push to main builds 4; the job on branch
 *   `opensuse` does not run.
 * - testing-farm cli: the top-level `targets: [fedora-all]` reaches every job, so
 *   even the custom projects build 3 chroots; the PR also tests 3; no scan
 *   (`osh_diff_scan_after_copr_build: false`).
 * - keylime: tests with `skip_build`; the `full` job is manual, `fast` tests
 *   fedora-latest (fedora-45): 1.
 */
const BY_HAND: [string, { pull_request: number; push: number; release: number }][] = [
  ["packit__requre__.packit.yaml", { pull_request: 9, push: 4, release: 4 }],
  ["python-bugzilla__python-bugzilla__.packit.yml", { pull_request: 0, push: 8, release: 0 }],
  ["rpm-software-management__rpmlint__.packit.yaml", { pull_request: 5, push: 4, release: 0 }],
  ["testing-farm__cli__.packit.yaml", { pull_request: 6, push: 3, release: 3 }],
  ["keylime__keylime__.packit.yaml", { pull_request: 1, push: 0, release: 0 }],
];

describe("validate-config counts Packit's automatic jobs per event", () => {
  it.each(BY_HAND)("%s", async (file, expected) => {
    const log: string[] = [];
    expect(await runValidateConfig([join(MORE, file), "--json"], { log: (l) => log.push(l), error: () => {} })).toBe(0);
    expect((JSON.parse(log.at(-1)!) as { automaticJobs: unknown }).automaticJobs).toEqual(expected);
  });
});
