import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { removeStaleStaging, STALE_STAGING_MS } from "../../../src/backends/openscanhub/upload.js";

describe("stale OpenScanHub staging", () => {
  const base = mkdtempSync(join(tmpdir(), "osh-staging-test-"));
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  /** A directory with one file, both last changed `ageMs` ago (the file `fileAgeMs` ago). */
  function staged(name: string, ageMs: number, fileAgeMs = ageMs): void {
    const dir = join(base, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "target.src.rpm"), "x");
    const at = (ms: number) => (Date.now() - ms) / 1000;
    utimesSync(join(dir, "target.src.rpm"), at(fileAgeMs), at(fileAgeMs));
    utimesSync(dir, at(ageMs), at(ageMs));
  }

  it("removes what a killed process left, never a transfer still moving nor anything else", async () => {
    staged("osh-srpm-killed", 2 * STALE_STAGING_MS);
    staged("osh-srpm-uploading", 2 * STALE_STAGING_MS, 1000); // old directory, file still being written
    staged("osh-srpm-fresh", 1000);
    staged("someone-else", 2 * STALE_STAGING_MS);

    expect(await removeStaleStaging(base)).toBe(1);
    expect(readdirSync(base).sort()).toEqual(["osh-srpm-fresh", "osh-srpm-uploading", "someone-else"]);
  });
});
