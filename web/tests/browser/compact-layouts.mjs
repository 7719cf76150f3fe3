// Browser test of the matrix's compact transfer (issue 17 item 2): the page asks for every head's layout in
// 16-bit fixed point (GET /api/layouts/{method}/{dim}?encoding=u16, 4 bytes a 2D point, 6 a 3D one), and each
// point it draws lands where the float32 layout says, within one quantisation step of the cell.
import { openPage, waitFor } from './browser.mjs';
import { getJson } from './fixtures.mjs';

const PAD = 0.06; // CELL_PAD of web/src/data/grid.ts: a head fills its cell but for this margin

// Where the matrix draws a head's float32 points (data/grid.ts fitIntoCell), in the cell's own units.
function fitted(coords) {
  const xs = coords.filter((_, i) => i % 2 === 0);
  const ys = coords.filter((_, i) => i % 2 === 1);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = (1 - 2 * PAD) / (Math.max(x1 - x0, y1 - y0) || 1);
  return coords.map((v, i) => 0.5 + (v - (i % 2 === 0 ? (x0 + x1) / 2 : (y0 + y1) / 2)) * scale);
}

async function float32(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return new Float32Array(await response.arrayBuffer());
}

export async function compactLayoutsTests(browser, server, { check, assert }) {
  const { num_layers: L, num_heads: H } = (await getJson(`${server.url}api/run`)).manifest.model;
  const points = 2 * (await getJson(`${server.url}api/tokens`)).token.length;
  const page = await openPage(browser, server.url);
  const replies = [];
  page.on('response', (r) => {
    if (r.url().includes('/layouts/')) replies.push({ url: r.url(), length: r.headers()['content-length'] });
  });
  await page.reload();
  await check('compact layouts: the matrix loads every head in 16-bit fixed point', async () => {
    await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 30000);
    const bulk = replies.filter((r) => /layouts\/pca\/2/.test(r.url));
    assert(bulk.length === 1 && bulk[0].url.endsWith('?encoding=u16'), `requests ${JSON.stringify(bulk)}`);
    const perPoint = (Number(bulk[0].length) - L * H * 16) / (L * H * points);
    assert(perPoint === 4, `${bulk[0].length} bytes: ${perPoint} bytes a point`);
  });
  await check('compact layouts: every drawn point is within a step of its float32 place', async () => {
    const exact = await float32(`${server.url}api/layouts/pca/2`);
    const step = (1 - 2 * PAD) / 65535;
    let worst = 0;
    for (let layer = 0; layer < L; layer++) {
      for (let head = 0; head < H; head++) {
        const k = layer * H + head;
        const want = fitted(Array.from(exact.subarray(k * points * 2, (k + 1) * points * 2)));
        const drawn = await page.evaluate(([l, h]) => window.__attnviz.matrixPoints(l, h), [layer, head]);
        const rect = await page.evaluate(([l, h]) => window.__attnviz.cellScreen(l, h), [layer, head]);
        assert(drawn && drawn.length === want.length, `L${layer} H${head}: ${drawn?.length} coordinates`);
        assert(rect, `L${layer} H${head} has no cell`);
        // The cell's corner: the drawn minus the fitted (in [0, 1]) is an integer column and row.
        const [cx, cy] = [Math.round(drawn[0] - want[0]), Math.round(drawn[1] - want[1])];
        for (let i = 0; i < want.length; i++)
          worst = Math.max(worst, Math.abs(drawn[i] - (i % 2 === 0 ? cx : cy) - want[i]));
      }
    }
    assert(worst <= step + 2e-6, `a point is ${worst} cell widths from its place (step ${step})`);
    assert(worst > 0, 'no point moved at all: the page did not draw the quantised layout');
  });
  await check('compact layouts: the 3D matrix takes 6 bytes a point', async () => {
    await page.click('[data-testid=dim-3]');
    await waitFor(
      page,
      () => window.__attnviz.state().dim === 3 && window.__attnviz.matrixDrawn,
      'the 3D matrix',
    );
    const bulk = replies.filter((r) => /layouts\/pca\/3/.test(r.url));
    assert(bulk.length === 1 && bulk[0].url.endsWith('?encoding=u16'), `requests ${JSON.stringify(bulk)}`);
    assert(Number(bulk[0].length) === L * H * (24 + 6 * points), `${bulk[0].length} bytes`);
    await page.click('[data-testid=dim-2]');
  });
  await page.context().close();
}
