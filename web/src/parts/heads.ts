// The heads view's controller (state `view: 'heads'`): every head of the run a point on the heads map
// (GET /api/heads), coloured by layer, type or the cell metric and sized by a type score as the state says;
// a click opens the head's single view. It owns the heads scene and the view's controls in the breadcrumbs
// row (the "heads map" button, the colour and size selects). Runs without a heads map offer no button.
import { textColor } from '../data/colors';
import { headId, headIndex } from '../data/heads';
import { headsPoints, type HeadsColor } from '../data/heads-map';
import { headLabel } from '../data/names';
import type { Context } from '../context';
import { $ } from '../dom';
import type { AppPart, Keys, Reads } from '../state';
import type { HeadsScene } from '../views/scenes';
import type { LegendPanel } from './legend';

const KEYS = [
  'view',
  'headsColor',
  'headsSize',
  'cellMetric',
  'theme',
  'layer',
  'head',
] as const satisfies Keys;

export class HeadsController implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  scene: HeadsScene | null = null;
  drawn = false; // the scene drawn last has reached the screen
  private color = $<HTMLSelectElement>('heads-color');
  private size = $<HTMLSelectElement>('heads-size');

  constructor(
    private ctx: Context,
    private legend: LegendPanel,
  ) {
    const { store, data, canvas } = ctx;
    $('heads-open').addEventListener('click', () => store.set({ view: 'heads', selected: null }));
    this.color.addEventListener('change', () => store.set({ headsColor: this.color.value as HeadsColor }));
    this.size.addEventListener('change', () => store.set({ headsSize: this.size.value }));
    for (const score of Object.keys(data.headsMap?.heads[0]?.scores ?? {}))
      this.size.add(new Option(`size: ${score.replace('_', ' ')}`, score));
    canvas.listen({
      onHeadClick: (k) => store.set({ view: 'single', ...headId(k, data.heads), selected: null }),
      onAfterRender: () => {
        if (this.scene && store.get().view === 'heads' && canvas.settled()) this.drawn = true;
      },
    });
  }

  update(s: Reads<typeof KEYS>): void {
    const { store, data, activity } = this.ctx;
    const info = data.headsMap;
    $('heads-open').hidden = !info || s.view === 'heads';
    $('heads-controls').hidden = s.view !== 'heads';
    this.color.value = s.headsColor;
    this.size.value = s.headsSize;
    if (s.view !== 'heads') return;
    if (!info) {
      activity.note('this run has no heads map yet: `attnviz layout` writes it');
      return store.set({ view: 'matrix' });
    }
    const metric = s.cellMetric ? data.metrics.values.get(s.cellMetric) : undefined;
    const points = headsPoints(
      info,
      s.headsColor,
      s.headsSize,
      data.layers,
      metric ? { name: s.cellMetric, values: metric } : null,
    );
    this.scene = {
      kind: 'heads',
      positions: points.positions,
      colors: points.colors,
      radii: points.radii,
      labels: info.heads.map((h) => headLabel(h)),
      outlined: headIndex(s, data.heads),
      textColor: textColor(s.theme),
      version: 0,
    };
    this.legend.show(points.legend);
    this.drawn = false;
    this.ctx.canvas.draw(this.scene);
  }
}
