// Browser tests of the small things a first-time user trips on (issue 14 item 7) on the text run: the toolbar
// stays one row at 1400 px, the legend leaves the bottom-left matrix cell free, the go-to box opens the head
// typed (and says why it cannot), previous / next step through the heads, token labels switch off.
import { openPage, settled, toolbarFit, waitFor } from './browser.mjs';

const overlaps = (a, b) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

export async function navTests(browser, server, { check, assert, shot, state }) {
  const page = await openPage(browser, server.url, { width: 1400, height: 900 });

  await check('nav: the toolbar is one row at 1400 px, every control on screen', async () => {
    await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 30000);
    await settled(page);
    const { rows, right, hidden } = await toolbarFit(page);
    assert(rows <= 4 && right <= 1400 && !hidden, `toolbar: centres ${rows} px apart, right edge ${right}`);
  });

  await check('nav: the legend does not cover the bottom-left matrix cell', async () => {
    const { layers } = await state(page);
    const cell = await page.evaluate((l) => window.__attnviz.cellScreen(l - 1, 0), layers);
    const legend = await page.locator('#legend').boundingBox();
    assert(
      !overlaps(cell, legend),
      `cell ${JSON.stringify(cell)} under the legend ${JSON.stringify(legend)}`,
    );
  });

  await check('nav: the go-to box opens "L3 H5" and explains a head that does not exist', async () => {
    await page.fill('[data-testid=goto]', 'L3 H5');
    await page.press('[data-testid=goto]', 'Enter');
    await waitFor(
      page,
      () => window.__attnviz.state().view === 'single' && window.__attnviz.singleDrawn,
      'L3 H5',
    );
    const s = await state(page);
    assert(s.layer === 3 && s.head === 5, `opened L${s.layer} H${s.head}`);
    await page.fill('[data-testid=goto]', 'L99 H0');
    await page.press('[data-testid=goto]', 'Enter');
    const error = await page.locator('[data-testid=goto-error]').textContent();
    assert(/no head L99 H0/.test(error), `error "${error}"`);
    const after = await state(page);
    assert(after.layer === 3 && after.head === 5, 'a bad head moved the view');
  });

  await check('nav: next and previous step through the heads, wrapping to the next layer', async () => {
    const { heads } = await state(page);
    for (let k = 0; k < heads - 5; k++) await page.click('[data-testid=head-next]');
    await waitFor(
      page,
      () => window.__attnviz.state().layer === 4 && window.__attnviz.state().head === 0,
      'L4 H0',
    );
    await page.click('[data-testid=head-prev]');
    await waitFor(page, (h) => window.__attnviz.state().head === h - 1, 'the previous head', 5000, heads);
    assert((await state(page)).layer === 3, 'previous did not go back a layer');
    await settled(page);
  });

  await check('nav: token labels show when zoomed in and switch off', async () => {
    const box = await page.locator('#deck').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let k = 0; k < 6; k++) await page.mouse.wheel(0, -300);
    await waitFor(page, () => window.__attnviz.state().labels > 0, 'token labels', 10000);
    await shot(page, 'nav-labels');
    await page.uncheck('[data-testid=labels]');
    await waitFor(page, () => window.__attnviz.state().labels === 0, 'no labels', 5000);
    assert(page.errors.length === 0, page.errors.slice(0, 3).join(' | '));
  });
  await page.close();
}
