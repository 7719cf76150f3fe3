// The "weight by value norm" toggle of the side panel (sentence and image views): it owns `attentionWeight`
// and shows the control only when the run holds value vectors (extract --values); the side panel fetches the
// attention weighted as that key says.
import type { Context } from '../context';
import { $ } from '../dom';
import type { AppPart, Keys, Reads } from '../state';

const KEYS = ['attentionWeight'] as const satisfies Keys;

export class ValuesToggle implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private box = $<HTMLInputElement>('value-weight');

  constructor(ctx: Context) {
    $('value-weight-label').hidden = !ctx.data.hasValues;
    this.box.addEventListener('change', () =>
      ctx.store.set({ attentionWeight: this.box.checked ? 'value-norm' : 'attention' }),
    );
  }

  update(s: Reads<typeof KEYS>): void {
    this.box.checked = s.attentionWeight === 'value-norm';
  }
}
