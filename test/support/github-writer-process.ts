/**
 * A real process that writes to one installation of the simulated GitHub through the
 * app's Octokit class (the shared-limits test): it authenticates, prints "ready",
 * waits for a line on stdin, sends `WRITES` reactions at once and prints "done".
 * With `REDIS_URL` its rate limiters live on that Redis, as the service's do.
 */
import { once } from "node:events";
import { Probot } from "probot";
import { createOctokitClass } from "../../src/github/octokit.js";
import { createLogger } from "../../src/log.js";
import { createMetrics } from "../../src/metrics/index.js";

const env = process.env;
const log = await createLogger({ level: "silent" });
const Octokit = createOctokitClass({
  log,
  metrics: createMetrics({ defaultMetrics: false }),
  retries: 0,
  writeIntervalMs: Number(env.WRITE_INTERVAL_MS),
  notificationIntervalMs: 3000,
  requestTimeoutMs: 30_000,
  retryBaseMs: 1000,
});
const probot = new Probot({
  appId: Number(env.APP_ID),
  privateKey: env.PRIVATE_KEY,
  baseUrl: env.GITHUB_URL,
  log,
  Octokit,
  redisConfig: env.REDIS_URL || undefined,
});
const github = await probot.auth(Number(env.INSTALLATION_ID));
const [owner = "", repo = ""] = env.REPO!.split("/");
// A process's first request to an installation also sets up the throttling plugin's own
// limiter for it (on Redis: a script and a subscription); done here, it does not delay one
// of the measured writes after its slot.
await github.rest.repos.get({ owner: owner, repo: repo });
process.stdout.write("ready\n");
await once(process.stdin, "data");
await Promise.all(
  Array.from({ length: Number(env.WRITES) }, () =>
    github.rest.reactions.createForIssueComment({ owner: owner, repo: repo, comment_id: Number(env.COMMENT_ID), content: "eyes" }),
  ),
);
process.stdout.write("done\n");
await Octokit.close();
process.exit(0);
