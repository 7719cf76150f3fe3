// Browser check of the head types on the text run (issue 15; docs/guide.md, "Head types"): for each type score
// that applies, the run's top head by that score opens in the single view with one query selected, and its
// sentence view draws that query's attention. The side panel of each is kept as a screenshot
// (`head-type-<score>`; docs/images/ for the guide). One query for all, so the heads compare: the later
// occurrence of a token repeated within a short input (a duplicate-token head has something to attend to).
// Induction is left out: it is measured on random repeated sequences, which the run's inputs are not.
import { openPage, settled, waitFor } from './browser.mjs';
import { getJson } from './fixtures.mjs';

const SHOWN_TYPES = [
  'previous_token',
  'next_token',
  'same_token',
  'first_token',
  'special_tokens',
  'positional',
  'broad',
];

// The query token: a later occurrence of a token id within its input, at position >= 4, in an input of 12 to
// 30 tokens (short enough for its sentence view to fit a screenshot), else of any length from 12.
function repeatedQuery(tokens) {
  const length = new Map();
  for (const s of tokens.sequence) length.set(s, (length.get(s) ?? 0) + 1);
  for (const longest of [30, Infinity])
    for (let i = 0; i < tokens.token_id.length; ++i) {
      const n = length.get(tokens.sequence[i]);
      if (n < 12 || n > longest || tokens.position[i] < 4) continue;
      const start = i - tokens.position[i];
      for (let j = start; j < i; ++j) if (tokens.token_id[j] === tokens.token_id[i]) return i;
    }
  throw new Error('no input of 12 or more tokens repeats a token');
}

export async function headTypesTests(browser, server, { check, assert, shot }) {
  const { heads } = await getJson(`${server.url}api/heads`);
  const tokens = await getJson(`${server.url}api/tokens`);
  const query = repeatedQuery(tokens);
  for (const type of SHOWN_TYPES) {
    const scored = heads.filter((h) => h.scores[type] !== null);
    if (scored.length === 0) continue; // e.g. next_token in a causal model
    const top = scored.reduce((a, b) => (b.scores[type] > a.scores[type] ? b : a));
    const name = `L${top.layer} H${top.head} (${top.scores[type].toFixed(3)})`;
    await check(`head types: the top ${type} head, ${name}, in the sentence view`, async () => {
      const page = await openPage(
        browser,
        `${server.url}?view=single&method=pca&l=${top.layer}&h=${top.head}&p=${query}`,
        { width: 1400, height: 900 },
      );
      await waitFor(
        page,
        () => window.__attnviz?.singleDrawn && !document.getElementById('side').hidden,
        'the sentence view',
        30000,
      );
      await settled(page);
      const s = await page.evaluate(() => window.__attnviz.state());
      assert(
        s.layer === top.layer && s.head === top.head && s.selected === query,
        `shows ${JSON.stringify(s)}`,
      );
      const lines = await page.locator('#sentence-view line').count();
      assert(lines > 0, 'no attention lines');
      await shot(page, `head-type-${type}`, '#side');
      assert(page.errors.length === 0, page.errors.slice(0, 3).join(' | '));
      await page.close();
    });
  }
}
