/**
 * `npm run bench -- <name> [--json]`: runs one benchmark (on PostgreSQL when `DATABASE_URL` is set, where it touches the database). Each prints a readable
 * summary, and with --json its last line is one JSON object with the measurements.
 */
const BENCHES: Record<string, () => Promise<{ run(): Promise<Record<string, unknown>> }>> = {
  queue: () => import("./queue.js"),
  checks: () => import("./checks.js"),
  cancel: () => import("./cancel.js"),
  noconfig: () => import("./noconfig.js"),
  fairness: () => import("./fairness.js"),
  claim: () => import("./claim.js"),
  webhooks: () => import("./webhooks.js"),
  growth: () => import("./growth.js"),
  dashboard: () => import("./dashboard.js"),
  replicas: () => import("./replicas.js"),
  chaos: () => import("./chaos.js"),
};

const [name, ...rest] = process.argv.slice(2);
const json = rest.includes("--json");
if (!name || !(name in BENCHES)) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join("|")}> [--json]`);
  process.exit(2);
}
const bench = await BENCHES[name]!();
const result = await bench.run();
const shown = (v: unknown) => (typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v));
for (const [k, v] of Object.entries(result)) if (k !== "name") console.log(`${k.padEnd(28)} ${shown(v)}`);
// One JSON object, spaced as `{"name": "claim", "results": [...]}`.
if (json) console.log(JSON.stringify(result).replace(/"(?:[^"\\]|\\.)*"|[:,]/g, (t) => (t === ":" ? ": " : t === "," ? ", " : t)));
process.exit(0);
