import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // One real PostgreSQL server per run for the suites that run on both engines.
    globalSetup: ["test/support/postgres-setup.ts"],
    reporters: ["default"],
  },
});
