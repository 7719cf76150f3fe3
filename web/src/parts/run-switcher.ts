// The run switcher (several runs in one server, docs/api.md): a select in the toolbar, shown when the server
// serves more than one run. Switching opens the page again on the other run's routes (every cache and part
// starts afresh) with the view state that still applies carried in the URL (data/runs.ts).
import type { ServedRun } from '../api';
import { switchQuery } from '../data/runs';
import { $ } from '../dom';
import type { AppPart, Keys, Reads } from '../state';

const KEYS = ['run', 'view', 'method', 'dim', 'layer', 'head'] as const satisfies Keys;

export class RunSwitcher implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private select = $<HTMLSelectElement>('run');
  private view: Reads<typeof KEYS> | null = null;

  constructor(runs: ServedRun[]) {
    for (const r of runs) {
      const option = new Option(r.name, r.name);
      option.title = `${r.model} · ${r.layers} layers × ${r.heads} heads · ${r.sequences} inputs`;
      this.select.add(option);
    }
    this.select.hidden = runs.length < 2;
    this.select.addEventListener('change', () => {
      const s = this.view;
      const target = runs.find((r) => r.name === this.select.value);
      if (!s || !target || target.name === s.run) return;
      window.location.search = switchQuery(window.location.search, target, s);
    });
  }

  update(s: Reads<typeof KEYS>): void {
    this.view = s;
    this.select.value = s.run;
  }
}
