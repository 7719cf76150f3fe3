// Browser tests of the heads view (issue 15 item 5) on the text run: the breadcrumbs' "heads map" button opens
// it, every head is drawn at its place (pixels), hovering a head names its type and scores, colour and size
// follow their selects (and the URL), a click opens the head's single view, and ?view=heads opens it directly.
import { openPage, settled, toolbarFit, waitFor } from './browser.mjs';
import { getJson } from './fixtures.mjs';
import { Pixels } from './pixels.mjs';

const label = (h) => `L${h.layer} H${h.head}`;

export async function headsTests(browser, server, { check, assert, shot, state }) {
  const info = await getJson(`${server.url}api/heads`);
  const page = await openPage(browser, server.url, { width: 1400, height: 900 });
  const pixels = await Pixels.open(browser);
  const screenOf = (h) => page.evaluate(([l, k]) => window.__attnviz.headScreen(l, k), [h.layer, h.head]);
  const drawn = (what) =>
    waitFor(
      page,
      () => window.__attnviz.state().view === 'heads' && window.__attnviz.headsDrawn,
      what,
      30000,
    );
  // The head farthest on screen from every other (a hover or click there reaches it and no other).
  const loneHead = async (heads) => {
    const at = await Promise.all(heads.map(screenOf));
    const all = await Promise.all(info.heads.map(screenOf));
    const gap = (p) =>
      Math.min(...all.filter((q) => q !== null && q !== p).map((q) => Math.hypot(q.x - p.x, q.y - p.y)));
    const best = heads
      .map((h, i) => ({ h, p: at[i], gap: at[i] ? gap(at[i]) : -1 }))
      .sort((a, b) => b.gap - a.gap)[0];
    return best;
  };

  await check('heads: the breadcrumbs open the heads map; every head is drawn at its place', async () => {
    await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 30000);
    const crumbs = await page.locator('#crumbs').boundingBox();
    assert(crumbs.height < 48, `the breadcrumbs row wraps (${crumbs.height} px)`);
    await page.click('[data-testid=heads-open]');
    await drawn('the heads view');
    await settled(page);
    const where = await page.locator('[data-testid=where]').textContent();
    assert(/heads map/.test(where), `breadcrumb says "${where}"`);
    const at = await Promise.all(info.heads.map(screenOf));
    assert(
      at.every((p) => p !== null),
      `${at.filter((p) => !p).length} heads off screen`,
    );
    const png = await shot(page, 'heads-view');
    const background = await page.evaluate(() =>
      getComputedStyle(document.body).backgroundColor.match(/\d+/g).slice(0, 3).map(Number),
    );
    const around = (p, r) => ({ x: p.x - r, y: p.y - r, width: 2 * r, height: 2 * r });
    const counts = await pixels.countNonBackground(
      png,
      at.map((p) => around(p, 3)),
      background,
    );
    assert(
      counts.every((c) => c > 0),
      `heads without pixels: ${counts.filter((c) => c === 0).length}`,
    );
    // Far from every head (the canvas's left edge: the map is fitted to its height), nothing is drawn.
    const deck = await page.locator('#deck').boundingBox();
    const [empty] = await pixels.countNonBackground(
      png,
      [{ x: deck.x + 2, y: deck.y + deck.height / 2 - 10, width: 20, height: 20 }],
      background,
    );
    assert(empty === 0, `${empty} pixels drawn where no head is`);
  });

  await check('heads: hovering a head names it, its type and its scores', async () => {
    const typed = info.heads.filter((h) => h.type);
    assert(typed.length > 0, 'no head of the run has a type');
    const { h, p } = await loneHead(typed);
    await page.mouse.move(p.x, p.y);
    await waitFor(page, () => !document.getElementById('tooltip').hidden, 'the tooltip');
    const text = await page.locator('[data-testid=tooltip]').textContent();
    const first = `${label(h)} · ${h.type.replace('_', ' ')}`;
    assert(text.startsWith(first), `tooltip "${text.slice(0, 80)}", expected "${first}"`);
    const score = h.scores[h.type].toFixed(3);
    assert(
      text.includes(`${h.type.replace('_', ' ')}: ${score}`),
      `tooltip lacks the score ${score}: "${text}"`,
    );
  });

  await check(
    'heads: colour by type and size by a score change the picture, the legend and the URL',
    async () => {
      const before = await page.locator('#deck').screenshot();
      await page.selectOption('[data-testid=heads-color]', 'type');
      await page.selectOption('[data-testid=heads-size]', 'previous_token');
      await drawn('the restyled heads');
      await settled(page);
      const legend = await page.locator('#legend').textContent();
      assert(/head type/.test(legend) && /size: previous token/.test(legend), `legend "${legend}"`);
      const url = page.url();
      assert(/hcolor=type/.test(url) && /hsize=previous_token/.test(url), `URL ${url}`);
      await shot(page, 'heads-by-type');
      const after = await page.locator('#deck').screenshot();
      assert(!before.equals(after), 'the canvas did not change');
    },
  );

  await check('heads: a click on a head opens its single view; Escape returns to all heads', async () => {
    const { h, p } = await loneHead(info.heads);
    await page.mouse.click(p.x, p.y);
    await waitFor(
      page,
      () => window.__attnviz.state().view === 'single' && window.__attnviz.singleDrawn,
      label(h),
    );
    const s = await state(page);
    assert(s.layer === h.layer && s.head === h.head, `opened L${s.layer} H${s.head}, clicked ${label(h)}`);
    await page.goBack();
    await drawn('the heads view after going back');
    await page.keyboard.press('Escape');
    await waitFor(page, () => window.__attnviz.state().view === 'matrix', 'the matrix after Escape');
  });

  await check('heads: ?view=heads opens the heads map directly; no errors on the page', async () => {
    const direct = await openPage(browser, `${server.url}?view=heads&hcolor=type`);
    await waitFor(direct, () => window.__attnviz?.headsDrawn, 'the heads view from a link', 30000);
    const s = await state(direct);
    assert(s.view === 'heads', `view ${s.view}`);
    const errors = [...page.errors, ...direct.errors];
    await direct.close();
    assert(errors.length === 0, errors.slice(0, 3).join(' | '));
  });
  await pixels.page.close();
  await page.close();
}

// With two runs served (text and image): both runs' heads are on the map, the runs' key names them, and a
// click on a head of the other run opens that run's single view of the head.
// Served: the text run, the image run and the text run again (a third run, named "<text>-2").
export async function headsRunsTests(browser, server, { check, assert, shot, state }) {
  const { runs } = await getJson(`${server.url}api/runs`);
  const map = await getJson(`${server.url}api/heads/map`);
  const [shown, other, twin] = runs.map((r) => r.name);
  const page = await openPage(browser, `${server.url}?view=heads`, { width: 1400, height: 900 });
  const screenOf = (h) =>
    page.evaluate(([l, k, run]) => window.__attnviz.headScreen(l, k, run), [h.layer, h.head, h.run]);

  await check("heads (runs): every served run's heads are on one map, the key names the runs", async () => {
    assert(
      map.runs.length === 3 && twin === `${shown}-2`,
      `the map places ${map.runs.length} runs (${JSON.stringify(map.skipped)}), the third is "${twin}"`,
    );
    await waitFor(page, () => !document.getElementById('heads-runs').hidden, 'the runs key', 30000);
    await waitFor(page, () => window.__attnviz.headsDrawn, 'the heads of every run', 30000);
    await settled(page);
    const key = await page.locator('[data-testid=heads-runs]').textContent();
    assert(
      [shown, other, twin].every((name) => key.includes(name)),
      `key "${key}"`,
    );
    const at = await Promise.all(map.heads.map(screenOf));
    assert(
      at.every((p) => p !== null),
      `${at.filter((p) => !p).length} of ${at.length} heads not on screen`,
    );
    await shot(page, 'heads-runs');
  });

  await check('heads (runs): a run served twice has each head on its twin (distance 0)', async () => {
    const ofRun = (name) => map.heads.filter((h) => h.run === name);
    const [a, b] = [ofRun(shown), ofRun(twin)];
    assert(a.length > 0 && a.length === b.length, `${a.length} and ${b.length} heads`);
    const apart = a.map((h, i) => Math.hypot(h.map[0] - b[i].map[0], h.map[1] - b[i].map[1]));
    assert(Math.max(...apart) < 1e-9, `twins up to ${Math.max(...apart)} apart`);
  });

  await check('heads (runs): with three runs served the toolbar is one row at 1400 px', async () => {
    assert(await page.locator('[data-testid=run]').isVisible(), 'no run switcher');
    const { rows, right, hidden } = await toolbarFit(page);
    assert(rows <= 4 && right <= 1400 && !hidden, `toolbar: centres ${rows} px apart, right edge ${right}`);
  });

  await check('heads (runs): a click on a head of the other run opens it there', async () => {
    const all = await Promise.all(map.heads.map(screenOf));
    // The other run's head farthest from every other head, so the click reaches it.
    const candidates = map.heads
      .map((h, i) => ({ h, p: all[i] }))
      .filter(({ h }) => h.run === other)
      .map(({ h, p }) => ({
        h,
        p,
        gap: Math.min(...all.filter((q) => q !== p).map((q) => Math.hypot(q.x - p.x, q.y - p.y))),
      }))
      .sort((a, b) => b.gap - a.gap);
    const { h, p } = candidates[0];
    await page.mouse.move(p.x, p.y);
    await waitFor(page, () => !document.getElementById('tooltip').hidden, 'the tooltip');
    const tip = await page.locator('[data-testid=tooltip]').textContent();
    assert(tip.startsWith(`${other} · L${h.layer} H${h.head}`), `tooltip "${tip}"`);
    await page.mouse.click(p.x, p.y);
    await page.waitForURL((url) => url.search.includes(`run=${other}`), { timeout: 20000 });
    await waitFor(
      page,
      () => window.__attnviz?.state().view === 'single' && window.__attnviz.singleDrawn,
      'the other run',
      30000,
    );
    const s = await state(page);
    assert(
      s.run === other && s.layer === h.layer && s.head === h.head,
      `opened ${s.run} L${s.layer} H${s.head}`,
    );
    assert(page.errors.length === 0, page.errors.slice(0, 3).join(' | '));
  });
  await page.close();
}
