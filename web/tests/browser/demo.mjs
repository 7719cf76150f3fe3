// `attnviz demo` from a cold cache, as a new user meets it: the real binary on the bundled brown-gpt, on a free
// 127.0.0.1 port, and Debian's chromium checking that the matrix view draws every head.
// Usage: node tests/browser/demo.mjs   (env ATTNVIZ_BIN as for the other browser tests).
// Prints the timings it saw and "N passed, N failed"; every wait is bounded.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, openPage, settled, waitFor } from './browser.mjs';
import { ATTNVIZ, REPO, freePort } from './fixtures.mjs';
import { Pixels } from './pixels.mjs';

const ARTIFACTS = path.join(REPO, 'tests/artifacts/browser');

// Starts the demo; resolves with its URL and the seconds it took to say it was ready.
async function startDemo(cache, port, timeoutMs = 300000) {
  const started = Date.now();
  const child = spawn(ATTNVIZ, ['demo', '--cache', cache, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  process.on('exit', () => child.kill('SIGKILL'));
  const deadline = started + timeoutMs;
  while (Date.now() < deadline) {
    const ready = stdout.match(/ready at (http:\/\/\S+)/);
    if (ready) return { child, url: ready[1], seconds: (Date.now() - started) / 1000 };
    if (child.exitCode !== null)
      throw new Error(`attnviz demo exited ${child.exitCode}: ${stderr.trim().split('\n').pop()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`attnviz demo was not ready within ${timeoutMs} ms`);
}

function stopDemo(child, timeoutMs = 30000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill('SIGINT');
  });
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'attnviz-demo-'));
  const demo = await startDemo(cache, await freePort());
  console.log(`demo ready from a cold cache in ${demo.seconds.toFixed(1)} s at ${demo.url}`);
  const browser = await launchBrowser();
  let failure = null;
  try {
    const run = await (await fetch(`${demo.url}api/run`)).json();
    const { num_layers: L, num_heads: H } = run.manifest.model;
    const page = await openPage(browser, demo.url);
    const loaded = Date.now();
    await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 60000);
    console.log(`matrix view complete ${((Date.now() - loaded) / 1000).toFixed(1)} s after the page loaded`);
    await settled(page);
    const png = await page.screenshot({ path: path.join(ARTIFACTS, 'demo-matrix.png') });
    const rects = [];
    for (let l = 0; l < L; l++)
      for (let h = 0; h < H; h++)
        rects.push(await page.evaluate(([l, h]) => window.__attnviz.cellScreen(l, h), [l, h]));
    const background = await page.evaluate(() =>
      getComputedStyle(document.body).backgroundColor.match(/\d+/g).slice(0, 3).map(Number),
    );
    const counts = await (await Pixels.open(browser)).countNonBackground(png, rects, background);
    const empty = counts
      .map((c, k) => [c, k])
      .filter(([c]) => c < 30)
      .map(([, k]) => `L${Math.floor(k / H)} H${k % H}`);
    if (rects.length !== 48) throw new Error(`brown-gpt has 48 heads, the page shows ${rects.length}`);
    if (empty.length) throw new Error(`heads drawn without points: ${empty.join(', ')}`);
    if (page.errors.length) throw new Error(`page errors: ${page.errors.join('; ')}`);
  } catch (e) {
    failure = e;
  } finally {
    await browser.close();
    const code = await stopDemo(demo.child);
    if (!failure && code !== 0) failure = new Error(`attnviz demo exited ${code} on Ctrl-C`);
    fs.rmSync(cache, { recursive: true, force: true });
  }
  if (failure) console.log(`FAIL the demo's matrix view renders every head of brown-gpt: ${failure.message}`);
  else console.log("ok   the demo's matrix view renders every head of brown-gpt");
  console.log(failure ? '0 passed, 1 failed' : '1 passed, 0 failed');
  process.exit(failure ? 1 : 0);
}

const watchdog = setTimeout(
  () => {
    console.log('demo test: time limit (10 min) reached\n0 passed, 1 failed');
    process.exit(1);
  },
  10 * 60 * 1000,
);
watchdog.unref();
await main();
