// The URL holds the view state (data/url-state.ts says which keys and how): this part writes it on every
// change of those keys (a new history entry when the view, head or layout changes, else replacing the current
// one) and, on back / forward, sets the state the URL names. The page's start reads the URL through
// `stateFromUrl`.
import type { Context } from '../context';
import { URL_KEYS, decodeState, encodeState, isNewView, urlLimits } from '../data/url-state';
import type { RunData } from '../run-data';
import { defaults, type AppPart, type AppState, type Reads } from '../state';

// The state keys the page's URL sets validly.
export function stateFromUrl(data: RunData): Partial<AppState> {
  return decodeState(window.location.search, urlLimits(data));
}

export class Permalink implements AppPart<typeof URL_KEYS> {
  readonly keys = URL_KEYS;

  constructor(private ctx: Context) {
    // Back / forward: the entry's state, its keys that are missing at their defaults.
    window.addEventListener('popstate', () => {
      const named = stateFromUrl(ctx.data);
      const patch: Record<string, unknown> = {};
      for (const key of URL_KEYS) patch[key] = key in named ? named[key] : defaults[key];
      ctx.store.set(patch as Partial<AppState>);
    });
  }

  update(s: Reads<typeof URL_KEYS>): void {
    const search = encodeState({ ...this.ctx.store.get(), ...s }, defaults);
    const before = window.location.search;
    if (search === before || (search === '' && before === '?')) return;
    const url = window.location.pathname + search + window.location.hash;
    if (isNewView(before, search)) window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
  }
}
