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
    const s = loadSettings({
      file,
      env: {
        PACKIT__WORKER__CONCURRENCY: "3",
        PACKIT__MAINTENANCE__ALLOW_LIST: '["acme", 42]',
        PACKIT__CANCEL__SUPERSEDE_DEFAULT_BRANCH: "true",
      },
    });
    expect(s.worker.concurrency).toBe(3);
    expect(s.maintenance).toMatchObject({ mode: "suspend", allowList: ["acme", 42] });
    expect(s.cancel.supersedeDefaultBranch).toBe(true);
  });

  it("takes the database from database.url in the file, and DATABASE_URL over it; SQLite without either", () => {
    const file = join(mkdtempSync(join(tmpdir(), "settings-")), "s.yaml");
    writeFileSync(file, "database:\n  url: postgres://file@db/packit\n");
    expect(loadSettings({ file, env: {} }).database).toMatchObject({
      url: "postgres://file@db/packit",
      path: "./data/packit-probot.sqlite",
    });
    expect(loadSettings({ file, env: { DATABASE_URL: "postgres://env@db/packit" } }).database.url).toBe("postgres://env@db/packit");
    expect(loadSettings({ file: undefined, env: {} }).database.url).toBeUndefined();
    expect(parseSettings({}).retention).toEqual({ deliveriesDays: 14, tasksDays: 14, auditDays: 365, pipelinesDays: 180 });
  });

  it("maps PACKIT__SECTION__KEY_NAME to section.keyName", () => {
    expect(envOverrides({ PACKIT__BACKENDS__TESTING_FARM__TIMEOUT_MS: "5", OTHER: "x" })).toEqual({
      backends: { testingFarm: { timeoutMs: "5" } },
    });
  });

  it("names every bad key, and never echoes a value (it may be a token)", () => {
    let err: unknown;
    try {
      parseSettings({
        worker: { concurency: 3 },
        maintenance: { mode: "nuke" },
        backends: { copr: { url: "not a url", token: "me:s3cret" } },
      });
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

  it("takes each backend's credentials as the service issues them, and says what goes together", () => {
    const s = parseSettings({
      backends: {
        copr: { login: "wbqhzmnrjtkdlxvyafpc", username: "packit", token: "t0ken" },
        testingFarm: { apiKey: "k3y" },
        imageBuilder: { refreshToken: "0ffline" },
      },
    });
    expect(s.backends.copr).toMatchObject({ login: "wbqhzmnrjtkdlxvyafpc", username: "packit", token: "t0ken" });
    expect(s.backends.imageBuilder.tokenUrl).toBe("https://sso.redhat.com/auth/realms/redhat-external/protocol/openid-connect/token");
    const problems = (input: unknown) => {
      try {
        parseSettings(input);
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    };
    expect(problems({ backends: { copr: { token: "t0ken" } } })).toContain("backends.copr: login, username and token go together");
    expect(problems({ backends: { testingFarm: { token: "k3y" } } })).toContain('backends.testingFarm: unknown key(s) "token"');
    expect(problems({ backends: { imageBuilder: { refreshToken: "0ffline", clientId: "sa", clientSecret: "s3cret" } } })).toContain(
      "set either refreshToken",
    );
    expect(problems({ backends: { imageBuilder: { clientSecret: "s3cret" } } })).toContain(
      "clientSecret needs the service account's clientId",
    );
    for (const secret of ["t0ken", "k3y", "0ffline", "s3cret"])
      expect(problems({ backends: { copr: { token: secret }, imageBuilder: { clientSecret: secret } } })).not.toContain(secret);
  });
});

describe("Koji and OpenScanHub login settings", () => {
  const problems = (input: unknown): string => {
    try {
      parseSettings(input);
    } catch (e) {
      return (e as Error).message;
    }
    return "";
  };

  it("accepts each login method with what it needs, and infers the method from the fields", () => {
    const s = parseSettings({
      backends: {
        koji: { principal: "packit@FEDORAPROJECT.ORG", keytab: "/etc/packit/packit.keytab" },
        openscanhub: { auth: "gssapi", principal: "packit@FEDORAPROJECT.ORG", keytab: "/etc/packit/packit.keytab" },
      },
    });
    expect(s.backends.koji).toMatchObject({ principal: "packit@FEDORAPROJECT.ORG", keytab: "/etc/packit/packit.keytab" });
    expect(
      problems({
        backends: {
          koji: { url: "https://cbs.example/kojihub", auth: "certificate", certificate: "/c.pem", key: "/k.pem", ca: "/ca.pem" },
        },
      }),
    ).toBe("");
    expect(problems({ backends: { koji: { auth: "password", token: "packit:pw" } } })).toBe("");
  });

  it("names what a login method misses", () => {
    expect(problems({ backends: { koji: { auth: "gssapi" } } })).toMatch(
      /backends\.koji\.principal: required when auth is gssapi[\s\S]*backends\.koji\.keytab: required/,
    );
    expect(problems({ backends: { koji: { auth: "certificate", url: "http://koji.example/kojihub" } } })).toMatch(
      /backends\.koji\.certificate: required[\s\S]*backends\.koji\.key: required[\s\S]*backends\.koji\.url: a certificate login needs an https:\/\/ hub URL/,
    );
    expect(problems({ backends: { openscanhub: { auth: "password", token: "no-colon" } } })).toMatch(
      /backends\.openscanhub\.token: required as user:password/,
    );
    expect(problems({ backends: { openscanhub: { auth: "certificate" } } })).toMatch(/backends\.openscanhub\.auth/);
  });

  it("refuses two keytabs: the krb5 library takes one per process", () => {
    const msg = problems({
      backends: {
        koji: { principal: "a@R", keytab: "/one.keytab" },
        openscanhub: { principal: "a@R", keytab: "/two.keytab" },
      },
    });
    expect(msg).toMatch(/backends\.openscanhub\.keytab: must be the same as backends\.koji\.keytab/);
    expect(msg).not.toContain("/two.keytab");
  });
});
