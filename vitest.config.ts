import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import { LongestFirst } from "./test/support/sequencer.js";

// Three projects, so a change can be checked at the speed of its layer:
// `npm test -- --project unit` (pure functions and stores, seconds),
// `--project integration` (the app against the simulated GitHub and fakes, in process),
// `--project acceptance` (real processes: `npm start`, the CLI, kills and restarts).
// Unit and integration files share their worker's loaded modules (`isolate: false`): importing
// Probot and the app again for every file cost a fifth of the suite's CPU. A test file must
// therefore leave no process-wide state behind (timers, env, one Kerberos realm per process
// is by design). Acceptance files, which start and kill processes, keep a fresh worker each.
const layer = (name: string, isolate: boolean) => ({
  extends: true as const,
  test: { name, include: [`test/${name}/**/*.test.ts`], isolate },
});

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Most test time is spent waiting on processes, sockets and backends' phases, not CPU:
    // one file more than there are cores (vitest's default is one fewer) keeps them busy.
    maxWorkers: availableParallelism() + 1,
    // One real PostgreSQL server per run for the suites that run on both engines.
    globalSetup: ["test/support/postgres-setup.ts"],
    reporters: ["default"],
    // Longest first across the projects, so the workers finish together.
    sequence: { sequencer: LongestFirst },
    projects: [layer("unit", false), layer("integration", false), layer("acceptance", true)],
  },
});
