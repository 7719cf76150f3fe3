#!/usr/bin/env node
// Browser timings of the web UI (reported in docs/benchmarks.md "Web UI"; never asserted): headless Debian
// chromium (software WebGL) against a real `attnviz serve`.
//   1. the brown-gpt demo run (40 sentences, made by the browser tests: tests/artifacts/browser-runs/brown-gpt)
//   2. a synthetic run of 12 x 12 heads x 20,000 points = 2.9M points (bench/web/make_synthetic_run.mjs)
// For each: page load -> complete matrix view, click -> single view, frame times while panning.
// Usage: node bench/web/browser_perf.mjs [--demo RUN] [--synthetic RUN] [--repeats 3]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, waitFor } from '../../web/tests/browser/browser.mjs';
import { REPO, startServer } from '../../web/tests/browser/fixtures.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const demo = option('demo', path.join(REPO, 'tests/artifacts/browser-runs/brown-gpt'));
const synthetic = option('synthetic', '/tmp/attnviz-synthetic-144x20000');
const repeats = Number(option('repeats', 3));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

// Frame intervals (ms) while the mouse drags across the canvas in `steps` moves.
async function panFrames(page, steps = 40) {
  await page.evaluate(() => {
    window.__frames = [];
    let last = performance.now();
    const tick = (t) => {
      window.__frames.push(t - last);
      last = t;
      if (window.__framesOn) requestAnimationFrame(tick);
    };
    window.__framesOn = true;
    requestAnimationFrame(tick);
  });
  const box = await page.locator('#deck').boundingBox();
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * 0.3, y);
  await page.mouse.down();
  for (let k = 1; k <= steps; k++) await page.mouse.move(box.x + box.width * (0.3 + (0.4 * k) / steps), y + 40 * Math.sin(k / 5));
  await page.mouse.up();
  await page.waitForTimeout(300);
  const frames = await page.evaluate(() => {
    window.__framesOn = false;
    return window.__frames.slice(1);
  });
  return { median: median(frames), p95: pct(frames, 0.95), max: Math.max(...frames), count: frames.length };
}

async function measure(browser, run, label) {
  const server = await startServer(run);
  const out = { label, loads: [], clicks: [], crashed: false };
  try {
    for (let r = 0; r < repeats; r++) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      page.on('crash', () => (out.crashed = true));
      await page.goto(server.url, { timeout: 60000 });
      await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 120000);
      const t = await page.evaluate(() => window.__attnviz.timings);
      out.loads.push(t.matrixDrawn); // ms since navigation start
      out.fromScript = [...(out.fromScript ?? []), t.matrixDrawn - t.start]; // without fetching the bundle
      if (r === 0) {
        out.heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? null);
        out.points = await page.evaluate(() => {
          const s = window.__attnviz.state();
          return s.layers * s.heads * s.points;
        });
        await page.waitForTimeout(500);
        out.matrixPan = await panFrames(page);
      }
      const cell = await page.evaluate(() => window.__attnviz.cellScreen(1, 2));
      const t0 = await page.evaluate(() => performance.now());
      await page.mouse.click(cell.x + cell.width / 2, cell.y + cell.height / 2);
      await waitFor(page, () => window.__attnviz.state().view === 'single' && window.__attnviz.singleDrawn, 'the single view', 60000);
      out.clicks.push((await page.evaluate(() => window.__attnviz.timings.singleDrawn)) - t0);
      if (r === 0) {
        await page.waitForTimeout(500);
        out.singlePan = await panFrames(page);
      }
      await context.close();
    }
  } finally {
    server.stop();
  }
  return out;
}

if (!fs.existsSync(path.join(synthetic, 'layouts/tsne-2d.safetensors'))) {
  execFileSync('node', [path.join(REPO, 'bench/web/make_synthetic_run.mjs'), synthetic], { stdio: 'inherit' });
}
if (!fs.existsSync(path.join(demo, 'manifest.json'))) {
  console.error(`no demo run at ${demo}: run the browser tests first (npm run test:browser in web/)`);
  process.exit(1);
}
const browser = await launchBrowser();
const results = [];
const demoSentences = JSON.parse(fs.readFileSync(path.join(demo, 'manifest.json'), 'utf8')).sequences.length;
for (const [run, label] of [[demo, `demo run (${demoSentences} inputs)`], [synthetic, 'synthetic 144 heads x 20,000 points']]) {
  results.push(await measure(browser, run, label));
}
await browser.close();
const f = (x) => (x === undefined ? '-' : `${Math.round(x)}`);
console.log('| run | points | page load -> matrix view (ms, median of ' + repeats + ') | of which after the script started | click -> single view (ms) | matrix pan frame ms (median / p95) | single pan frame ms (median / p95) | JS heap | crash |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of results) {
  console.log(`| ${r.label} | ${r.points.toLocaleString('en')} | ${f(median(r.loads))} (${r.loads.map(f).join(', ')}) | ${f(median(r.fromScript))} | ${f(median(r.clicks))} (${r.clicks.map(f).join(', ')}) | ${f(r.matrixPan.median)} / ${f(r.matrixPan.p95)} | ${f(r.singlePan.median)} / ${f(r.singlePan.p95)} | ${r.heap ? `${Math.round(r.heap / 2 ** 20)} MiB` : '-'} | ${r.crashed ? 'yes' : 'no'} |`);
}
fs.mkdirSync(path.join(REPO, 'tests/artifacts'), { recursive: true });
fs.writeFileSync(path.join(REPO, 'tests/artifacts/web-perf.json'), JSON.stringify(results, null, 1));
