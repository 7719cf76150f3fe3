// Browser test of the true-neighbours check (issue 14 item 2) on the text run: with the toolbar toggle on, a
// click on a point of the single view rings its true top-10 partners exactly as GET /api/neighbours answers,
// and its 10 nearest points of the other kind in the layout; the overlap shown equals the share of partners
// the API ranks within the layout's 10 nearest. Turning the toggle off removes the rings and the line.
import { openCell, openPage, settled, waitFor } from './browser.mjs';

export async function neighboursTests(browser, server, { check, assert, shot, state }) {
  const page = await openPage(browser, server.url);
  await check('neighbours: the single view opens with the toggle off and no rings', async () => {
    await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 30000);
    await openCell(page, 1, 2);
    await settled(page);
    assert(!(await page.isChecked('[data-testid=neighbours]')), 'the toggle starts on');
    assert((await state(page)).neighbours === null, 'rings before any click');
  });

  await check('neighbours: a clicked point rings its true partners and shows the overlap', async () => {
    await page.check('[data-testid=neighbours]');
    const points = (await state(page)).points;
    let selected = null;
    for (let i = 5; i < points && selected === null; i += 17) {
      const p = await page.evaluate((i) => window.__attnviz.pointScreen(i), i);
      if (!p) continue;
      await page.mouse.click(p.x, p.y);
      try {
        await waitFor(page, () => window.__attnviz.state().selected !== null, 'a selection', 3000);
        selected = (await state(page)).selected;
      } catch {
        // the click picked nothing (the point was covered); try another point
      }
    }
    assert(selected !== null, 'no point could be clicked');
    await waitFor(
      page,
      (p) => window.__attnviz.state().neighbours?.point === p,
      'the neighbour rings',
      20000,
      selected,
    );
    await settled(page);
    const s = await state(page);
    const layout = `${s.shown}-${s.dim}d`;
    const reply = await page.evaluate(
      (url) => fetch(url).then((r) => r.json()),
      `api/neighbours/${s.layer}/${s.head}/${selected}?k=10&layout=${layout}`,
    );
    const partners = reply.neighbours.map((n) => n.point);
    assert(
      JSON.stringify(s.neighbours.partners) === JSON.stringify(partners),
      `rings on ${s.neighbours.partners}, the API says ${partners}`,
    );
    const n = points / 2;
    const otherKind = (j) => (selected < n ? j >= n : j < n);
    assert(
      s.neighbours.partners.every(otherKind) && s.neighbours.nearest.every(otherKind),
      `rings on points of the selected point's own kind: ${s.neighbours.nearest}`,
    );
    assert(s.neighbours.nearest.length === 10, `${s.neighbours.nearest.length} layout neighbours`);
    const shared = reply.neighbours.filter((r) => r.layout_rank <= 10).length;
    assert(
      s.neighbours.overlap === shared / 10,
      `overlap ${s.neighbours.overlap}, the API's ranks: ${shared}/10`,
    );
    const info = await page.locator('[data-testid=neighbours-info]').textContent();
    assert(info.includes(`overlap ${shared}/10 = ${(shared / 10).toFixed(2)}`), `the line says "${info}"`);
    await shot(page, 'neighbours');
  });

  await check('neighbours: turning the toggle off removes the rings and the line', async () => {
    await page.uncheck('[data-testid=neighbours]');
    await settled(page);
    assert((await state(page)).neighbours === null, 'rings left');
    assert(await page.locator('[data-testid=neighbours-info]').isHidden(), 'the line is still shown');
  });
  await check('neighbours: no errors on the page', async () =>
    assert(page.errors.length === 0, page.errors.slice(0, 3).join(' | ')),
  );
  await page.close();
}
