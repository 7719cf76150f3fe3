// Browser tests of overlapping restyles (latest wins): a colour mode whose values the server answers late
// (every head's norms, held back here) must not overwrite the mode chosen after it once its reply arrives.
import { openPage, settled, waitFor } from './browser.mjs';

export async function restyleTests(browser, server, { check, assert, state }) {
  const page = await openPage(browser, server.url);
  await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 30000);
  await settled(page);
  const legend = () => page.locator('[data-testid=legend]').textContent();

  await check(
    'restyle: a slow colour mode chosen first does not overwrite the one chosen after it',
    async () => {
      let release;
      const held = new Promise((done) => (release = done));
      await page.route('**/norms/**', async (route) => {
        await held;
        await route.continue();
      });
      await page.selectOption('[data-testid=color-mode]', 'norm'); // waits for the held norms
      await page.selectOption('[data-testid=color-mode]', 'position');
      await waitFor(page, () => window.__attnviz.state().colorMode === 'position', 'the position mode');
      const chosen = await legend();
      assert(!/vector norm/.test(chosen), `the legend shows "${chosen}" before the norms arrive`);
      release();
      await settled(page, 'the held norms to arrive');
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => done())));
      const s = await state(page);
      const after = await legend();
      assert(s.colorMode === 'position', `mode ${s.colorMode}`);
      assert(after === chosen, `the late norms replaced the legend "${chosen}" by "${after}"`);
      await page.unroute('**/norms/**');
      assert(page.errors.length === 0, page.errors.slice(0, 3).join(' | '));
    },
  );
  await page.close();
}
