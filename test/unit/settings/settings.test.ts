import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { envOverrides, loadSettings, parseSettings } from "../../../src/settings.js";
import { SettingsError } from "../../../src/errors.js";

describe("service settings", () => {
  it("fills every default", () => {
    const s = parseSettings({});
    expect(s.database.path).toBe("./data/packit-probot.sqlite");
    expect(s.maintenance.mode).toBe("report");
    expect(s.backends.copr.url).toBe("https://copr.fedorainfracloud.org");
  });

  it("reads a YAML file and lets the environment override it", () => {
    const file = join(mkdtempSync(join(tmpdir(), "settings-")), "s.yaml");
    writeFileSync(file, "worker:\n  concurrency: 8\nmaintenance:\n  mode: suspend\n");
    const s = loadSettings({ file, env: { PACKIT__WORKER__CONCURRENCY: "3", PACKIT__MAINTENANCE__ALLOW_LIST: '["acme", 42]', PACKIT__CANCEL__SUPERSEDE_DEFAULT_BRANCH: "true" } });
    expect(s.worker.concurrency).toBe(3);
    expect(s.maintenance).toMatchObject({ mode: "suspend", allowList: ["acme", 42] });
    expect(s.cancel.supersedeDefaultBranch).toBe(true);
  });

  it("takes the database from database.url in the file, and DATABASE_URL over it; SQLite without either", () => {
    const file = join(mkdtempSync(join(tmpdir(), "settings-")), "s.yaml");
    writeFileSync(file, "database:\n  url: postgres://file@db/packit\n");
    expect(loadSettings({ file, env: {} }).database).toMatchObject({ url: "postgres://file@db/packit", path: "./data/packit-probot.sqlite" });
    expect(loadSettings({ file, env: { DATABASE_URL: "postgres://env@db/packit" } }).database.url).toBe("postgres://env@db/packit");
    expect(loadSettings({ file: undefined, env: {} }).database.url).toBeUndefined();
    expect(parseSettings({}).retention).toEqual({ deliveriesDays: 14, tasksDays: 14, auditDays: 365, pipelinesDays: 180 });
  });

  it("maps PACKIT__SECTION__KEY_NAME to section.keyName", () => {
    expect(envOverrides({ PACKIT__BACKENDS__TESTING_FARM__TIMEOUT_MS: "5", OTHER: "x" })).toEqual({ backends: { testingFarm: { timeoutMs: "5" } } });
  });

  it("names every bad key, and never echoes a value (it may be a token)", () => {
    let err: unknown;
    try {
      parseSettings({ worker: { concurency: 3 }, maintenance: { mode: "nuke" }, backends: { copr: { url: "not a url", token: "me:s3cret" } } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SettingsError);
    const msg = (err as Error).message;
    expect(msg).toContain('worker: unknown key(s) "concurency"');
    expect(msg).toContain("maintenance.mode");
    expect(msg).toContain("backends.copr.url");
    expect(msg).not.toContain("s3cret");
  });
});
