import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext } from "playwright-core";
import { pullRequestEvent } from "../../testing/github-sim/index.js";
import { openBrowser, type LoopbackBrowser } from "../../testing/browser/chromium.js";
import { TWO_TARGET_CONFIG } from "../support/configs.js";
import { waitFor } from "../support/db.js";
import { randomSha, startWorld, type World } from "../support/env.js";

/** Signing in with GitHub (the simulated one's OAuth web flow) in Chromium: private projects for those who can read them. */
describe("dashboard sign-in with GitHub, in Chromium", () => {
  let world: World;
  let browser: LoopbackBrowser;
  const pipelineOfSecret = async () =>
    (
      await world.deps.db.get<{ id: number }>(
        "SELECT p.id FROM pipelines p JOIN repositories r ON r.id = p.repo_id WHERE r.owner = 'acme' AND r.name = 'secret'",
      )
    )?.id;

  beforeAll(async () => {
    world = await startWorld(TWO_TARGET_CONFIG, { phaseMs: 3_600_000 });
    const secret = world.sim.addRepo({
      installationId: 100,
      owner: "acme",
      name: "secret",
      private: true,
      files: { ".packit.yaml": TWO_TARGET_CONFIG },
    });
    world.sim.setPermission("acme", "secret", "insider", "read");
    world.sim.addUser("outsider");
    await world.send("pull_request", pullRequestEvent("opened", { repo: secret, number: 3, headSha: randomSha(), author: "insider" }));
    await world.send("pull_request", pullRequestEvent("opened", { repo: world.repo, number: 1, headSha: randomSha(), author: "insider" }));
    await waitFor(async () => (await pipelineOfSecret()) !== undefined, 15_000, "a pipeline of acme/secret");
    browser = await openBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await world?.stop();
  });
  afterAll(() => expect(browser.blocked).toEqual([]));

  /** A fresh browser profile signed in on GitHub as `login` that signs in to the dashboard. */
  async function signIn(login: string): Promise<BrowserContext> {
    world.sim.signInAs(login);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${world.service.url}/`);
    await page.getByRole("link", { name: "Sign in with GitHub" }).click();
    await page.waitForURL(`${world.service.url}/`);
    expect(await page.locator("header").innerText()).toContain(`Signed in as ${login}`);
    await page.close();
    return context;
  }

  it("anonymous visitors never see the private repository: not on /, its project page is not found", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${world.service.url}/`);
    const home = await page.locator("main").innerText();
    expect(home).toContain("acme/widget");
    expect(home).not.toContain("acme/secret");
    const res = await page.goto(`${world.service.url}/projects/acme/secret`);
    expect(res?.status()).toBe(404);
    expect(await page.locator("main").innerText()).toContain("sign in to see those you can read");
    expect((await page.goto(`${world.service.url}/pipelines/${await pipelineOfSecret()}`))?.status()).toBe(404);
    await page.close();
  });

  it("a visitor who can read it signs in and sees it on /, on its project page and in the API; signing out hides it again", async () => {
    const context = await signIn("insider");
    const page = await context.newPage();
    await page.goto(`${world.service.url}/`);
    expect(await page.locator("main").innerText()).toContain("acme/secret");
    const res = await page.goto(`${world.service.url}/projects/acme/secret`);
    expect(res?.status()).toBe(200);
    expect(await page.locator("main").innerText()).toMatch(/On GitHub · private[\s\S]*pull request #3/);
    const api = await page.goto(`${world.service.url}/api/pipelines/${await pipelineOfSecret()}`);
    expect(api?.status()).toBe(200);
    await page.goto(`${world.service.url}/`);
    await page.getByRole("link", { name: "Sign out" }).click();
    await page.waitForURL(`${world.service.url}/`);
    expect(await page.locator("main").innerText()).not.toContain("acme/secret");
    expect((await page.goto(`${world.service.url}/projects/acme/secret`))?.status()).toBe(404);
    await context.close();
  });

  it("a signed-in visitor without access to it does not see it", async () => {
    const context = await signIn("outsider");
    const page = await context.newPage();
    await page.goto(`${world.service.url}/`);
    expect(await page.locator("main").innerText()).not.toContain("acme/secret");
    expect((await page.goto(`${world.service.url}/projects/acme/secret`))?.status()).toBe(404);
    await context.close();
  });
});
