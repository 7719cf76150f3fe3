// The progress bar of a layout method still being computed (by `attnviz layout` / `demo`, or the server on
// demand), or why it is unavailable (a broken file), and the polling that refreshes what the server has ready
// until the method is complete (data/layout-status.ts).
import { layoutStatus, type ProgressInfo } from '../data/layout-status';
import { layoutFile, layoutLabel, methodNames } from '../data/names';
import type { Context } from '../context';
import { $ } from '../dom';
import type { AppPart, Keys, Reads } from '../state';

const KEYS = ['view', 'method', 'dim', 'layouts'] as const satisfies Keys;
type State = Reads<typeof KEYS>;

export class Progress implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private timer = 0;

  constructor(private ctx: Context) {}

  update(s: State): void {
    const { data } = this.ctx;
    const standIn = data.shownFor(s.method, s.dim);
    const status = layoutStatus(
      data.availability(s.method, s.dim),
      data.info.progress as ProgressInfo | null,
      layoutFile(s.method, s.dim),
      layoutLabel(s.method, s.dim),
      standIn !== s.method && s.view === 'matrix' ? methodNames[standIn] : null,
    );
    $('progress').hidden = !status.visible;
    $('progress-fill').style.width = `${100 * status.fraction}%`;
    $('progress-text').textContent = status.text;
    clearTimeout(this.timer);
    if (status.pollMs !== null) this.timer = window.setTimeout(() => void this.poll(), status.pollMs);
  }

  private async poll(): Promise<void> {
    const { store, data } = this.ctx;
    try {
      await data.refresh();
    } catch {
      // The server may be restarting: try again on the next tick.
      this.update(store.get());
      return;
    }
    store.set({ layouts: data.info.layouts });
  }
}
