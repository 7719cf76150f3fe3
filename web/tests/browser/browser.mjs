// Headless Debian chromium through playwright-core, with WebGL on SwiftShader (no GPU needed).
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: 30000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--ignore-gpu-blocklist',
    ],
  });
}

// A page whose console errors and uncaught exceptions are collected in page.errors.
export async function openPage(browser, url, { width = 1400, height = 900 } = {}) {
  const page = await browser.newPage({ viewport: { width, height } });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(`console: ${m.text()}`);
  });
  page.setDefaultTimeout(20000);
  await page.goto(url, { timeout: 30000 });
  return page;
}

// Polls `predicate` (evaluated in the page) until true, or throws after `timeout` ms with `what`.
export async function waitFor(page, predicate, what, timeout = 20000, arg = undefined) {
  try {
    await page.waitForFunction(predicate, arg, { timeout, polling: 50 });
  } catch {
    const error = await page.evaluate(() => window.__attnviz?.error ?? null).catch(() => null);
    throw new Error(
      `timed out after ${timeout} ms waiting for ${what}${error ? ` (page error: ${error})` : ''}`,
    );
  }
}

export const settled = (page, what = 'the page to settle', timeout = 30000) =>
  waitFor(page, () => window.__attnviz && window.__attnviz.settled(), what, timeout);
