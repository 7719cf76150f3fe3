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

// Clicks the matrix cell of (layer, head) and waits until its single view is drawn and the page has settled.
export async function openCell(page, layer, head, what = 'the single view') {
  const r = await page.evaluate(([l, h]) => window.__attnviz.cellScreen(l, h), [layer, head]);
  await page.mouse.click(r.x + r.width / 2, r.y + r.height / 2);
  await waitFor(page, () => window.__attnviz.state().view === 'single' && window.__attnviz.singleDrawn, what);
  await settled(page);
}

// How the toolbar fits the page's width: the vertical spread of its visible controls' centres (0 when they
// are one row), the right edge of the rightmost, and whether it overflows (scrolls).
export const toolbarFit = (page) =>
  page.evaluate(() => {
    const bar = document.querySelector('.toolbar');
    const boxes = [...bar.children].map((c) => c.getBoundingClientRect()).filter((r) => r.width > 0);
    const tops = new Set(boxes.map((r) => Math.round(r.top + r.height / 2)));
    return {
      rows: Math.max(...tops) - Math.min(...tops),
      right: Math.max(...boxes.map((r) => r.right)),
      hidden: bar.scrollWidth > bar.clientWidth,
    };
  });
