// Browser tests of the web UI: Debian's chromium (headless, software WebGL) against a real `attnviz serve`
// on runs made by the real `attnviz extract` + `attnviz layout` from the bundled models.
// Usage: npm run test:browser   (env ATTNVIZ_BIN: the attnviz binary, default ../build/attnviz;
// BROWSER_SUITES=a,b runs only the named suites; KEEP_SCREENSHOTS_FOR_DOCS=1 also copies the best
// screenshots to docs/images/; HEAD_TYPES_RUN=RUN shows the head types of that run instead of the text run's,
// e.g. brown-gpt's demo run, whose screenshots docs/guide.md shows: copied by hand from the artifacts).
// Prints "N passed, N failed" and exits non-zero when anything failed. Every wait is bounded.
import fs from 'node:fs';
import path from 'node:path';
import { brokenLayoutTests, makeBrokenRun } from './broken-layout.mjs';
import { cellOrderTests } from './cell-order.mjs';
import { compactLayoutsTests } from './compact-layouts.mjs';
import { headsRunsTests, headsTests } from './heads.mjs';
import { headTypesTests } from './head-types.mjs';
import { probeImageTests, probeTests } from './probe.mjs';
import { makeValuesRun, valuesTests } from './values.mjs';
import { shareTests } from './share.mjs';
import { restyleTests } from './restyle.mjs';
import { launchBrowser, openCell, openPage, settled, waitFor } from './browser.mjs';
import { neighboursTests } from './neighbours.mjs';
import { REPO, attnviz, getJson, startServer, writeBrownSentences, writeMnistDigits } from './fixtures.mjs';
import { Pixels } from './pixels.mjs';
import { navTests } from './nav.mjs';
import { selectTests } from './select.mjs';
import { runSwitcherTests } from './run-switcher.mjs';

const ARTIFACTS = path.join(REPO, 'tests/artifacts/browser');
const WORK = path.join(REPO, 'tests/artifacts/browser-runs');
const results = [];
const watchdog = setTimeout(
  () => {
    console.error('browser tests: overall time limit (20 min) reached');
    console.log(
      `${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length + 1} failed`,
    );
    process.exit(1);
  },
  20 * 60 * 1000,
);

async function check(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e.message}`);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

// Screenshot of the page, or of the element `selector` names.
async function shot(page, name, selector) {
  const file = path.join(ARTIFACTS, `${name}.png`);
  const clip = selector ? await page.locator(selector).boundingBox() : undefined;
  const png = await page.screenshot({ path: file, clip });
  return png;
}

// Screenshot of the canvas area only (toolbar and panels excluded), once the page has settled.
async function canvasShot(page, name) {
  await settled(page);
  await page.waitForTimeout(150);
  const box = await page.locator('#deck').boundingBox();
  return page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), clip: box });
}

const state = (page) => page.evaluate(() => window.__attnviz.state());

// `attnviz extract` of a bundled model over `input` into the run `out`; returns the seconds it took.
const extract = (model, input, out) =>
  attnviz(['extract', '--model', path.join(REPO, 'models', model), '--input', input, '--out', out], 300000);

async function makeRuns() {
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  const text = path.join(WORK, 'brown-gpt');
  writeBrownSentences(path.join(WORK, 'brown40.txt'), 40);
  const t1 = extract('brown-gpt', path.join(WORK, 'brown40.txt'), text);
  // PCA for every head (t-SNE / UMAP of all 48 heads take minutes on 2 busy cores; the single view gets
  // t-SNE of one head computed on demand by the server).
  const t2 = attnviz(['layout', text, '--methods', 'pca', '--dims', '2,3'], 300000);
  const image = path.join(WORK, 'mnist-vit');
  writeMnistDigits(path.join(WORK, 'digits'), 20);
  const t3 = extract('mnist-vit', path.join(WORK, 'digits'), image);
  const t4 = attnviz(['layout', image, '--methods', 'pca', '--dims', '2'], 300000);
  console.log(
    `runs ready: brown-gpt extract ${t1.toFixed(1)} s, layout ${t2.toFixed(1)} s; mnist-vit extract ${t3.toFixed(1)} s, layout ${t4.toFixed(1)} s`,
  );
  const broken = makeBrokenRun(text, path.join(WORK, 'brown-gpt-broken'));
  return { text, image, broken };
}

async function textRunTests(browser, pixels, server) {
  const api = (route) => getJson(`${server.url}api/${route}`);
  const tokens = await api('tokens');
  const run = await api('run');
  const { num_layers: L, num_heads: H } = run.manifest.model;
  const page = await openPage(browser, server.url);

  await check('matrix view draws every head (pixels in every cell)', async () => {
    await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 30000);
    await settled(page);
    const png = await shot(page, 'matrix');
    const rects = [];
    for (let l = 0; l < L; l++)
      for (let h = 0; h < H; h++)
        rects.push(await page.evaluate(([l, h]) => window.__attnviz.cellScreen(l, h), [l, h]));
    assert(rects.every(Boolean), 'a cell has no screen rectangle');
    const background = await page.evaluate(() =>
      getComputedStyle(document.body).backgroundColor.match(/\d+/g).slice(0, 3).map(Number),
    );
    const counts = await pixels.countNonBackground(png, rects, background);
    const empty = counts.map((c, k) => [c, k]).filter(([c]) => c < 30);
    assert(
      empty.length === 0,
      `cells without points: ${empty.map(([c, k]) => `L${Math.floor(k / H)} H${k % H} (${c} px)`).join(', ')}`,
    );
    const labels = await page.locator('#where').textContent();
    assert(/all heads/.test(labels), `breadcrumb says "${labels}"`);
  });

  await check('legend is shown for the default colour mode', async () => {
    const text = await page.locator('#legend').textContent();
    assert(/query/.test(text) && /key/.test(text), `legend: "${text}"`);
  });

  await check('hovering a cell shows its head (and metrics when present)', async () => {
    const r = await page.evaluate(() => window.__attnviz.cellScreen(1, 2));
    await page.mouse.move(r.x + r.width / 2, r.y + r.height / 2);
    await waitFor(page, () => !document.getElementById('tooltip').hidden, 'the cell tooltip', 5000);
    const text = await page.locator('#tooltip').textContent();
    assert(text.startsWith('L1 H2'), `tooltip "${text}"`);
  });

  await check('every colour mode changes the matrix picture', async () => {
    const modes = (await state(page)).colorModes;
    assert(modes.length >= 8, `only ${modes.length} colour modes`);
    const base = await canvasShot(page, 'matrix-color-qk');
    for (const mode of modes.filter((m) => m !== 'qk')) {
      await page.selectOption('[data-testid=color-mode]', mode);
      const png = await canvasShot(page, `matrix-color-${mode}`);
      const diff = await pixels.diffFraction(base, png);
      assert(diff > 0.002, `colour mode ${mode} changed only ${(diff * 100).toFixed(3)}% of pixels`);
      const legend = await page.locator('#legend').textContent();
      assert(legend.length > 0, `no legend for ${mode}`);
    }
    await page.selectOption('[data-testid=color-mode]', 'qk');
  });

  await check('2D/3D switch changes the matrix picture', async () => {
    const base = await canvasShot(page, 'matrix-pca-2d');
    await page.click('[data-testid=dim-3]');
    await waitFor(
      page,
      () => window.__attnviz.state().dim === 3 && window.__attnviz.matrixDrawn,
      'the 3D matrix',
    );
    const pca3 = await canvasShot(page, 'matrix-pca-3d');
    assert((await pixels.diffFraction(base, pca3)) > 0.01, '3D looks like 2D');
    await page.click('[data-testid=dim-2]');
    await waitFor(
      page,
      () => window.__attnviz.state().dim === 2 && window.__attnviz.matrixDrawn,
      'the 2D matrix again',
    );
  });

  await check('a method still being computed shows progress and draws PCA meanwhile', async () => {
    const umap = run.layouts.find((l) => l.method === 'umap' && l.dim === 2); // makeRuns makes no UMAP
    assert(umap && umap.heads_ready === 0, 'the test run was expected to have no UMAP layouts');
    await page.selectOption('[data-testid=method]', 'umap');
    await waitFor(page, () => !document.getElementById('progress').hidden, 'the progress bar', 5000);
    const text = await page.locator('#progress-text').textContent();
    assert(/0 of \d+ heads ready/.test(text) && /PCA meanwhile/.test(text), `progress "${text}"`);
    await waitFor(
      page,
      () => window.__attnviz.state().shown === 'pca' && window.__attnviz.matrixDrawn,
      'the stand-in PCA matrix',
    );
    await page.selectOption('[data-testid=method]', 'pca');
    await waitFor(
      page,
      () =>
        window.__attnviz.state().method === 'pca' &&
        window.__attnviz.matrixDrawn &&
        document.getElementById('progress').hidden,
      'PCA again',
    );
  });

  await check('metric colouring and sorting of cells', async () => {
    const names = await page.locator('[data-testid=cell-metric] option').allTextContents();
    assert(names.length > 1, 'no metrics offered (metrics.json missing?)');
    const base = await canvasShot(page, 'matrix-plain');
    await page.selectOption('[data-testid=cell-metric]', { index: 1 });
    const coloured = await canvasShot(page, 'matrix-metric');
    assert((await pixels.diffFraction(base, coloured)) > 0.01, 'metric colouring changed nothing');
    await page.check('[data-testid=sort-cells]');
    await waitFor(page, () => window.__attnviz.matrixDrawn, 'the sorted matrix');
    await canvasShot(page, 'matrix-metric-sorted');
    await page.uncheck('[data-testid=sort-cells]');
    await page.selectOption('[data-testid=cell-metric]', '');
    await waitFor(page, () => window.__attnviz.matrixDrawn, 'the unsorted matrix');
  });

  await check("search reports the server's count, enlarges matches, and clear resets", async () => {
    const counts = new Map();
    for (const t of tokens.token)
      counts.set(t.trim().toLowerCase(), (counts.get(t.trim().toLowerCase()) ?? 0) + 1);
    const word = [...counts].filter(([w]) => /^[a-z]+$/.test(w)).sort((a, b) => b[1] - a[1])[0][0];
    const expected = (await api(`search?token=${encodeURIComponent(word)}`)).count;
    assert(expected > 0, `server finds no "${word}"`);
    const base = await canvasShot(page, 'search-before');
    await page.fill('[data-testid=search]', word);
    await page.press('[data-testid=search]', 'Enter');
    await waitFor(page, () => window.__attnviz.state().searchCount !== null, 'the search result');
    const shown = await page.locator('[data-testid=search-count]').textContent();
    assert(shown.startsWith(`${expected} match`), `page says "${shown}", server ${expected}`);
    const after = await canvasShot(page, 'search-matrix');
    assert((await pixels.diffFraction(base, after)) > 0.005, 'search changed nothing on screen');
    await page.click('[data-testid=search-clear]');
    await waitFor(page, () => window.__attnviz.state().searchCount === null, 'the cleared search');
    assert((await page.locator('[data-testid=search-count]').textContent()) === '', 'count still shown');
  });

  await check('clicking a cell opens its single view', async () => {
    await settled(page);
    await openCell(page, 1, 2);
    const s = await state(page);
    assert(s.layer === 1 && s.head === 2, `opened L${s.layer} H${s.head}`);
    await shot(page, 'single');
  });

  let hovered = -1;
  await check('hovering a point shows its tooltip', async () => {
    const n = tokens.token.length;
    for (let i = 7; i < 2 * n && hovered < 0; i += 13) {
      const p = await page.evaluate((i) => window.__attnviz.pointScreen(i), i);
      if (!p) continue;
      await page.mouse.move(p.x, p.y);
      try {
        await waitFor(page, () => !document.getElementById('tooltip').hidden, 'tooltip', 3000);
        hovered = i;
      } catch {
        // covered by another element or point; try the next
      }
    }
    assert(hovered >= 0, 'no point produced a tooltip');
    const text = await page.locator('#tooltip').textContent();
    assert(
      / · (query|key)\n/.test(text) && /position \d+ of \d+/.test(text) && /norm \d/.test(text),
      `tooltip "${text}"`,
    );
  });

  await check('method switch in the single view: t-SNE of this head computed on demand', async () => {
    const base = await canvasShot(page, 'single-pca');
    await page.selectOption('[data-testid=method]', 'tsne');
    await waitFor(
      page,
      () => window.__attnviz.state().shown === 'tsne' && window.__attnviz.singleDrawn,
      'the t-SNE single view',
      120000,
    );
    const tsne = await canvasShot(page, 'single-tsne');
    assert((await pixels.diffFraction(base, tsne)) > 0.01, 't-SNE looks like PCA');
    await page.selectOption('[data-testid=method]', 'pca');
    await waitFor(
      page,
      () => window.__attnviz.state().shown === 'pca' && window.__attnviz.singleDrawn,
      'PCA again',
    );
  });

  await check('size by norm changes the picture', async () => {
    const base = await canvasShot(page, 'single-plain');
    await page.check('[data-testid=size-norm]');
    const sized = await canvasShot(page, 'single-size-norm');
    assert((await pixels.diffFraction(base, sized)) > 0.002, 'size by norm changed nothing');
    await page.uncheck('[data-testid=size-norm]');
  });

  await check(
    "clicking a point opens the sentence view with its input's tokens and attention lines",
    async () => {
      const p = await page.evaluate((i) => window.__attnviz.pointScreen(i), hovered);
      await page.mouse.click(p.x, p.y);
      await waitFor(
        page,
        () => window.__attnviz.state().selected !== null && !document.getElementById('side').hidden,
        'the sentence view',
      );
      await settled(page);
      const s = await state(page);
      const expected = tokens.token
        .filter((_, i) => tokens.sequence[i] === s.selectedSequence)
        .map((t) => (t.trim() === '' ? '␣' : t));
      const shownQueries = await page.locator('[data-testid=query-token]').allTextContents();
      const shownKeys = await page.locator('[data-testid=key-token]').allTextContents();
      assert(
        JSON.stringify(shownQueries) === JSON.stringify(expected),
        `queries ${JSON.stringify(shownQueries.slice(0, 8))}… vs ${JSON.stringify(expected.slice(0, 8))}…`,
      );
      assert(JSON.stringify(shownKeys) === JSON.stringify(expected), 'keys differ from the input tokens');
      const lines = await page.locator('#sentence-view line').count();
      assert(lines >= expected.length, `only ${lines} attention lines`);
      await shot(page, 'sentence');
    },
  );

  await check(
    'hovering a sentence token keeps only its lines; hiding the first token renormalises',
    async () => {
      const all = await page.locator('#sentence-view line').count();
      await page.locator('[data-testid=query-token]').nth(3).hover();
      const visible = await page.evaluate(
        () =>
          [...document.querySelectorAll('#sentence-view line')].filter((l) => l.style.display !== 'none')
            .length,
      );
      assert(visible > 0 && visible <= 4 && visible < all, `hover shows ${visible} of ${all} lines`);
      await page.mouse.move(5, 5);
      await page.check('[data-testid=hide-special]');
      await settled(page);
      const firstKeyLines = await page.locator('#sentence-view line[data-key="0"]').count();
      assert(firstKeyLines === 0, `${firstKeyLines} lines still go to the hidden first token`);
      const row = await page.evaluate(() =>
        [...document.querySelectorAll('#sentence-view line[data-query="2"]')].map((l) =>
          Number(l.getAttribute('stroke-opacity')),
        ),
      );
      const sum = row.reduce((a, b) => a + b, 0);
      assert(sum > 0.9 && sum <= 1.02, `query 2's visible weights sum to ${sum}`);
      await page.uncheck('[data-testid=hide-special]');
    },
  );

  await check('aggregate view by relative position', async () => {
    await page.click('[data-testid=tab-aggregate]');
    await waitFor(
      page,
      () => document.querySelectorAll('#aggregate-view rect').length > 0,
      'the aggregate bars',
    );
    await shot(page, 'aggregate');
    await page.click('[data-testid=tab-input]');
  });

  await check('2D/3D switch in the single view animates to a different picture', async () => {
    const before = await canvasShot(page, 'single-2d');
    await page.click('[data-testid=dim-3]');
    await waitFor(page, () => window.__attnviz.state().dim === 3, '3D');
    const after = await canvasShot(page, 'single-3d');
    assert((await pixels.diffFraction(before, after)) > 0.003, '3D looks like 2D');
    await page.click('[data-testid=dim-2]');
    await settled(page);
  });

  await check('arrow keys move to the neighbouring head and layer', async () => {
    await page.mouse.move(5, 5);
    await page.keyboard.press('ArrowRight');
    await waitFor(page, () => window.__attnviz.state().head === 3 && window.__attnviz.singleDrawn, 'head 3');
    await page.keyboard.press('ArrowDown');
    await waitFor(page, () => window.__attnviz.state().layer === 2, 'layer 2');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowLeft');
    await waitFor(
      page,
      () => window.__attnviz.state().layer === 1 && window.__attnviz.state().head === 2,
      'L1 H2 again',
    );
  });

  await check('zooming in shows token labels without overlaps', async () => {
    await settled(page);
    const p = await page.evaluate((i) => window.__attnviz.pointScreen(i), hovered);
    await page.mouse.move(p.x, p.y);
    for (let k = 0; k < 3; k++) await page.mouse.wheel(0, -200);
    await page.waitForTimeout(600);
    await settled(page);
    await shot(page, 'single-zoomed-labels');
    const labels = await page.evaluate(() => window.__attnviz.state().labels);
    assert(labels > 0, 'no labels after zooming in');
  });

  await check('theme switch changes the page', async () => {
    const before = await canvasShot(page, 'theme-light');
    await page.click('[data-testid=theme]');
    const after = await canvasShot(page, 'theme-dark');
    assert((await pixels.diffFraction(before, after)) > 0.3, 'dark theme looks like light');
    await shot(page, 'single-dark');
    await page.click('[data-testid=theme]');
  });

  await check('back to all heads, and zooming into a cell opens it', async () => {
    await page.click('[data-testid=back]');
    await waitFor(
      page,
      () => window.__attnviz.state().view === 'matrix' && window.__attnviz.matrixDrawn,
      'the matrix again',
    );
    const r = await page.evaluate(() => window.__attnviz.cellScreen(0, 1));
    await page.mouse.move(r.x + r.width / 2, r.y + r.height / 2);
    for (let k = 0; k < 30; k++) {
      await page.mouse.wheel(0, -250);
      await page.waitForTimeout(40);
      if ((await state(page)).view === 'single') break;
    }
    await waitFor(
      page,
      () => window.__attnviz.state().view === 'single',
      'the single view after zooming',
      10000,
    );
    const s = await state(page);
    assert(s.layer === 0 && s.head === 1, `zoom opened L${s.layer} H${s.head}`);
  });

  await check('no errors in the page', async () => {
    assert(page.errors.length === 0, page.errors.slice(0, 3).join(' | '));
  });
  await page.close();
}

// The image run is served with a token (issue 11): the page, its API calls and its images must all work
// through the cookie that the link sets, and nothing without it.
async function imageRunTests(browser, pixels, server) {
  await check('with a token, requests without it are refused', async () => {
    const r = await fetch(`${server.origin}api/run`, { signal: AbortSignal.timeout(5000) });
    assert(r.status === 401, `status ${r.status}`);
  });
  const page = await openPage(browser, server.url);
  await check('the token link leaves the address bar', async () => {
    assert(page.url() === server.origin, `address ${page.url()}`);
  });
  await check('ViT run: matrix, image colour modes, and the image view of a clicked patch', async () => {
    await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the ViT matrix', 30000);
    const modes = (await state(page)).colorModes;
    assert(modes.includes('patch-row') && modes.includes('patch-col'), `modes ${modes}`);
    const base = await canvasShot(page, 'vit-matrix');
    await page.selectOption('[data-testid=color-mode]', 'patch-row');
    const rows = await canvasShot(page, 'vit-matrix-patch-row');
    assert((await pixels.diffFraction(base, rows)) > 0.002, 'patch-row colouring changed nothing');
    await page.selectOption('[data-testid=color-mode]', 'patch-col');
    await canvasShot(page, 'vit-matrix-patch-col');
    await openCell(page, 2, 1, 'the ViT single view');
    const n = (await state(page)).points / 2;
    let clicked = false;
    for (let i = 5; i < 2 * n && !clicked; i += 17) {
      const p = await page.evaluate((i) => window.__attnviz.pointScreen(i), i);
      if (!p) continue;
      await page.mouse.click(p.x, p.y);
      try {
        await waitFor(page, () => window.__attnviz.state().selected !== null, 'a selection', 3000);
        clicked = true;
      } catch {
        // empty spot; try another point
      }
    }
    assert(clicked, 'no point could be clicked');
    await waitFor(
      page,
      () =>
        !document.getElementById('image-view').hidden &&
        /class token weight/.test(document.getElementById('cls-weight').textContent),
      'the image view',
    );
    await settled(page);
    const before = await page
      .locator('#image-canvas')
      .screenshot({ path: path.join(ARTIFACTS, 'vit-image-view.png') });
    const box = await page.locator('#image-canvas').boundingBox();
    const lit = await pixels.countNonBackground(
      before,
      [{ x: 0, y: 0, width: box.width, height: box.height }],
      [0, 0, 0],
      40,
    );
    assert(lit[0] > 500, `image view nearly black (${lit[0]} lit pixels)`);
    await page.check('[data-testid=arrows]');
    await settled(page);
    const after = await page
      .locator('#image-canvas')
      .screenshot({ path: path.join(ARTIFACTS, 'vit-image-arrows.png') });
    assert((await pixels.diffFraction(before, after)) > 0.003, 'arrows changed nothing');
    await shot(page, 'vit-single-image');
    const points = await canvasShot(page, 'vit-single-points');
    await page.check('[data-testid=thumbs]');
    const thumbs = await canvasShot(page, 'vit-single-thumbnails');
    assert((await pixels.diffFraction(points, thumbs)) > 0.005, 'patch thumbnails changed nothing');
  });
  await check('ViT page has no errors', async () =>
    assert(page.errors.length === 0, page.errors.slice(0, 3).join(' | ')),
  );
  await page.close();
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  assert(fs.existsSync(path.join(REPO, 'web/dist/index.html')), 'web/dist is missing: run `make web` first');
  const runs = await makeRuns();
  const browser = await launchBrowser();
  const pixels = await Pixels.open(browser);
  const token = 'browser-test-token-0123456789';
  const helpers = { check, assert, shot, canvasShot, state };
  // Each suite: [name, run (a folder, or a function that makes one when the suite runs), tests, server
  // options]. BROWSER_SUITES=name,name runs only those (while working on one feature); unset, all run.
  const only = process.env.BROWSER_SUITES?.split(',');
  for (const [name, run, tests, options] of [
    ['text', runs.text, textRunTests, {}],
    ['image', runs.image, imageRunTests, { token }],
    ['broken', runs.broken, (browser, _, server) => brokenLayoutTests(browser, server, helpers), {}],
    ['probe', runs.text, (browser, _, server) => probeTests(browser, server, helpers), {}],
    ['probe-image', runs.image, (browser, _, server) => probeImageTests(browser, server, helpers), {}],
    ['select', runs.text, (browser, _, server) => selectTests(browser, server, helpers), {}],
    ['nav', runs.text, (browser, _, server) => navTests(browser, server, helpers), {}],
    ['neighbours', runs.text, (browser, _, server) => neighboursTests(browser, server, helpers), {}],
    ['values', () => makeValuesRun(WORK), (browser, _, server) => valuesTests(browser, server, helpers), {}],
    ['share', runs.text, (browser, _, server) => shareTests(browser, server, helpers), {}],
    ['restyle', runs.text, (browser, _, server) => restyleTests(browser, server, helpers), {}],
    ['order', runs.text, (browser, _, server) => cellOrderTests(browser, server, helpers), {}],
    ['compact', runs.text, (browser, _, server) => compactLayoutsTests(browser, server, helpers), {}],
    ['heads', runs.text, (browser, _, server) => headsTests(browser, server, helpers), {}],
    [
      'head-types',
      process.env.HEAD_TYPES_RUN ?? runs.text,
      (browser, _, server) => headTypesTests(browser, server, helpers),
      {},
    ],
    [
      'heads-runs',
      [runs.text, runs.image, runs.text],
      (b, _, server) => headsRunsTests(b, server, helpers),
      {},
    ],
    ['runs', [runs.text, runs.image], (browser, _, server) => runSwitcherTests(browser, server, helpers), {}],
  ]) {
    if (only && !only.includes(name)) continue;
    const server = await startServer(typeof run === 'function' ? run() : run, options);
    try {
      await tests(browser, pixels, server);
    } finally {
      server.stop();
    }
  }
  await browser.close();
  if (!only && process.env.KEEP_SCREENSHOTS_FOR_DOCS === '1') {
    const docs = path.join(REPO, 'docs/images');
    fs.mkdirSync(docs, { recursive: true });
    for (const [from, to] of [
      ['matrix', 'matrix-view'],
      ['single', 'single-view'],
      ['sentence', 'sentence-view'],
      ['vit-single-image', 'image-view'],
      ['select-lasso', 'selection'],
      ['select-matrix', 'selection-matrix'],
      ['neighbours', 'neighbours'],
      ['share-hidden-tokens', 'search-hide'],
      ['probe-single', 'probe'],
      ['values-sentence-weighted', 'value-norm'],
      ['matrix-by-similarity', 'matrix-by-similarity'],
      ['heads-by-type', 'heads-view'],
    ]) {
      fs.copyFileSync(path.join(ARTIFACTS, `${from}.png`), path.join(docs, `${to}.png`));
    }
  }
}

main()
  .catch((e) => {
    results.push({ name: 'setup', ok: false });
    console.log(`FAIL setup: ${e.message}`);
  })
  .finally(() => {
    clearTimeout(watchdog);
    const failed = results.filter((r) => !r.ok).length;
    console.log(`${results.length - failed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  });
