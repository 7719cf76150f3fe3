// Browser test of the matrix's order by similarity (issue 15 item 5): with sorting on and "by similarity"
// chosen, the cells follow /api/heads' order (slot k: the k-th head of it), and back to the metric's order.
import { openPage, settled, waitFor } from './browser.mjs';
import { getJson } from './fixtures.mjs';

export async function cellOrderTests(browser, server, { check, assert, shot }) {
  const heads = await getJson(`${server.url}api/heads`);
  const { num_heads: H } = (await getJson(`${server.url}api/run`)).manifest.model;
  const page = await openPage(browser, server.url);
  // The head whose cell is in grid slot `slot` (reading order), by where each head's cell is on screen.
  const slotsOf = () =>
    page.evaluate(
      ([count, heads]) => {
        const rects = Array.from({ length: count }, (_, k) =>
          window.__attnviz.cellScreen(Math.floor(k / heads), k % heads),
        );
        const order = rects.map((r, k) => [r.y, r.x, k]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        return order.map(([, , k]) => k);
      },
      [heads.heads.length, H],
    );
  await check('order by similarity: the cells follow the heads map order', async () => {
    await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 30000);
    assert(
      heads.order.some((k, slot) => k !== slot),
      'the heads map order is layer-major: this test would not see it',
    );
    await page.selectOption('[data-testid=cell-order]', 'similarity');
    await waitFor(page, () => window.__attnviz.matrixDrawn, 'the reordered matrix', 30000);
    await settled(page);
    assert(await page.locator('[data-testid=sort-cells]').isChecked(), 'sorting not turned on');
    const slots = await slotsOf();
    assert(
      slots.join() === heads.order.join(),
      `cells ${slots.slice(0, 8)}..., order ${heads.order.slice(0, 8)}...`,
    );
    const legend = await page.locator('#legend').textContent();
    assert(/similar heads side by side/.test(legend), `legend "${legend}"`);
    await shot(page, 'matrix-by-similarity');
  });
  await check('type badges: every head with a type, and only those, has its badge', async () => {
    const typed = heads.heads.filter((h) => h.type).map((h) => `L${h.layer} H${h.head}`);
    assert(typed.length > 0, 'no head of the run has a type: this test would not see a badge');
    const badges = (await page.evaluate(() => window.__attnviz.state())).badges;
    assert(
      badges
        .map((b) => b.split(':')[0])
        .sort()
        .join() === typed.sort().join(),
      `badges ${badges.slice(0, 4)}, typed heads ${typed.slice(0, 4)}`,
    );
  });
  await check('order by similarity: unsorting returns to layer-major order', async () => {
    await page.click('[data-testid=sort-cells]');
    await waitFor(page, () => window.__attnviz.matrixDrawn, 'the matrix again', 30000);
    const slots = await slotsOf();
    assert(
      slots.every((k, slot) => k === slot),
      `cells ${slots.slice(0, 8)}...`,
    );
  });
  await check('order by similarity: no errors on the page', async () =>
    assert(page.errors.length === 0, page.errors.slice(0, 3).join(' | ')),
  );
  await page.close();
}
