/**
 * The baseline of `bench/webhooks.ts`: bare Probot 14 with a no-op handler, started
 * as the service is (a child process, Probot's own `Server`), on PORT with APP_ID,
 * PRIVATE_KEY and WEBHOOK_SECRET. Prints `listening` on stderr once it answers.
 */
import { Probot, Server } from "probot";

const server = new Server({
  host: "127.0.0.1",
  port: Number(process.env.PORT),
  Probot: Probot.defaults({ appId: process.env.APP_ID, privateKey: process.env.PRIVATE_KEY, secret: process.env.WEBHOOK_SECRET }),
});
await server.load((app) => {
  app.onAny(async () => {});
});
await server.start();
process.stderr.write("listening\n");
