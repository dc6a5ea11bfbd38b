import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { openBrowser, type LoopbackBrowser } from "../../testing/browser/chromium.js";
import { runDemo, type DemoSummary } from "../../testing/demo/main.js";
import type { Environment } from "../../testing/demo/environment.js";
import type { CheckRunRecord } from "../../testing/github-sim/index.js";

/** The demo's data, served (`npm run demo -- --serve`), looked at in Debian's Chromium. */
describe("the dashboard in Chromium, on the demo's data", () => {
  let env: Environment;
  let browser: LoopbackBrowser;
  let page: Page;
  let stopServing!: () => void;
  let demo: Promise<DemoSummary>;
  const lines: string[] = [];
  const open = async (path: string) => {
    const res = await page.goto(`${env.service.url}${path}`);
    expect(res?.status(), path).toBe(200);
    return page.locator("main");
  };
  const widgetRuns = (): CheckRunRecord[] => env.sim.checkRuns("acme", "widget");

  beforeAll(async () => {
    const served = new Promise<Environment>((resolve, reject) => {
      demo = runDemo({
        log: (l) => lines.push(l),
        serveUntil: (e) => {
          resolve(e);
          return new Promise<void>((r) => (stopServing = r));
        },
      });
      demo.then((s) => reject(new Error(`the demo ended before serving: ${JSON.stringify(s)}`)), reject);
    });
    env = await served;
    browser = await openBrowser();
    page = await browser.context.newPage();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    stopServing?.();
    const summary = await demo;
    expect(summary.ok, lines.join("\n")).toBe(true);
  }, 30_000);

  it("/ shows both projects' pipelines, the superseded head, the queue and builder time saved", async () => {
    const main = await open("/");
    await expect.poll(() => main.locator("h1").innerText()).toBe("Recent pipelines");
    const rows = main.locator("table tbody tr");
    expect(await rows.count()).toBe(8);
    const text = await main.innerText();
    expect(text).toContain("acme/widget");
    expect(text).toContain("acme/gadget");
    expect(text).toContain("push to main");
    expect(text).toMatch(/pull request #1 \(superseded\)/);
    expect(text).toMatch(/Last 24 hours\s+unknown\s+builder time saved by 0 of 6 cancelled jobs\s+6 had no earlier run of their check/);
    expect(text).toMatch(/Queue\s+0 waiting/);
    await main.getByRole("link", { name: "acme/gadget" }).first().click();
    expect(new URL(page.url()).pathname).toBe("/projects/acme/gadget");
  });

  it("a project page lists each pipeline's jobs with state, duration and the backend's own page", async () => {
    const main = await open("/projects/acme/widget");
    // The demo's cancelled jobs had no earlier run of their check: nothing to estimate from, and the page says so.
    expect(await main.innerText()).toContain(
      "No estimate in the last 12 weeks: no cancelled job had an earlier run of its check to go by.",
    );
    const first = main.locator("section").last();
    expect(await first.locator("h3").innerText()).toMatch(/^Pipeline #\d+ · pull request #1 at [0-9a-f]{7} · .* · superseded by #\d+$/);
    const build = first.getByRole("row", { name: /^rpm-build:fedora-44-x86_64/ });
    expect(await build.innerText()).toMatch(/cancelled\s+Superseded by [0-9a-f]{7}/);
    const copr = build.getByRole("link", { name: /^Copr build \d+$/ });
    expect(await copr.getAttribute("href")).toMatch(new RegExp(`^${env.fakes.copr.url}/coprs/build/\\d+/$`));
    // Koji refused the cancel and the build finished: it shows its result, not the request.
    const koji = main
      .locator("section")
      .nth(-2)
      .getByRole("row", { name: /^koji-build:f44/ });
    expect(await koji.innerText()).toMatch(/^koji-build:f44\s+success\s+\d+ s\s+Koji task \d+/);
  });

  it("/cancellations shows every cancel by entry point with each job's result code", async () => {
    const main = await open("/cancellations");
    const text = await main.innerText();
    for (const s of ["button: 2", "comment: 1", "supersede: 1"]) expect(text).toContain(s);
    expect(await main.locator("section").count()).toBe(4);
    const comment = main.locator("section", { hasText: "comment by contributor" });
    expect(await comment.locator("h3").innerText()).toMatch(/in acme\/widget · partial$/);
    expect(await comment.getByRole("row", { name: /^koji-build:f44/ }).innerText()).toMatch(/3\s+backend error: not allowed/);
    expect(text).toContain("could not be cancelled – already finished (success)");
  });

  it("every check run's details link opens its job page", async () => {
    const runs = [...widgetRuns(), ...env.sim.checkRuns("acme", "gadget")];
    expect(runs.length).toBe(19);
    for (const run of runs) {
      expect(run.details_url, run.name).toMatch(new RegExp(`^${env.service.url}/jobs/\\d+$`));
      const res = await page.goto(run.details_url!);
      expect(res?.status(), run.name).toBe(200);
      expect(await page.locator("h1").innerText()).toMatch(new RegExp(`^${run.name.replace(/[.:]/g, "\\$&")} \\(job \\d+\\)$`));
      const state = (await page.getByRole("row", { name: /^State/ }).innerText()).split(/\s+/)[1];
      expect(state, run.name).toBe(run.conclusion);
    }
  });

  it("from a superseded job's check run, the link to the newer head leads to its pipeline", async () => {
    const superseded = widgetRuns().find((r) => r.name === "rpm-build:fedora-44-x86_64" && r.conclusion === "cancelled")!;
    const newer = widgetRuns().find((r) => r.name === "rpm-build:fedora-44-x86_64" && r.conclusion === "success")!;
    await page.goto(superseded.details_url!);
    const main = page.locator("main");
    const cancellation = main.locator("h2", { hasText: "Cancellation" }).locator("xpath=following-sibling::p[1]");
    expect(await cancellation.innerText()).toBe(
      `Superseded by ${newer.head_sha.slice(0, 7)} — the newer head ${newer.head_sha.slice(0, 7)} (pipeline #2)`,
    );
    expect(await main.getByRole("row", { name: /packit-probot supersede/ }).innerText()).toMatch(/supersede\s+0\s+cancelled/);
    await main.locator("#superseded-by").click();
    expect(new URL(page.url()).pathname).toBe("/pipelines/2");
    const pipeline = page.locator("main");
    expect(await pipeline.innerText()).toContain(`pull request #1 at ${newer.head_sha.slice(0, 7)}`);
    // The newer head's build of the same target is there, and its link is the job the check run links.
    await pipeline.getByRole("link", { name: "rpm-build:fedora-44-x86_64", exact: true }).click();
    expect(page.url()).toBe(newer.details_url);
  });

  it("/maintenance shows the demo's two sweeps; /queue an idle queue", async () => {
    const maintenance = await open("/maintenance");
    const decisions = maintenance.locator("h2", { hasText: "Sweep decisions" }).locator("xpath=following-sibling::table[1]");
    const text = await decisions.innerText();
    expect(text).toMatch(/reported\s+installation 200 \(dormant-org\)/);
    expect(text).toMatch(/suspended\s+installation 200 \(dormant-org\)/);
    expect(text).toMatch(/kept\s+installation 100 \(acme\)/);
    expect(await maintenance.innerText()).toMatch(/Next candidates \(mode: suspend\)/);
    const queue = await open("/queue");
    expect(await queue.innerText()).toContain("No worker runs a task now.");
  });

  it("reaches nothing but loopback", () => {
    expect(browser.blocked).toEqual([]);
  });
});
