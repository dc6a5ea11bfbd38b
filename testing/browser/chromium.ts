/**
 * Debian's Chromium (`/usr/bin/chromium`, or `CHROMIUM_PATH`) driven by playwright-core,
 * headless, for the dashboard's browser tests and screenshots. Every request that
 * leaves loopback is refused and recorded, so a page that needs the network shows up.
 */
import { chromium, type Browser, type BrowserContext } from "playwright-core";

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

export interface LoopbackBrowser {
  browser: Browser;
  /** A first profile (cookies, storage) to browse with. */
  context: BrowserContext;
  /** Another, separate profile, guarded the same way. */
  newContext(): Promise<BrowserContext>;
  /** URLs the pages tried to reach off loopback (refused). */
  blocked: string[];
  close(): Promise<void>;
}

export async function openBrowser(opts: { viewport?: { width: number; height: number } } = {}): Promise<LoopbackBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
  const blocked: string[] = [];
  const newContext = async () => {
    const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
    await context.route("**/*", async (route) => {
      const url = route.request().url();
      if (LOOPBACK.has(new URL(url).hostname)) return route.continue();
      blocked.push(url);
      return route.abort("blockedbyclient");
    });
    return context;
  };
  return { browser, context: await newContext(), newContext, blocked, close: () => browser.close() };
}
