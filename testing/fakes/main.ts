/**
 * `npm run fakes [-- --json] [-- --phase-ms N]`: every fake backend on its own free
 * loopback port, until Ctrl-C or SIGTERM (exit 0). Prints where each is and the
 * credentials a client needs: with `--json`, one JSON line
 * `{"copr", "testingFarm", "koji", "imageBuilder", "openScanHub", "credentials"}`.
 */
import { parseArgs } from "node:util";
import { fakeEndpoints, startFakes, stopFakes, type Fakes } from "./all.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    "phase-ms": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});

if (values.help) {
  process.stdout.write(
    "usage: npm run fakes -- [--json] [--phase-ms N]\n  --json        print one JSON line with each fake's URL and credentials\n  --phase-ms N  how long each build/test phase lasts (default 50)\n",
  );
  process.exit(0);
}
const phaseMs = values["phase-ms"] === undefined ? undefined : Number(values["phase-ms"]);
if (phaseMs !== undefined && !(phaseMs > 0)) {
  process.stderr.write(`--phase-ms must be a positive number of milliseconds, not ${JSON.stringify(values["phase-ms"])}\n`);
  process.exit(2);
}

// Listen for the signals before anything is printed: whoever reads the line may stop us at once.
let fakes: Fakes | undefined = undefined; // set once started: a signal may come first
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  if (fakes) shutDown(fakes);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

function shutDown(f: Fakes): void {
  stopFakes(f).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`stopping the fakes failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
}

// The fake hubs run their own Kerberos realm: a realm the shell pointed at does not apply here.
for (const name of ["KRB5_CONFIG", "KRB5_KTNAME", "KRB5_CLIENT_KTNAME", "KRB5CCNAME"]) delete process.env[name];
fakes = await startFakes({ phaseMs });
if (stopping) shutDown(fakes);
else {
  const endpoints = fakeEndpoints(fakes);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(endpoints)}\n`);
  } else {
    const { credentials: c, ...urls } = endpoints;
    for (const [name, url] of Object.entries(urls)) process.stdout.write(`${name.padEnd(13)} ${url}\n`);
    process.stdout.write(`\ncredentials (fakes only):\n${JSON.stringify(c, null, 2)}\n\nCtrl-C stops them.\n`);
  }
}
