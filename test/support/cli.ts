import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { FAKE_COPR_ACCOUNT } from "../../testing/fakes/copr.js";
import type { World } from "./env.js";

const run = promisify(execFile);

/** The operator CLI as a separate process on the world's database and fake Copr, as an operator runs it. */
export const cli = (w: World, ...args: string[]) =>
  run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    env: {
      ...process.env,
      PACKIT__DATABASE__PATH: w.settings.database.path,
      PACKIT__BACKENDS__COPR__URL: w.fakes.copr.url,
      PACKIT__BACKENDS__COPR__LOGIN: FAKE_COPR_ACCOUNT.login,
      PACKIT__BACKENDS__COPR__USERNAME: FAKE_COPR_ACCOUNT.username,
      PACKIT__BACKENDS__COPR__TOKEN: FAKE_COPR_ACCOUNT.token,
      APP_ID: "",
    },
  });

export type CliResult = { code: number; stdout: string; stderr: string };

/** `cli`, with a failed run's exit code and output as the answer instead of a rejection. */
export const cliResult = (w: World, ...args: string[]): Promise<CliResult> =>
  cli(w, ...args).then(
    (r) => ({ code: 0, ...r }),
    (e: CliResult) => e,
  );
