import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import { LongestFirst } from "./test/support/sequencer.js";

// Three projects, so a change can be checked at the speed of its layer:
// `npm test -- --project unit` (pure functions and stores, seconds),
// `--project integration` (the app against the simulated GitHub and fakes, in process),
// `--project acceptance` (real processes: `npm start`, the CLI, kills and restarts).
const layer = (name: string) => ({ extends: true as const, test: { name, include: [`test/${name}/**/*.test.ts`] } });

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Most test time is spent waiting on processes, sockets and backends' phases, not CPU:
    // at least two files at once (vitest's default on 2 cores is one) halves the suite here.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // One real PostgreSQL server per run for the suites that run on both engines.
    globalSetup: ["test/support/postgres-setup.ts"],
    reporters: ["default"],
    // Longest first across the projects, so the workers finish together.
    sequence: { sequencer: LongestFirst },
    projects: [layer("unit"), layer("integration"), layer("acceptance")],
  },
});
