import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../../src/db/open.js";
import { StorageError } from "../../../src/errors.js";

describe("openDatabase on a damaged SQLite file (issue 23 item 6)", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const damaged = (content: Buffer | string) => {
    const dir = mkdtempSync(join(tmpdir(), "packit-corrupt-"));
    dirs.push(dir);
    const path = join(dir, "packit-probot.sqlite");
    writeFileSync(path, content);
    return path;
  };

  it("stops with an error naming the file and the documented restore command, not SQLite's bare words", async () => {
    const path = damaged("this is not a database, just garbage ".repeat(200));
    const err = await openDatabase({ path }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect(err!.message).toContain(`the database file ${path} is damaged (SQLITE_NOTADB`);
    expect(err!.message).toContain(`sqlite3 ${path} ".recover" | sqlite3 ${path}.recovered`);
    expect(err!.message).toContain(`docs/reliability.md, "Corrupt database"`);
  });

  it("a SQLite header over garbage pages is refused the same way", async () => {
    const page = Buffer.alloc(4096, 0xab);
    Buffer.from("SQLite format 3\0").copy(page);
    page.writeUInt16BE(4096, 16);
    const err = await openDatabase({ path: damaged(Buffer.concat([page, Buffer.alloc(8192, 0xcd)])) }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect(err!.message).toMatch(/is damaged \(SQLITE_(NOTADB|CORRUPT)/);
  });
});
