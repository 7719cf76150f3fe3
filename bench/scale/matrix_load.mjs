#!/usr/bin/env node
// The matrix view of one big run in headless chromium (issue 17 item 2; docs/benchmarks.md "Scale: big runs"):
// serves RUN with `attnviz serve`, loads the page `repeats` times in a fresh tab, and reports per load the time
// from navigation to the complete matrix drawn (the page's own matrixDrawn mark), the bytes of the bulk layout
// reply and per point, the page's JS heap after drawing, whether the tab crashed, and the server's peak RSS.
// Timings only; never asserted.
// Usage: node bench/scale/matrix_load.mjs RUN [--repeats 3]   (env ATTNVIZ_BIN: the attnviz binary)
import fs from 'node:fs';
import { launchBrowser, waitFor } from '../../web/tests/browser/browser.mjs';
import { startServer } from '../../web/tests/browser/fixtures.mjs';

const args = process.argv.slice(2);
const run = args[0];
const repeats = Number(args.includes('--repeats') ? args[args.indexOf('--repeats') + 1] : 3);
if (!run) {
  console.error('usage: matrix_load.mjs RUN [--repeats 3]');
  process.exit(2);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const peakKb = (pid) => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

const server = await startServer(run, { timeoutMs: 120000 });
const browser = await launchBrowser();
const loads = [];
try {
  const info = await (await fetch(`${server.url}api/run`)).json();
  const { num_layers: L, num_heads: H } = info.manifest.model;
  const points = 2 * info.manifest.sequences.reduce((a, s) => a + s.token_count, 0);
  for (let r = 0; r < repeats; r++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    let crashed = false;
    let body = Promise.resolve(0);
    page.on('crash', () => (crashed = true));
    // The body bytes received, as the network stack counted them once the reply finished: it is streamed
    // (chunked), so it has no Content-Length, and tens of MB are too many to read back as a body.
    page.on('requestfinished', (req) => {
      if (/\/layouts\/pca\/2/.test(req.url())) body = req.sizes().then((s) => s.responseBodySize);
    });
    await page.goto(server.url, { timeout: 60000 });
    await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 120000);
    const bytes = await body;
    const t = await page.evaluate(() => ({
      marks: { ...window.__attnviz.timings },
      drawn: window.__attnviz.timings.matrixDrawn,
      heap: performance.memory?.usedJSHeapSize ?? 0,
    }));
    loads.push({ seconds: t.drawn / 1000, heapMB: t.heap / 1e6, bytes, crashed });
    console.error(`load ${r + 1}: ${JSON.stringify(t.marks, (_, v) => (typeof v === 'number' ? Math.round(v) : v))}`);
    await context.close();
  }
  const heads = L * H;
  const bytes = loads[0].bytes;
  console.log(
    JSON.stringify({
      run,
      heads,
      pointsPerHead: points,
      points: heads * points,
      matrixSeconds: loads.map((l) => +l.seconds.toFixed(2)),
      medianSeconds: +median(loads.map((l) => l.seconds)).toFixed(2),
      bytes,
      bytesPerPoint: +(bytes / (heads * points)).toFixed(3),
      jsHeapMB: +median(loads.map((l) => l.heapMB)).toFixed(0),
      crashed: loads.some((l) => l.crashed),
      serverPeakRssMB: +(peakKb(server.child.pid) / 1024).toFixed(0),
      load: fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    }),
  );
} finally {
  await browser.close();
  server.stop();
}
