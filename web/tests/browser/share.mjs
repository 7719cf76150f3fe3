// Browser tests of search, hiding tokens and sharing (issue 14 items 4-6), on the text run: substring and
// regular-expression search counted against a brute-force count over /api/tokens, a bad pattern's message,
// the results list, hiding a key token (the shown weights are the server's attention renormalised), the PNG
// and SVG exports, a permalink opened in a fresh page, and back / forward.
import fs from 'node:fs';
import { openPage, settled, waitFor } from './browser.mjs';
import { getJson } from './fixtures.mjs';

// The search rule of docs/guide.md: display string trimmed, a leading ##, Ġ or ▁ removed.
const searchText = (t) =>
  t
    .trim()
    .replace(/^(##|Ġ|▁)/, '')
    .trim();

export async function shareTests(browser, server, { check, assert, shot, state }) {
  const tokens = await getJson(`${server.url}api/tokens`);
  const page = await openPage(browser, server.url);
  await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 30000);
  await settled(page);

  const search = async (query) => {
    await page.fill('[data-testid=search]', query);
    await page.press('[data-testid=search]', 'Enter');
    await waitFor(page, (q) => window.__attnviz.state().searchQuery === q, 'the search', 20000, query);
    return state(page);
  };

  await check('share: substring search counts what a brute-force count over the tokens finds', async () => {
    await page.selectOption('[data-testid=search-match]', 'substring');
    const expected = tokens.token.filter((t) => searchText(t).toLowerCase().includes('th')).length;
    assert(expected > 0, 'no token contains "th"');
    const s = await search('TH');
    assert(s.searchCount === expected, `page ${s.searchCount}, brute force ${expected}`);
    const label = await page.locator('[data-testid=search-count]').textContent();
    assert(label.startsWith(`${expected} match`), `count label "${label}"`);
  });

  await check('share: a /regex/i search counts what the same expression finds', async () => {
    const re = /^(th|wh)[a-z]*$/i;
    const expected = tokens.token.filter((t) => re.test(searchText(t))).length;
    assert(expected > 0, 'the expression matches nothing');
    const s = await search('/^(th|wh)[a-z]*$/i');
    assert(s.searchCount === expected, `page ${s.searchCount}, brute force ${expected}`);
  });

  await check('share: a bad regex says why in one line, without an exception', async () => {
    for (const bad of ['/(th/', '/(a+)+$/']) {
      const s = await search(bad);
      const message = await page.locator('[data-testid=search-error]').textContent();
      assert(!(await page.locator('[data-testid=search-error]').isHidden()), `no message for ${bad}`);
      assert(/regular expression|repeated group/.test(message) && !message.includes('\n'), `"${message}"`);
      assert(s.searchCount === null, `a bad pattern matched ${s.searchCount}`);
    }
    assert(page.errors.length === 0, page.errors.slice(0, 3).join(' | '));
  });

  // Clicks the button `testid` and returns the file it downloads, whose name must end with `suffix`.
  const save = async (testid, suffix) => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`[data-testid=${testid}]`),
    ]);
    const name = download.suggestedFilename();
    assert(name.endsWith(suffix) && name.length > suffix.length, `file name "${name}", expected …${suffix}`);
    return fs.readFileSync(await download.path());
  };

  let sequence = -1;
  await check('share: results are grouped by input and open its sentence view', async () => {
    await search('/^the$/i');
    const inputs = new Set(
      tokens.token.flatMap((t, i) => (/^the$/i.test(searchText(t)) ? [tokens.sequence[i]] : [])),
    );
    await page.click('[data-testid=search-results-toggle]');
    const rows = page.locator('[data-testid=search-result]');
    assert(
      (await rows.count()) === Math.min(inputs.size, 200),
      `${await rows.count()} rows, ${inputs.size} inputs`,
    );
    sequence = Number(await rows.nth(1).getAttribute('data-sequence'));
    await rows.nth(1).click();
    await waitFor(
      page,
      () => !document.getElementById('side').hidden && window.__attnviz.singleDrawn,
      'the sentence view',
    );
    await settled(page);
    const s = await state(page);
    assert(
      s.view === 'single' && s.selectedSequence === sequence,
      `view ${s.view}, input ${s.selectedSequence}`,
    );
  });

  await check('share: clicking a key token hides it and the shown weights renormalise', async () => {
    const s = await state(page);
    const T = await page.locator('[data-testid=key-token]').count();
    assert(T >= 5, `input ${sequence} has only ${T} tokens`);
    const hide = 2;
    await page.locator('[data-testid=key-token]').nth(hide).click();
    await waitFor(page, () => window.__attnviz.state().hiddenTokens.length === 1, 'the hidden token', 20000);
    await settled(page);
    const att = await page.evaluate(
      async ([l, h, q]) =>
        Array.from(new Float32Array(await (await fetch(`api/attention/${l}/${h}/${q}`)).arrayBuffer())),
      [s.layer, s.head, sequence],
    );
    const q = T - 1;
    const row = att.slice(q * T, (q + 1) * T);
    const sum = row.reduce((a, w, j) => a + (j === hide ? 0 : w), 0);
    const shown = await page.evaluate(
      (q) =>
        [...document.querySelectorAll(`#sentence-view line[data-query="${q}"]`)].map((l) => [
          Number(l.dataset.key),
          Number(l.getAttribute('stroke-opacity')),
        ]),
      q,
    );
    assert(!shown.some(([j]) => j === hide), 'a line still goes to the hidden key');
    for (const [j, w] of shown) {
      assert(
        Math.abs(w - row[j] / sum) < 0.002,
        `key ${j}: shown ${w}, renormalised ${(row[j] / sum).toFixed(4)}`,
      );
    }
    const expectedLines = row.filter((w, j) => j !== hide && w / sum >= 0.01).length;
    assert(shown.length === expectedLines, `${shown.length} lines, expected ${expectedLines}`);
    await page.locator('[data-testid=key-token]').nth(hide).click();
    await waitFor(
      page,
      () => window.__attnviz.state().hiddenTokens.length === 0,
      'the token shown again',
      20000,
    );
    await page.locator('[data-testid=key-token]').nth(hide).click();
    await page
      .locator('[data-testid=key-token]')
      .nth(hide + 1)
      .click();
    await waitFor(page, () => window.__attnviz.state().hiddenTokens.length === 2, 'two hidden tokens', 20000);
    await shot(page, 'share-hidden-tokens');
  });

  await check('share: Save SVG writes the sentence view with its tokens', async () => {
    const s = await state(page);
    const text = (await save('save-svg', `_L${s.layer}H${s.head}_input${sequence}.svg`)).toString('utf8');
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      if (doc.querySelector('parsererror')) return null;
      return [...doc.querySelectorAll('text[data-testid=key-token]')].map((t) => t.textContent);
    }, text);
    const expected = tokens.token
      .filter((_, i) => tokens.sequence[i] === sequence)
      .map((t) => (t.trim() === '' ? '␣' : t));
    assert(parsed !== null, 'the SVG does not parse');
    assert(
      JSON.stringify(parsed) === JSON.stringify(expected),
      `SVG tokens ${JSON.stringify(parsed.slice(0, 5))}…`,
    );
  });

  await check('share: Save PNG writes the canvas at twice its size', async () => {
    const s = await state(page);
    const png = await save('save-png', `_L${s.layer}H${s.head}_${s.shown}-2d.png`);
    assert(png.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])), 'not a PNG signature');
    const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    const box = await page.locator('#deck').boundingBox();
    assert(
      Math.abs(w - 2 * box.width) <= 2 && Math.abs(h - 2 * box.height) <= 2,
      `PNG ${w}x${h}, canvas ${box.width}x${box.height}`,
    );
  });

  await check('share: a permalink opened in a fresh page restores the view', async () => {
    await page.selectOption('[data-testid=color-mode]', 'position');
    await settled(page);
    const before = await state(page);
    const fresh = await openPage(browser, page.url());
    await waitFor(
      fresh,
      () => window.__attnviz?.singleDrawn && !document.getElementById('side').hidden,
      'the linked view',
      30000,
    );
    await settled(fresh);
    const after = await state(fresh);
    const keys = [
      'view',
      'method',
      'dim',
      'layer',
      'head',
      'colorMode',
      'selected',
      'searchQuery',
      'searchMode',
      'searchCount',
      'hiddenTokens',
      'sideTab',
      'cellMetric',
    ];
    for (const key of keys)
      assert(
        JSON.stringify(after[key]) === JSON.stringify(before[key]),
        `${key}: ${JSON.stringify(after[key])} vs ${JSON.stringify(before[key])}`,
      );
    const lines = await fresh.locator('#sentence-view text.hidden-token').count();
    assert(lines === 4, `${lines} hidden token labels (2 queries + 2 keys expected)`);
    assert(fresh.errors.length === 0, fresh.errors.slice(0, 3).join(' | '));
    await fresh.close();
  });

  await check('share: malformed URL parameters are ignored one by one', async () => {
    const bad = await openPage(
      browser,
      `${server.url}?view=single&l=99&h=1&color=nope&p=-4&q=%2F(%2F&hide=x`,
    );
    await waitFor(bad, () => window.__attnviz?.singleDrawn, 'the single view', 30000);
    const s = await state(bad);
    assert(
      s.view === 'single' && s.layer === 0 && s.head === 1 && s.colorMode === 'qk' && s.selected === null,
      JSON.stringify(s),
    );
    assert(s.searchQuery === '/(/' && s.searchCount === null, `search ${s.searchQuery} ${s.searchCount}`);
    assert(bad.errors.length === 0, bad.errors.slice(0, 3).join(' | '));
    await bad.close();
  });

  await check(
    'share: a permalink asking for what the run cannot show (value norms, no values) is ignored',
    async () => {
      const other = await openPage(
        browser,
        `${server.url}?view=single&l=1&h=2&weight=value-norm&color=value-norm`,
      );
      await waitFor(other, () => window.__attnviz?.singleDrawn, 'the single view', 30000);
      const s = await state(other);
      assert(
        s.layer === 1 && s.head === 2 && s.attentionWeight === 'attention' && s.colorMode === 'qk',
        JSON.stringify(s),
      );
      assert(other.errors.length === 0, other.errors.slice(0, 3).join(' | '));
      await other.close();
    },
  );

  const atHead = (head, what) =>
    waitFor(
      page,
      (h) => window.__attnviz.state().view === 'single' && window.__attnviz.state().head === h,
      what,
      20000,
      head,
    );
  await check('share: back and forward walk through the views', async () => {
    const start = await state(page);
    await page.mouse.move(5, 5);
    await page.keyboard.press('ArrowRight');
    await waitFor(page, (h) => window.__attnviz.state().head === h, 'the next head', 20000, start.head + 1);
    await page.keyboard.press('Escape');
    await waitFor(page, () => window.__attnviz.state().view === 'matrix', 'the matrix', 20000);
    await page.evaluate(() => history.back());
    await atHead(start.head + 1, 'back to the next head');
    await page.evaluate(() => history.back());
    await atHead(start.head, 'back to the first head');
    const s = await state(page);
    assert(s.selected === start.selected, `selection ${s.selected} after back, was ${start.selected}`);
    await page.evaluate(() => history.forward());
    await atHead(start.head + 1, 'forward to the next head');
    await settled(page);
    assert(page.errors.length === 0, page.errors.slice(0, 3).join(' | '));
  });
  await page.close();
}
