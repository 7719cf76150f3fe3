// Browser test of a run with a broken layout file (issue 11 item 6): the page still loads, the method whose
// file is broken is marked unavailable with the server's reason, and PCA stands in for it in both views,
// without a request to the broken file's routes (which would log a console error).
import fs from 'node:fs';
import path from 'node:path';
import { openCell, openPage, settled, waitFor } from './browser.mjs';

// A copy of `run` whose layouts/tsne-2d.safetensors is garbage.
export function makeBrokenRun(run, out) {
  fs.rmSync(out, { recursive: true, force: true });
  fs.cpSync(run, out, { recursive: true });
  fs.writeFileSync(path.join(out, 'layouts/tsne-2d.safetensors'), 'this is not a safetensors file\n');
  return out;
}

export async function brokenLayoutTests(browser, server, { check, assert, shot }) {
  const page = await openPage(browser, server.url);
  await check('a broken layout file: the page loads and draws the matrix', async () => {
    await waitFor(page, () => window.__attnviz?.matrixDrawn, 'the matrix view', 30000);
    await settled(page);
  });
  await check('a broken layout file: its method is marked unavailable with the reason', async () => {
    const option = page.locator('[data-testid=method] option[value=tsne]');
    const [text, title] = [await option.textContent(), await option.getAttribute('title')];
    assert(text === 't-SNE (unavailable)', `option text "${text}"`);
    assert(/tsne-2d\.safetensors/.test(title), `option title "${title}"`);
    await page.selectOption('[data-testid=method]', 'tsne');
    await settled(page);
    const progress = await page.locator('#progress-text').textContent();
    assert(!(await page.locator('#progress').isHidden()), 'no progress line');
    assert(
      /^t-SNE 2D unavailable: .*tsne-2d\.safetensors.* · showing PCA meanwhile$/.test(progress),
      `progress line "${progress}"`,
    );
    assert(
      (await page.evaluate(() => window.__attnviz.state().shown)) === 'pca',
      'the matrix does not show PCA',
    );
    await shot(page, 'broken-layout-matrix');
  });
  await check('a broken layout file: the single view shows PCA in its place', async () => {
    await openCell(page, 1, 2);
    const s = await page.evaluate(() => window.__attnviz.state());
    assert(s.method === 'tsne' && s.shown === 'pca', `method ${s.method}, shown ${s.shown}`);
  });
  await check('a broken layout file: no errors on the page', async () =>
    assert(page.errors.length === 0, page.errors.slice(0, 3).join(' | ')),
  );
  await page.close();
}
