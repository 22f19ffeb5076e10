/** Headless Debian chromium through playwright-core, kept on loopback: every other request is aborted. */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Debian's chromium is missing at ${CHROMIUM_PATH}: npm test installs it (scripts/ensure-chromium.js)`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // Every host name but loopback fails to resolve: WebSockets and anything the route below cannot see stay home too.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1'],
  });
}

export interface LoopbackContext {
  context: BrowserContext;
  /** Requests the page tried to make beyond loopback (fonts from a CDN, ...); all were aborted. */
  blocked: string[];
}

export async function loopbackContext(browser: Browser, viewport = { width: 1280, height: 860 }): Promise<LoopbackContext> {
  const context = await browser.newContext({ viewport });
  const blocked: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    const host = safeHost(url);
    if (host === '127.0.0.1' || host === 'localhost' || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  return { context, blocked };
}

function safeHost(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}
