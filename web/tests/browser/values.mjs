// Browser test of value vectors (issue 14 item 3) on a small run extracted with --values: the sentence view's
// "weight by value norm" toggle re-weights its attention lines (as /api/attention?weight=value-norm says),
// and the colour mode "value norm" colours keys by ‖v‖.
import fs from 'node:fs';
import path from 'node:path';
import { attnviz, getJson, REPO, writeBrownSentences } from './fixtures.mjs';
import { openCell, openPage, settled, waitFor } from './browser.mjs';

// brown-gpt over 10 sentences with --values, PCA 2D: a few seconds.
export function makeValuesRun(work) {
  const out = path.join(work, 'brown-gpt-values');
  fs.rmSync(out, { recursive: true, force: true });
  const input = path.join(work, 'brown10.txt');
  writeBrownSentences(input, 10);
  const model = path.join(REPO, 'models', 'brown-gpt');
  attnviz(['extract', '--model', model, '--input', input, '--out', out, '--values'], 120000);
  attnviz(['layout', out, '--methods', 'pca', '--dims', '2'], 120000);
  return out;
}

// The attention lines of the sentence view: each line's ends and weight attributes, in order.
const sentenceLines = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('#sentence-view line')].map((l) =>
      [l.dataset.query, l.dataset.key, l.getAttribute('stroke-width'), l.getAttribute('stroke-opacity')].join(
        ' ',
      ),
    ),
  );

export async function valuesTests(browser, server, { check, assert, shot }) {
  const info = await getJson(`${server.url}api/run`);
  assert(info.manifest.qk.values === true, 'the run has no values');
  const page = await openPage(browser, server.url);
  await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 30000);
  await settled(page);
  await openCell(page, 1, 2);

  await check('values: clicking a point offers "weight by value norm"', async () => {
    const n = info.manifest.qk.num_tokens;
    let opened = false;
    for (let i = n + 5; i < 2 * n && !opened; i += 7) {
      const p = await page.evaluate((i) => window.__attnviz.pointScreen(i), i);
      if (!p) continue;
      await page.mouse.click(p.x, p.y);
      try {
        await waitFor(page, () => !document.getElementById('side').hidden, 'the sentence view', 3000);
        opened = true;
      } catch {
        // covered by another point; try the next
      }
    }
    assert(opened, 'no point opened the sentence view');
    await settled(page);
    assert(await page.locator('[data-testid=value-weight]').isVisible(), 'the toggle is hidden');
    assert(!(await page.locator('[data-testid=value-weight]').isChecked()), 'the toggle starts checked');
  });

  await check('values: the toggle re-weights the sentence view, and back', async () => {
    const plain = await sentenceLines(page);
    assert(plain.length > 0, 'no attention lines');
    await page.check('[data-testid=value-weight]');
    await settled(page);
    const weighted = await sentenceLines(page);
    assert(JSON.stringify(weighted) !== JSON.stringify(plain), 'weighting by value norm changed no line');
    await shot(page, 'values-sentence-weighted');
    await page.uncheck('[data-testid=value-weight]');
    await settled(page);
    assert(JSON.stringify(await sentenceLines(page)) === JSON.stringify(plain), 'unchecking did not restore');
  });

  await check('values: colour mode "value norm" is offered and explains itself', async () => {
    await page.selectOption('[data-testid=color-mode]', 'value-norm');
    // The legend follows once the head's value norms have arrived.
    await waitFor(
      page,
      () => /value norm/.test(document.getElementById('legend').textContent),
      'the value-norm legend',
      15000,
    );
    await settled(page);
    await shot(page, 'values-colour');
  });

  await check('values: no errors on the page', async () =>
    assert(page.errors.length === 0, page.errors.slice(0, 3).join(' | ')),
  );
  await page.close();
}
