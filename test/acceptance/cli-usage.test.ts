import { afterEach, describe, expect, it } from "vitest";
import { concurrencyLimit } from "../../src/util/concurrency.js";
import { cliResult } from "../support/cli.js";
import { startWorld, type World } from "../support/env.js";

/** The operator CLI's answers to mistakes and `--help`, each from a process of its own. */
describe("npm run cli", () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it("says what went wrong: unknown commands and options exit 2 naming the nearest command, bad values are clear errors, --help works everywhere", async () => {
    world = await startWorld(null);
    const w = world;
    const audit = async () => (await w.deps.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM audit"))!.n;
    // The runs are independent: a few at once (each process mostly loads modules).
    const limit = concurrencyLimit(4);
    const runAll = (argss: string[][]) => Promise.all(argss.map((args) => limit(() => cliResult(w, ...args))));

    const [taks, lsit, limt, abc, bogus, badJob, reprot, none] = await runAll([
      ["taks", "list"],
      ["tasks", "lsit"],
      ["tasks", "list", "--limt", "5"],
      ["tasks", "list", "--limit", "abc"],
      ["tasks", "list", "--status", "bogus"],
      ["cancel", "--job", "abc"],
      ["maintenance", "reprot"],
      [],
    ]);
    expect(taks).toMatchObject({ code: 2, stderr: expect.stringContaining("Did you mean tasks?") });
    expect(lsit).toMatchObject({ code: 2, stderr: expect.stringContaining("Did you mean list?") });
    expect(limt).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--limt'") });
    expect(abc).toMatchObject({ code: 2, stderr: expect.stringContaining("'--limit <n>' argument 'abc' is invalid") });
    expect(bogus).toMatchObject({ code: 2, stderr: expect.stringContaining("Allowed choices are todo, doing") });
    expect(badJob).toMatchObject({ code: 2, stderr: expect.stringContaining("'--job <id>' argument 'abc' is invalid") });
    expect(badJob!.stdout).not.toContain("nothing to cancel");
    // A typo never runs a sweep: no decision is made or audited.
    expect(reprot).toMatchObject({ code: 2, stderr: expect.stringContaining("Did you mean report?") });
    expect(await audit()).toBe(0);
    expect(none).toMatchObject({ code: 2 });

    const helps = [
      ["--help"],
      ["tasks", "--help"],
      ["tasks", "list", "--help"],
      ["tasks", "cancel", "--help"],
      ["tasks", "abort", "--help"],
      ["cancel", "--help"],
      ["maintenance", "--help"],
      ["validate-config", "--help"],
      ["migrate-to-postgres", "--help"],
    ];
    const helped = await runAll(helps);
    helps.forEach((args, i) => expect(helped[i], args.join(" ")).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: /) }));

    // Empty answers say so.
    const [failed, report, noJob] = await runAll([
      ["tasks", "list", "--status", "failed"],
      ["maintenance", "report"],
      ["cancel", "--job", "424242"],
    ]);
    expect(failed).toMatchObject({ code: 0, stdout: "no tasks with status failed\n" });
    expect(report).toMatchObject({ code: 0, stdout: "no sweep decisions recorded yet\n" });
    expect(noJob).toMatchObject({ code: 1, stderr: "no job 424242\n" });
    expect(await audit()).toBe(0);
  }, 120_000);
});
