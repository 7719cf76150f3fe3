// The selection panel (issue 14 item 1), open while there is a lasso / box selection, in either view: how
// many queries and keys, the most frequent tokens, a histogram of positions, the inputs it touches (a click
// opens that input's sentence / image view), "isolate" (fade everything else, state key `isolate`) and
// "export CSV" of the selected points with their coordinates in the current head's layout.
import type { Context } from '../context';
import { $, download } from '../dom';
import { fileStem, layoutFile } from '../data/names';
import { selectionCsv, summarizeSelection, type InputTouched } from '../data/select';
import type { AppPart, Changed, Keys, Reads } from '../state';
import { renderBars } from '../views/bars';

const KEYS = ['selection', 'isolate'] as const satisfies Keys;
const SNIPPET_TOKENS = 12; // tokens of an input shown in the list
const INPUTS_LISTED = 30;

export class SelectionPanel implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private isolate = $<HTMLInputElement>('sel-isolate');

  constructor(private ctx: Context) {
    const { store } = ctx;
    this.isolate.addEventListener('change', () => store.set({ isolate: this.isolate.checked }));
    $('sel-clear').addEventListener('click', () => store.set({ selection: null, isolate: false }));
    $('sel-csv').addEventListener('click', () => void this.exportCsv());
  }

  update(s: Reads<typeof KEYS>, changed: Changed<typeof KEYS>): void {
    $('selection-panel').hidden = s.selection === null;
    this.isolate.checked = s.isolate;
    if (s.selection && changed.has('selection')) this.render(s.selection);
  }

  private render(selection: Int32Array): void {
    const { data } = this.ctx;
    const summary = summarizeSelection(selection, data.tokens);
    $('sel-counts').textContent =
      `${selection.length} points: ${summary.queries} queries, ${summary.keys} keys`;
    const tokens = $('sel-tokens');
    tokens.replaceChildren(
      ...summary.topTokens.map(([text, count]) => {
        const row = document.createElement('li');
        const token = document.createElement('code');
        token.textContent = JSON.stringify(text).slice(1, -1); // spaces and control characters visible
        row.append(token, ` ${count}`);
        return row;
      }),
    );
    const positions = Array.from(summary.positions.keys());
    renderBars($('sel-positions'), positions, summary.positions, 'positions in their input', {
      width: 240,
      height: 60,
      tip: (position, count) => `position ${position}: ${count}`,
    });
    $('sel-inputs-title').textContent =
      `${summary.inputs.length} input${summary.inputs.length === 1 ? '' : 's'}` +
      (summary.inputs.length > INPUTS_LISTED ? ` (the ${INPUTS_LISTED} with most points)` : '');
    $('sel-inputs').replaceChildren(...summary.inputs.slice(0, INPUTS_LISTED).map((i) => this.inputItem(i)));
  }

  // One input the selection touches: its number, how many selected points, the start of its text; a click
  // opens its sentence (or image) view in the single view, at its first selected point.
  private inputItem(input: InputTouched): HTMLElement {
    const { data, store } = this.ctx;
    const { texts } = data.sequenceTokens(input.sequence);
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.dataset.testid = 'sel-input';
    const more = texts.length > SNIPPET_TOKENS ? ' …' : '';
    button.textContent = `#${input.sequence} (${input.count}) ${texts.slice(0, SNIPPET_TOKENS).join('')}${more}`;
    button.addEventListener('click', () => store.set({ view: 'single', selected: input.firstPoint }));
    item.append(button);
    return item;
  }

  // The selected points with their coordinates in the layout the page shows for the current head.
  private async exportCsv(): Promise<void> {
    const { store, data, activity } = this.ctx;
    const s = store.get();
    if (!s.selection) return;
    const shown = s.shown ?? data.shownFor(s.method, s.dim);
    const coords = await activity.track(data.layout(shown, s.dim, s));
    const csv = selectionCsv(s.selection, data.tokens, coords, s.dim);
    const stem = `${fileStem(data.info.manifest.model)}_L${s.layer}H${s.head}`;
    download(
      new Blob([csv], { type: 'text/csv' }),
      `${stem}_${layoutFile(shown, s.dim)}_selection-${s.selection.length}.csv`,
    );
  }
}
