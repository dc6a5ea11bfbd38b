/**
 * Preloaded into a server process (`node --import tsx --import <this>`) by the crash
 * tests, to stop it dead at an exact point of the first delivery it records:
 * `HANG_AT_DELIVERY=written` right after the statement that writes its row of
 * `deliveries` (inside the transaction, before the commit), `committed` right after
 * the commit that follows. The process says so on stderr (`HANG_MARK`), then waits
 * synchronously for ever: nothing else of it runs until the test's SIGKILL.
 */
import Database from "better-sqlite3";

export const HANG_MARK = "HANG: stopped at the delivery record";

const at = process.env.HANG_AT_DELIVERY;
const prepare = Database.prototype.prepare; // eslint-disable-line @typescript-eslint/unbound-method -- called with .call(this)
let written = false;
let hung = false;

function hang(): void {
  hung = true;
  process.stderr.write(`${HANG_MARK} (${at})\n`); // synchronous on a pipe
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

// Imported without HANG_AT_DELIVERY (the test itself reads HANG_MARK): no patch.
if (at)
  Database.prototype.prepare = function (this: Database.Database, sql: string) {
    const statement = prepare.call(this, sql);
    const isRecord = /INSERT INTO deliveries/i.test(sql);
    const isCommit = /^\s*COMMIT\b/i.test(sql);
    if (!isRecord && !isCommit) return statement;
    const run = statement.run.bind(statement) as (...params: unknown[]) => Database.RunResult;
    statement.run = (...params: unknown[]) => {
      const result = run(...params);
      if (hung) return result;
      if (isRecord && !written) {
        written = true;
        if (at === "written") hang();
      } else if (isCommit && written && at === "committed") hang();
      return result;
    };
    return statement;
  } as typeof prepare;
