// Token search: the box, its mode (exact / substring; subword markers ignored or literal), the count or the
// one-line reason a query is invalid, and the results grouped by input, each of which opens that input's
// sentence view in the current head. It owns `searchIndices`, derived from `searchQuery` and `searchMode`.
import { findTokens, groupByInput } from '../data/search';
import type { Context } from '../context';
import { $ } from '../dom';
import type { AppPart, Changed, Keys, Reads } from '../state';
import { anyChanged } from '../store';

const KEYS = ['searchQuery', 'searchMode', 'searchIndices'] as const satisfies Keys;
const MAX_GROUPS = 200; // inputs listed; the count says how many match in all
const SNIPPET_TOKENS = 12; // tokens shown around the first match of an input

export class Search implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private box = $<HTMLInputElement>('search');
  private match = $<HTMLSelectElement>('search-match');
  private literal = $<HTMLInputElement>('search-literal');
  private results = $('search-results');

  constructor(private ctx: Context) {
    const { store } = ctx;
    $('search-form').addEventListener('submit', (e) => {
      e.preventDefault();
      store.set({ searchQuery: this.box.value });
    });
    $('search-clear').addEventListener('click', () => store.set({ searchQuery: '' }));
    const setMode = () =>
      store.set({
        searchMode: {
          match: this.match.value === 'substring' ? 'substring' : 'exact',
          literal: this.literal.checked,
        },
      });
    this.match.addEventListener('change', setMode);
    this.literal.addEventListener('change', setMode);
    $('search-results-toggle').addEventListener('click', () => (this.results.hidden = !this.results.hidden));
  }

  update(s: Reads<typeof KEYS>, changed: Changed<typeof KEYS>): void {
    if (anyChanged(changed, ['searchQuery', 'searchMode'])) {
      this.box.value = s.searchQuery;
      this.match.value = s.searchMode.match;
      this.literal.checked = s.searchMode.literal;
      const result = findTokens(this.ctx.data.tokens.text, s.searchQuery, s.searchMode);
      $('search-error').textContent = result.error ?? '';
      $('search-error').hidden = result.error === null;
      const indices = s.searchQuery.trim() === '' ? null : result.indices;
      // A new result reaches this part (and the others) in the next round, which shows it.
      if (!sameIndices(indices, s.searchIndices)) return this.ctx.store.set({ searchIndices: indices });
    }
    const count = s.searchIndices?.length;
    $('search-count').textContent = count === undefined ? '' : `${count} match${count === 1 ? '' : 'es'}`;
    $('search-results-toggle').hidden = !count;
    if (!count) this.results.hidden = true;
    this.list(s.searchIndices ?? new Int32Array(0));
  }

  // One row per input: its number, the number of matches and a snippet around the first, matches marked.
  private list(indices: Int32Array): void {
    const { data, store } = this.ctx;
    const groups = groupByInput(indices, data.tokens.sequence);
    this.results.replaceChildren(
      ...groups.slice(0, MAX_GROUPS).map(({ sequence, tokens }) => {
        const row = document.createElement('button');
        row.className = 'search-result';
        row.dataset.testid = 'search-result';
        row.dataset.sequence = String(sequence);
        const { first, texts } = data.sequenceTokens(sequence);
        const at = tokens[0] - first;
        const from = Math.max(0, at - SNIPPET_TOKENS / 2);
        const head = document.createElement('b');
        head.textContent = `input ${sequence} · ${tokens.length}× `;
        row.append(head);
        for (let p = from; p < Math.min(texts.length, from + SNIPPET_TOKENS); p++) {
          const span = document.createElement(tokens.includes(first + p) ? 'mark' : 'span');
          span.textContent = texts[p];
          row.append(span);
        }
        // The list closes once an input is chosen: it would cover the sentence view it opens.
        row.addEventListener('click', () => {
          this.results.hidden = true;
          store.set({ view: 'single', selected: tokens[0], sideTab: 'input' });
        });
        return row;
      }),
    );
    if (groups.length > MAX_GROUPS) {
      const more = document.createElement('div');
      more.textContent = `… and ${groups.length - MAX_GROUPS} more inputs`;
      this.results.append(more);
    }
  }
}

function sameIndices(a: Int32Array | null, b: Int32Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
