/**
 * `npm run screenshots`: plays the demo, then photographs the dashboard's main pages
 * on its data in Debian's Chromium into docs/screenshots/ (PNG, 1280 px wide, whole page).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { runDemo } from "../demo/main.js";
import { openBrowser } from "./chromium.js";

const OUT = join(import.meta.dirname, "../../docs/screenshots");

const lines: string[] = [];
const summary = await runDemo({
  log: (l) => lines.push(l),
  serveUntil: async (env) => {
    const runs = env.sim.checkRuns("acme", "widget");
    // The build the second head superseded: its page explains the cancellation.
    const superseded = runs.find((r) => r.name === "rpm-build:fedora-44-x86_64" && r.conclusion === "cancelled");
    if (!superseded?.details_url) throw new Error("the demo left no superseded build to photograph");
    const job = new URL(superseded.details_url).pathname;
    const pipeline = (await env.deps.pipelines.job(Number(job.split("/").pop())))!.pipeline_id;
    const shots: Record<string, string> = {
      home: "/",
      project: "/projects/acme/widget",
      pipeline: `/pipelines/${pipeline}`,
      job,
      cancellations: "/cancellations",
    };
    mkdirSync(OUT, { recursive: true });
    const browser = await openBrowser({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await browser.context.newPage();
      for (const [name, path] of Object.entries(shots)) {
        const res = await page.goto(`${env.service.url}${path}`);
        if (res?.status() !== 200) throw new Error(`${path} answered ${res?.status()}`);
        await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
        console.log(`docs/screenshots/${name}.png  ${path}`);
      }
      if (browser.blocked.length > 0) throw new Error(`the pages reached off loopback: ${browser.blocked.join(", ")}`);
    } finally {
      await browser.close();
    }
  },
});
if (!summary.ok) {
  console.error(lines.join("\n"));
  process.exitCode = 1;
}
