// Browser tests of selections (issue 14 item 1) on the text run: a lasso drawn in the single view selects
// exactly the points inside it (computed here from the test hook's screen positions), the panel counts them,
// the CSV has one row each with the right columns, the highlight follows to another head and into every
// matrix cell, isolate fades the rest, Shift + box adds, an input of the panel opens its sentence view,
// Escape clears.
import fs from 'node:fs';
import { openCell, openPage, settled, waitFor } from './browser.mjs';
import { getJson } from './fixtures.mjs';
import { Pixels } from './pixels.mjs';

const HIGHLIGHT = [255, 140, 0];

function inside([x, y], polygon) {
  let result = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [[xi, yi], [xj, yj]] = [polygon[i], polygon[j]];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) result = !result;
  }
  return result;
}

// Distance from a point to the polygon's outline (points within a pixel of it may fall either way).
function edgeDistance([x, y], polygon) {
  let best = Infinity;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [[ax, ay], [bx, by]] = [polygon[j], polygon[i]];
    const t = Math.max(
      0,
      Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)),
    );
    best = Math.min(best, Math.hypot(x - ax - t * (bx - ax), y - ay - t * (by - ay)));
  }
  return best;
}

// Points (page coordinates) inside `polygon`, and how many lie within a pixel of its outline.
async function expectedInside(page, polygon) {
  const screen = await page.evaluate(() =>
    Array.from({ length: window.__attnviz.state().points }, (_, p) => window.__attnviz.pointScreen(p)),
  );
  const chosen = [];
  let ambiguous = 0;
  screen.forEach((s, p) => {
    if (!s) return;
    if (edgeDistance([s.x, s.y], polygon) < 1) ambiguous++;
    else if (inside([s.x, s.y], polygon)) chosen.push(p);
  });
  return { chosen, ambiguous };
}

// Drags the mouse along `polygon` (page coordinates) and back to its start.
async function dragAlong(page, polygon) {
  await page.mouse.move(...polygon[0]);
  await page.mouse.down();
  for (const corner of [...polygon.slice(1), polygon[0]]) await page.mouse.move(...corner, { steps: 6 });
  await page.mouse.up();
}

// The corners (page coordinates) of the box from (fx0, fy0) to (fx1, fy1), as fractions of the canvas.
async function boxOnCanvas(page, fx0, fy0, fx1, fy1) {
  const box = await page.locator('#deck').boundingBox();
  const [x0, y0] = [box.x + box.width * fx0, box.y + box.height * fy0];
  const [x1, y1] = [box.x + box.width * fx1, box.y + box.height * fy1];
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ];
}

// Drags the box tool from the first corner of `rect` to the third, with Shift held if asked.
async function dragBox(page, rect, shift) {
  if (shift) await page.keyboard.down('Shift');
  await page.mouse.move(...rect[0]);
  await page.mouse.down();
  await page.mouse.move(...rect[2], { steps: 8 });
  await page.mouse.up();
  if (shift) await page.keyboard.up('Shift');
}

// Pixels of the highlight colour in each rect of a screenshot.
async function highlightPixels(pixels, png, rects) {
  const other = await pixels.countNonBackground(png, rects, HIGHLIGHT, 30);
  return rects.map((r, k) => Math.round(r.width) * Math.round(r.height) - other[k]);
}

export async function selectTests(browser, server, { check, assert, shot, canvasShot, state }) {
  const tokens = await getJson(`${server.url}api/tokens`);
  const n = tokens.token.length;
  const pixels = await Pixels.open(browser);
  const page = await openPage(browser, server.url);
  let lasso = null;
  let selected = [];
  let now3d = 0; // selection size before the 3D box

  await check('select: a lasso selects the points inside it and the panel counts them', async () => {
    await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 30000);
    await settled(page);
    await openCell(page, 1, 2);
    await page.click('[data-testid=tool-lasso]');
    const box = await page.locator('#deck').boundingBox();
    // A hexagon around the canvas centre, a third of its height across.
    const [cx, cy, r] = [box.x + box.width / 2, box.y + box.height / 2, box.height / 6];
    lasso = Array.from({ length: 6 }, (_, k) => [
      cx + r * Math.cos((k * Math.PI) / 3),
      cy + r * Math.sin((k * Math.PI) / 3),
    ]);
    const { chosen, ambiguous } = await expectedInside(page, lasso);
    assert(chosen.length >= 5, `the lasso would enclose only ${chosen.length} points`);
    await dragAlong(page, lasso);
    await waitFor(page, () => window.__attnviz.state().selection !== null, 'the selection');
    selected = (await state(page)).selection;
    const missing = chosen.filter((p) => !selected.includes(p));
    assert(
      Math.abs(selected.length - chosen.length) <= ambiguous && missing.length <= ambiguous,
      `selected ${selected.length}, expected ${chosen.length} (±${ambiguous} on the outline), ${missing.length} missing`,
    );
    const queries = selected.filter((p) => p < n).length;
    const counts = await page.locator('[data-testid=sel-counts]').textContent();
    assert(
      counts === `${selected.length} points: ${queries} queries, ${selected.length - queries} keys`,
      `panel says "${counts}"`,
    );
    const top = await page.locator('[data-testid=sel-tokens] li').count();
    assert(top > 0 && top <= 10, `${top} frequent tokens listed`);
    assert((await page.locator('[data-testid=sel-positions] rect').count()) > 0, 'no position histogram');
    await shot(page, 'select-lasso');
  });

  await check('select: export CSV has one row a selected point with the right columns', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid=sel-csv]'),
    ]);
    const name = download.suggestedFilename();
    assert(/^brown-gpt_L1H2_pca-2d_selection-\d+\.csv$/.test(name), `file name ${name}`);
    const lines = fs
      .readFileSync(await download.path(), 'utf8')
      .trimEnd()
      .split('\n');
    assert(lines[0] === 'token,token_id,input,position,kind,x,y', `header "${lines[0]}"`);
    assert(lines.length - 1 === selected.length, `${lines.length - 1} rows for ${selected.length} points`);
    const p = selected[0];
    const t = p % n;
    const fields = lines[1].split(',').slice(-5);
    assert(
      fields[0] === String(tokens.sequence[t]) &&
        fields[1] === String(tokens.position[t]) &&
        fields[2] === (p < n ? 'query' : 'key') &&
        fields.slice(3).every((v) => Number.isFinite(Number(v))),
      `first row "${lines[1]}" for point ${p}`,
    );
  });

  await check('select: the highlight follows to another head', async () => {
    const before = await highlightPixels(pixels, await canvasShot(page, 'select-head-1-2'), [
      await page.locator('#deck').boundingBox(),
    ]);
    await page.keyboard.press('ArrowRight');
    await waitFor(
      page,
      () => window.__attnviz.state().head === 3 && window.__attnviz.singleDrawn,
      'the next head',
    );
    const s = await state(page);
    assert(JSON.stringify(s.selection) === JSON.stringify(selected), 'the selection changed with the head');
    const box = await page.locator('#deck').boundingBox();
    const [after] = await highlightPixels(pixels, await canvasShot(page, 'select-head-1-3'), [box]);
    assert(before[0] > 20 && after > 20, `highlighted pixels: ${before[0]} in L1 H2, ${after} in L1 H3`);
  });

  await check('select: every matrix cell shows the selection, and isolate fades the rest', async () => {
    await page.click('[data-testid=back]');
    await waitFor(
      page,
      () => window.__attnviz.state().view === 'matrix' && window.__attnviz.matrixDrawn,
      'matrix',
    );
    const { layers, heads } = await state(page);
    const rects = [];
    for (let l = 0; l < layers; l++)
      for (let h = 0; h < heads; h++)
        rects.push(await page.evaluate(([l, h]) => window.__attnviz.cellScreen(l, h), [l, h]));
    const plain = await canvasShot(page, 'select-matrix');
    const lit = await highlightPixels(pixels, await page.screenshot(), rects);
    const dark = lit.map((c, k) => [c, k]).filter(([c]) => c < 3);
    assert(
      dark.length === 0,
      `cells without highlight: ${dark.map(([c, k]) => `#${k} (${c} px)`).join(', ')}`,
    );
    await page.check('[data-testid=sel-isolate]');
    const isolated = await canvasShot(page, 'select-matrix-isolated');
    assert((await pixels.diffFraction(plain, isolated)) > 0.002, 'isolate changed nothing');
    await page.uncheck('[data-testid=sel-isolate]');
  });

  await check('select: Shift + box adds to the selection', async () => {
    await openCell(page, 1, 2);
    await page.click('[data-testid=tool-box]');
    const rect = await boxOnCanvas(page, 0.2, 0.2, 0.45, 0.8);
    const { chosen, ambiguous } = await expectedInside(page, rect);
    await dragBox(page, rect, true);
    const union = new Set([...selected, ...chosen]);
    await waitFor(
      page,
      (before) => window.__attnviz.state().selection.length !== before,
      'the union',
      5000,
      selected.length,
    );
    const now = (await state(page)).selection;
    now3d = now.length;
    assert(Math.abs(now.length - union.size) <= ambiguous, `${now.length} selected, expected ${union.size}`);
    assert(
      selected.every((p) => now.includes(p)),
      'Shift dropped earlier points',
    );
  });

  await check('select: in 3D a box selects by screen position, as seen', async () => {
    await page.click('[data-testid=dim-3]');
    await waitFor(
      page,
      () => window.__attnviz.state().dim === 3 && window.__attnviz.singleDrawn,
      'the 3D view',
    );
    await settled(page); // the 2D -> 3D transition is over
    const rect = await boxOnCanvas(page, 0.4, 0.3, 0.6, 0.7);
    const { chosen, ambiguous } = await expectedInside(page, rect);
    assert(chosen.length >= 5, `the box would enclose only ${chosen.length} points`);
    await dragBox(page, rect, false);
    await waitFor(
      page,
      (c) => window.__attnviz.state().selection?.length !== c,
      'the 3D selection',
      5000,
      now3d,
    );
    const got = (await state(page)).selection;
    assert(
      Math.abs(got.length - chosen.length) <= ambiguous,
      `${got.length} selected, expected ${chosen.length}`,
    );
    assert(chosen.filter((p) => !got.includes(p)).length <= ambiguous, 'points inside the box left out');
    await page.click('[data-testid=dim-2]');
    await waitFor(
      page,
      () => window.__attnviz.state().dim === 2 && window.__attnviz.singleDrawn,
      'the 2D view',
    );
    await settled(page);
  });

  await check('select: an input in the panel opens its sentence view; Escape clears', async () => {
    const item = page.locator('[data-testid=sel-input]').first();
    const sequence = Number((await item.textContent()).match(/^#(\d+)/)[1]);
    await item.click();
    await waitFor(page, () => !document.getElementById('side').hidden, 'the side panel');
    assert((await state(page)).selectedSequence === sequence, 'another input opened');
    await page.keyboard.press('Escape');
    await waitFor(page, () => window.__attnviz.state().selection === null, 'the cleared selection', 5000);
    assert(await page.locator('[data-testid=selection-panel]').isHidden(), 'the panel stays open');
    assert((await state(page)).view === 'single', 'Escape left the single view while clearing a selection');
    assert(page.errors.length === 0, page.errors.slice(0, 3).join(' | '));
  });
  await page.close();
  await pixels.page.close();
}
