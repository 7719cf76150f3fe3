// The progress bar of a layout method still being computed (by `attnviz layout` / `demo`, or the server on
// demand), and the polling that refreshes what the server has ready until the method is complete.
import { layoutLabel, methodNames } from '../data/names';
import type { Context } from '../context';
import { $ } from '../dom';
import type { AppPart, Keys, Reads } from '../state';

const KEYS = ['view', 'method', 'dim', 'layouts'] as const satisfies Keys;
type State = Reads<typeof KEYS>;
const POLL_MS = 1500;

export class Progress implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private timer = 0;

  constructor(private ctx: Context) {}

  update(s: State): void {
    const { data } = this.ctx;
    const a = data.availability(s.method, s.dim);
    const incomplete = a.heads_ready < a.heads_total;
    $('progress').hidden = !incomplete;
    if (incomplete) {
      // Layout files appear whole; progress.json (written while `attnviz layout` / `demo` runs) counts heads.
      const progress = data.info.progress as Record<string, { done?: number; total?: number }> | null;
      const live = progress?.[`${s.method}-${s.dim}d`];
      const [done, total] = live?.total ? [live.done ?? 0, live.total] : [a.heads_ready, a.heads_total];
      $('progress-fill').style.width = `${(100 * done) / total}%`;
      const standIn = data.shownFor(s.method, s.dim);
      $('progress-text').textContent =
        `${layoutLabel(s.method, s.dim)}: ${done} of ${total} heads ${live ? 'computed' : 'ready'}` +
        (standIn !== s.method && s.view === 'matrix' ? ` · showing ${methodNames[standIn]} meanwhile` : '');
    }
    clearTimeout(this.timer);
    if (incomplete) this.timer = window.setTimeout(() => void this.poll(), POLL_MS);
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
