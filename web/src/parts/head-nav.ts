// On-screen head navigation beside the breadcrumbs: previous / next head (layer-major, wrapping; the arrow
// keys do the same in the single view) and a go-to box that opens the head typed ("L3 H5") from either view.
import type { Context } from '../context';
import { $ } from '../dom';
import { parseHead, stepHead } from '../data/heads';
import type { AppPart, Keys, Reads } from '../state';

const KEYS = ['view', 'layer', 'head'] as const satisfies Keys;

export class HeadNav implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private input = $<HTMLInputElement>('goto');

  constructor(private ctx: Context) {
    $('head-prev').addEventListener('click', () => this.step(-1));
    $('head-next').addEventListener('click', () => this.step(1));
    $('goto-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.goTo(this.input.value);
    });
    this.input.addEventListener('input', () => this.showError(''));
  }

  update(s: Reads<typeof KEYS>): void {
    $('head-prev').hidden = $('head-next').hidden = s.view !== 'single';
    this.showError(''); // a message about an earlier attempt no longer applies
  }

  private step(by: number): void {
    const { store, data } = this.ctx;
    store.set({ ...stepHead(store.get(), by, data.layers, data.heads), selected: null });
  }

  private goTo(text: string): void {
    const { store, data } = this.ctx;
    const head = parseHead(text, data.layers, data.heads);
    if (typeof head === 'string') return this.showError(head);
    this.showError('');
    this.input.value = '';
    store.set({ view: 'single', ...head, selected: null });
  }

  private showError(message: string): void {
    $('goto-error').textContent = message;
    $('goto-error').hidden = message === '';
  }
}
