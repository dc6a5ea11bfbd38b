/**
 * A real worker process for the crash test: serves "sleep" tasks from the database
 * given in argv[2] (a SQLite file or a postgres:// URL) and prints "started <id>"
 * when one begins.
 */
import { openDatabase } from "../../src/db/open.js";
import { TaskStore, Worker, exponentialBackoff } from "../../src/queue/index.js";

const where = process.argv[2]!;
const db = await openDatabase(where.startsWith("postgres") ? { url: where } : { path: where });
const store = new TaskStore<{ sleep: { ms: number } }>(db);
const worker = new Worker(
  store,
  {
    async sleep(payload, ctx) {
      process.stdout.write(`started ${ctx.taskId}\n`);
      await new Promise((r) => setTimeout(r, payload.ms));
    },
  },
  {
    queues: ["default"],
    concurrency: 1,
    pollIntervalMs: 50,
    leaseMs: 500,
    retry: exponentialBackoff({ baseMs: 10, maxMs: 10 }),
    log: { info() {}, warn() {}, error() {} },
  },
);
worker.start();
