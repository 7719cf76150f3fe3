// Browser test of several runs in one server (issue 15 item 4): the run switcher lists the served runs, and
// switching opens the other run with the view state that still applies (view, method, layer and head clamped).
import { openCell, openPage, settled, waitFor } from './browser.mjs';
import { getJson } from './fixtures.mjs';

export async function runSwitcherTests(browser, server, { check, assert, shot, state }) {
  const { runs } = await getJson(`${server.url}api/runs`);
  const page = await openPage(browser, server.url);
  await check('several runs: the switcher lists every served run, the first shown', async () => {
    assert(runs.length === 2, `GET /api/runs lists ${runs.length} runs`);
    await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 30000);
    const select = page.locator('[data-testid=run]');
    assert(await select.isVisible(), 'no run switcher');
    const names = await select.locator('option').allTextContents();
    assert(names.join() === runs.map((r) => r.name).join(), `options ${names}`);
    assert((await state(page)).run === runs[0].name, `shows ${(await state(page)).run}`);
  });
  await check(
    'several runs: switching keeps the view, clamping layer and head to the other run',
    async () => {
      const [from, to] = runs;
      const layer = from.layers - 1,
        head = from.heads - 1;
      await openCell(page, layer, head);
      await page.selectOption('[data-testid=run]', to.name);
      await waitFor(page, (name) => window.__attnviz?.state().run === name, `run ${to.name}`, 30000, to.name);
      await waitFor(page, () => window.__attnviz.singleDrawn, 'the single view of the other run', 30000);
      await settled(page);
      const s = await state(page);
      assert(s.view === 'single', `view ${s.view}`);
      assert(s.layer === Math.min(layer, to.layers - 1), `layer ${s.layer}`);
      assert(s.head === Math.min(head, to.heads - 1), `head ${s.head}`);
      assert(s.method === 'pca', `method ${s.method}`);
      const title = await page.locator('[data-testid=run-title]').textContent();
      assert(title.startsWith(to.model), `title "${title}" is not ${to.model}'s`);
      await shot(page, 'run-switched');
    },
  );
  await check('several runs: switching back returns to the first run', async () => {
    await page.selectOption('[data-testid=run]', runs[0].name);
    await waitFor(
      page,
      (name) => window.__attnviz?.state().run === name,
      'the first run',
      30000,
      runs[0].name,
    );
    await waitFor(page, () => window.__attnviz.singleDrawn, 'its single view', 30000);
    const s = await state(page);
    assert(s.view === 'single' && s.layer === runs[1].layers - 1, `view ${s.view}, layer ${s.layer}`);
  });
  await check('several runs: no errors on the page', async () =>
    assert(page.errors.length === 0, page.errors.slice(0, 3).join(' | ')),
  );
  await page.close();
}
