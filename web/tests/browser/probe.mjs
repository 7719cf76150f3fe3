// Browser tests of the "try an input" box (issue 13 item 4), first on the brown-gpt run, whose manifest records its
// model so the server can probe: bad inputs answer in one line; a typed sentence is drawn in every matrix
// cell and in the single view (in its own colours: pixels), stays placed when the dimension changes, opens
// its sentence view, and is removed again.
import fs from 'node:fs';
import path from 'node:path';
import { openCell, openPage, settled, waitFor } from './browser.mjs';
import { REPO, writeMnistDigits } from './fixtures.mjs';
import { Pixels } from './pixels.mjs';

const SENTENCE = 'The jury said it did find the evidence';
const ORANGE = [255, 140, 0]; // the probe's queries (data/probe.ts PROBE_QUERY)
const BLUE = [40, 90, 230]; // its keys (PROBE_KEY)

export async function probeTests(browser, server, { check, assert, shot, state }) {
  const pixels = await Pixels.open(browser);
  const page = await openPage(browser, server.url);
  // Pixels of `color` (within 40 in each channel) in each page rectangle of a screenshot.
  const countColor = async (png, rects, color) =>
    (await pixels.countNonBackground(png, rects, color, 40)).map(
      (other, i) => Math.round(rects[i].width) * Math.round(rects[i].height) - other,
    );
  const allCells = async () => {
    const { layers, heads } = await state(page);
    const rects = [];
    for (let l = 0; l < layers; l++)
      for (let h = 0; h < heads; h++)
        rects.push(await page.evaluate(([l, h]) => window.__attnviz.cellScreen(l, h), [l, h]));
    return rects;
  };
  const message = () => page.locator('[data-testid=probe-message]').textContent();

  await check('probe: the box is offered on a run that records its model', async () => {
    await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 30000);
    await settled(page);
    assert(await page.locator('[data-testid=probe-text]').isVisible(), 'no text box');
    assert(await page.locator('[data-testid=probe-list]').isHidden(), 'a list before any probe');
  });

  await check("probe: bad inputs show the server's one line and add nothing", async () => {
    await page.fill('[data-testid=probe-text]', '');
    await page.press('[data-testid=probe-text]', 'Enter');
    await waitFor(page, () => /empty/.test(document.getElementById('probe-message').textContent), 'a 400');
    assert((await message()) === '"text" is empty', `message "${await message()}"`);
    // Over the 1 MiB limit (set directly: typing a megabyte into the box is slow on a loaded machine).
    await page.$eval('[data-testid=probe-text]', (e, v) => (e.value = v), 'x'.repeat(1100000));
    await page.press('[data-testid=probe-text]', 'Enter', { timeout: 60000 });
    // The server answers 413, or (when it closes the connection before the browser has sent the whole body)
    // the browser sees no answer at all: either way the line says why.
    await waitFor(
      page,
      () =>
        /larger than 1048576 bytes|refuses inputs over 1 MiB/.test(
          document.getElementById('probe-message').textContent,
        ),
      'a 413',
    );
    assert(!(await message()).includes('\n'), 'the message is more than one line');
    assert((await state(page)).probes.length === 0, 'a refused input was listed');
    // Chromium logs each refused request as a console error: the 400, the 413 (or the dropped connection),
    // and nothing else, are expected.
    const logged = page.errors.splice(0);
    assert(
      /status of 400/.test(logged[0]) && logged.slice(1).every((e) => /status of 413|net::ERR_/.test(e)),
      `console: ${logged.join(' | ')}`,
    );
  });

  let T = 0;
  await check('probe: a typed sentence is drawn in every matrix cell, in its own colours', async () => {
    const rects = await allCells();
    const before = await shot(page, 'probe-matrix-before');
    const orangeBefore = await countColor(before, rects, ORANGE);
    await page.fill('[data-testid=probe-text]', SENTENCE);
    await page.click('[data-testid=probe-submit]');
    await waitFor(page, () => window.__attnviz.state().matrixProbes === 1, 'the probe in the matrix', 60000);
    await settled(page);
    const s = await state(page);
    assert(s.probes.length === 1 && s.activeProbe === s.probes[0].id, `probes ${JSON.stringify(s.probes)}`);
    T = s.probes[0].tokens;
    assert(T >= 8 && !s.probes[0].truncated, `${T} tokens`);
    const item = await page.locator('[data-testid=probe-item]').textContent();
    assert(item.includes(SENTENCE) && item.includes(`${T} tokens`), `list item "${item}"`);
    assert((await message()) === '', `message "${await message()}"`);
    const after = await shot(page, 'probe-matrix');
    const orange = await countColor(after, rects, ORANGE);
    const blue = await countColor(after, rects, BLUE);
    const missing = rects.map((_, k) => k).filter((k) => orange[k] - orangeBefore[k] < 10 || blue[k] < 10);
    assert(
      missing.length === 0,
      `cells without the probe: ${missing.map((k) => `#${k} (${orange[k]} / ${blue[k]} px)`).join(', ')}`,
    );
  });

  await check('probe: the single view draws its points over the dataset, labelled', async () => {
    await openCell(page, 1, 2);
    await waitFor(
      page,
      (n) => window.__attnviz.state().probePoints === n,
      'the probe in the single view',
      20000,
      2 * T,
    );
    await settled(page);
    const onScreen = await page.evaluate(
      (n) => Array.from({ length: n }, (_, i) => window.__attnviz.probeScreen(i)).filter(Boolean),
      2 * T,
    );
    assert(onScreen.length >= T, `only ${onScreen.length} of ${2 * T} probe points reachable on screen`);
    const png = await shot(page, 'probe-single');
    const around = onScreen.map((p) => ({ x: p.x - 4, y: p.y - 4, width: 9, height: 9 }));
    const coloured = await countColor(png, around, ORANGE);
    const blue = await countColor(png, around, BLUE);
    const marked = coloured.filter((c, i) => c + blue[i] > 0).length;
    assert(marked >= onScreen.length * 0.8, `${marked} of ${onScreen.length} probe points show their colour`);
  });

  await check('probe: switching dimension or head keeps it placed', async () => {
    await page.click('[data-testid=dim-3]');
    await waitFor(
      page,
      (n) =>
        window.__attnviz.state().dim === 3 &&
        window.__attnviz.singleDrawn &&
        window.__attnviz.state().probePoints === n,
      'the probe in 3D',
      20000,
      2 * T,
    );
    await page.click('[data-testid=dim-2]');
    await page.keyboard.press('ArrowRight');
    await waitFor(
      page,
      (n) => {
        const s = window.__attnviz.state();
        return s.dim === 2 && s.head === 3 && window.__attnviz.singleDrawn && s.probePoints === n;
      },
      'the probe in the next head',
      20000,
      2 * T,
    );
    await settled(page);
  });

  await check('probe: its sentence view shows its tokens with this head’s attention', async () => {
    await page.click('[data-testid=probe-open]');
    await waitFor(page, () => !document.getElementById('side').hidden, 'the side panel');
    await settled(page);
    const title = await page.locator('[data-testid=side-title]').textContent();
    assert(title.includes('your input') && title.includes(SENTENCE), `side title "${title}"`);
    const queries = await page.locator('[data-testid=query-token]').allTextContents();
    assert(
      queries.length === T && queries.join('').replace(/␣/g, ' ').trim() === SENTENCE,
      `queries ${queries}`,
    );
    const lines = await page.locator('#sentence-view line').count();
    assert(lines >= T, `only ${lines} attention lines`);
    await shot(page, 'probe-sentence');
  });

  await check('probe: removing it clears the list, the side panel and both views', async () => {
    await page.click('[data-testid=probe-remove]');
    await waitFor(page, () => window.__attnviz.state().probes.length === 0, 'the probe removed');
    await settled(page);
    const s = await state(page);
    assert(s.activeProbe === null && s.probePoints === 0, `active ${s.activeProbe}, ${s.probePoints} points`);
    assert(await page.locator('[data-testid=probe-list]').isHidden(), 'the list is still shown');
    assert(await page.locator('[data-testid=side]').isHidden(), 'the side panel is still open');
    await page.click('[data-testid=back]');
    await waitFor(
      page,
      () => window.__attnviz.state().view === 'matrix' && window.__attnviz.matrixDrawn,
      'the matrix',
    );
    await settled(page);
    assert((await state(page)).matrixProbes === 0, 'the matrix still draws the probe');
    const orange = await countColor(await shot(page, 'probe-removed'), await allCells(), ORANGE);
    assert(
      orange.every((c) => c < 10),
      `orange pixels left: ${Math.max(...orange)}`,
    );
  });

  await check('probe: no errors on the page', async () =>
    assert(page.errors.length === 0, page.errors.slice(0, 3).join(' | ')),
  );
  await page.close();
  await pixels.page.close();
}

// The image-run case on mnist-vit: the box is a file input; a file that is not an image answers in one line;
// a held-out digit is drawn in every cell and the single view, and its image view opens in the side panel.
export async function probeImageTests(browser, server, { check, assert, shot, state }) {
  const pixels = await Pixels.open(browser);
  const page = await openPage(browser, server.url);
  const dir = path.join(REPO, 'tests/artifacts/browser-runs/probe-digits');
  writeMnistDigits(dir, 25); // the run has the first 20: the last one is held out
  const digit = path.join(dir, fs.readdirSync(dir).sort().at(-1));

  await check('probe (image run): the box takes an image file', async () => {
    await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 30000);
    await settled(page);
    assert(await page.locator('[data-testid=probe-file]').isVisible(), 'no file input');
    assert(await page.locator('[data-testid=probe-text]').isHidden(), 'a text box on an image run');
  });

  await check('probe (image run): a file that is not an image answers in one line', async () => {
    await page.setInputFiles('[data-testid=probe-file]', {
      name: 'notes.png',
      mimeType: 'image/png',
      buffer: Buffer.from('not an image at all'),
    });
    await waitFor(page, () => document.getElementById('probe-message').textContent.length > 12, 'a 400');
    const message = await page.locator('[data-testid=probe-message]').textContent();
    assert(/image/.test(message) && !message.includes('\n'), `message "${message}"`);
    const logged = page.errors.splice(0);
    assert(logged.length === 1 && /status of 400/.test(logged[0]), `console: ${logged.join(' | ')}`);
  });

  await check(
    'probe (image run): a digit is drawn in every cell, the single view and its image view',
    async () => {
      const before = await shot(page, 'probe-image-before');
      await page.setInputFiles('[data-testid=probe-file]', digit);
      await waitFor(
        page,
        () => window.__attnviz.state().matrixProbes === 1,
        'the digit in the matrix',
        60000,
      );
      await settled(page);
      const after = await shot(page, 'probe-image-matrix');
      assert((await pixels.diffFraction(before, after)) > 0.002, 'the matrix did not change');
      const s = await state(page);
      const T = s.probes[0].tokens;
      assert(s.probes[0].label === path.basename(digit), `label ${s.probes[0].label}`);
      await openCell(page, 1, 1);
      await waitFor(
        page,
        (n) => window.__attnviz.state().probePoints === n,
        'the digit in one head',
        20000,
        2 * T,
      );
      await waitFor(page, () => !document.getElementById('image-view').hidden, 'the image view');
      await settled(page);
      const title = await page.locator('[data-testid=side-title]').textContent();
      assert(title.includes(path.basename(digit)), `side title "${title}"`);
      await shot(page, 'probe-image-single');
    },
  );

  await check('probe (image run): no errors on the page', async () =>
    assert(page.errors.length === 0, page.errors.slice(0, 3).join(' | ')),
  );
  await page.close();
  await pixels.page.close();
}
