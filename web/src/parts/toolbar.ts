// The toolbar: its controls set the state, and show it (so any change of the state, not only a click, is
// reflected): layout method (marked unavailable where its file is broken) and dimension, colour mode, size by
// norm, cell metric and sorting (by the metric, or similar heads side by side), theme. (Token search:
// parts/search.ts.)
import type { Dim, Method } from '../api';
import { colorModeLabels, colorModesFor, type ColorMode } from '../data/colors';
import type { Context } from '../context';
import { $ } from '../dom';
import { metricInfo, methodNames, type MetricGroup } from '../data/names';
import type { AppPart, Keys, Reads } from '../state';

const KEYS = [
  'method',
  'dim',
  'layouts',
  'colorMode',
  'sizeByNorm',
  'cellMetric',
  'sortCells',
  'cellOrder',
  'theme',
] as const satisfies Keys;

export class Toolbar implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private method = $<HTMLSelectElement>('method');
  private color = $<HTMLSelectElement>('color-mode');
  private sizeNorm = $<HTMLInputElement>('size-norm');
  private metric = $<HTMLSelectElement>('cell-metric');
  private sort = $<HTMLInputElement>('sort-cells');
  private order = $<HTMLSelectElement>('cell-order');

  constructor(ctx: Context) {
    const { store, data } = ctx;
    const model = data.info.manifest.model;
    const title = `${model.model_type} · ${model.num_layers} layers × ${model.num_heads} heads · ${data.n} tokens`;
    $('run-title').textContent = $('run-title').title = title; // the title may be cut short on narrow screens
    for (const mode of colorModesFor(data)) this.color.add(new Option(colorModeLabels[mode], mode));
    this.addMetrics(data.metrics.names);
    this.method.addEventListener('change', () => store.set({ method: this.method.value as Method }));
    for (const dim of [2, 3] as Dim[]) $(`dim-${dim}`).addEventListener('click', () => store.set({ dim }));
    this.color.addEventListener('change', () => store.set({ colorMode: this.color.value as ColorMode }));
    this.sizeNorm.addEventListener('change', () => store.set({ sizeByNorm: this.sizeNorm.checked }));
    this.metric.addEventListener('change', () => store.set({ cellMetric: this.metric.value }));
    this.sort.addEventListener('change', () => store.set({ sortCells: this.sort.checked }));
    // Similar heads side by side: heads.json's order, which `attnviz layout` writes.
    const similarity = this.order.querySelector<HTMLOptionElement>('option[value=similarity]')!;
    similarity.disabled = !data.headsMap;
    if (!data.headsMap) similarity.title = 'no heads map yet (attnviz layout writes layouts/heads.json)';
    this.order.addEventListener('change', () =>
      store.set({ cellOrder: this.order.value as 'metric' | 'similarity', sortCells: true }),
    );
    $('theme').addEventListener('click', () =>
      store.set({ theme: store.get().theme === 'dark' ? 'light' : 'dark' }),
    );
  }

  update(s: Reads<typeof KEYS>): void {
    this.method.value = s.method;
    // A method whose file for this dimension is broken says so, with the server's reason as its tooltip.
    for (const option of Array.from(this.method.options)) {
      const method = option.value as Method;
      const problem = s.layouts.find((l) => l.method === method && l.dim === s.dim)?.problem;
      option.textContent = methodNames[method] + (problem ? ' (unavailable)' : '');
      option.title = problem ?? '';
    }
    $('dim-2').classList.toggle('active', s.dim === 2);
    $('dim-3').classList.toggle('active', s.dim === 3);
    this.color.value = s.colorMode;
    this.sizeNorm.checked = s.sizeByNorm;
    this.metric.value = s.cellMetric;
    this.sort.checked = s.sortCells;
    this.order.value = s.cellOrder;
    document.body.classList.toggle('dark', s.theme === 'dark');
  }

  // The cell metrics by readable name with a one-line explanation on hover, grouped (behaviour, faithfulness,
  // timing, other) in that order.
  private addMetrics(names: string[]): void {
    const groups = new Map<MetricGroup, HTMLOptGroupElement>();
    for (const group of ['behaviour', 'faithfulness', 'timing', 'other'] as MetricGroup[]) {
      const element = document.createElement('optgroup');
      element.label = group;
      groups.set(group, element);
    }
    for (const name of names) {
      const info = metricInfo(name);
      const option = new Option(info.label, name);
      option.title = `${info.hint} (${name})`;
      groups.get(info.group)!.append(option);
    }
    for (const group of groups.values()) if (group.children.length > 0) this.metric.append(group);
  }
}
