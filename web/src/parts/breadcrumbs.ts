// The breadcrumbs over the canvas: where the view is (all heads, one head, the heads map) in which layout, the way back
// to all heads, the token-label switch of the single view and the patch-thumbnail switch of image runs'.
import { headLabel, layoutLabel } from '../data/names';
import type { Context } from '../context';
import { $ } from '../dom';
import type { AppPart, Keys, Reads } from '../state';

const KEYS = [
  'view',
  'method',
  'shown',
  'dim',
  'layer',
  'head',
  'thumbnails',
  'labels',
] as const satisfies Keys;

export class Breadcrumbs implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private thumbs = $<HTMLInputElement>('thumbs');
  private labels = $<HTMLInputElement>('labels');

  constructor(private ctx: Context) {
    const { store } = ctx;
    $('back').addEventListener('click', () => store.set({ view: 'matrix', selected: null }));
    this.thumbs.addEventListener('change', () => store.set({ thumbnails: this.thumbs.checked }));
    this.labels.addEventListener('change', () => store.set({ labels: this.labels.checked }));
  }

  update(s: Reads<typeof KEYS>): void {
    const single = s.view === 'single';
    const layout = layoutLabel(s.shown ?? s.method, s.dim);
    const where = {
      single: `${headLabel(s)} · ${layout}`,
      matrix: `all heads · ${layout}`,
      heads: 'heads map',
    };
    $('where').textContent = where[s.view];
    $('back').hidden = s.view === 'matrix';
    $('thumbs-toggle').hidden = !single || this.ctx.data.modality !== 'image';
    this.thumbs.checked = s.thumbnails;
    $('labels-toggle').hidden = !single;
    this.labels.checked = s.labels;
  }
}
