// The heads view's controller (state `view: 'heads'`): every head of the run a point on the heads map
// (GET /api/heads), coloured by layer, type or the cell metric and sized by a type score as the state says;
// a click opens the head's single view. With several runs served, every run's heads on one map of behaviour
// fingerprints (GET /api/heads/map), the other runs' outlined in their colour; a click on one of them opens
// that run on the head. It owns the heads scene and the view's controls in the breadcrumbs row (the "heads
// map" button, the colour and size selects, the runs' key). Runs without a heads map offer no button.
import type { HeadsAcrossRuns, MapHead, ServedRun } from '../api';
import { api } from '../api';
import { textColor } from '../data/colors';
import { headIndex } from '../data/heads';
import { acrossRunsPoints, runColor } from '../data/heads-across';
import { headMapText, headsPoints, scoreNames, type HeadsColor } from '../data/heads-map';
import { headLabel, typeLabel } from '../data/names';
import { switchQuery } from '../data/runs';
import type { Context } from '../context';
import { $ } from '../dom';
import type { AppPart, Keys, Reads } from '../state';
import type { HeadsScene } from '../views/scenes';
import type { LegendPanel } from './legend';

const KEYS = [
  'view',
  'run',
  'headsColor',
  'headsSize',
  'cellMetric',
  'theme',
  'layer',
  'head',
] as const satisfies Keys;
type State = Reads<typeof KEYS>;

export class HeadsController implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  scene: HeadsScene | null = null;
  drawn = false; // the scene drawn last has reached the screen
  private heads: MapHead[] = []; // the scene's heads, in its order
  private across: Promise<HeadsAcrossRuns | null> | null = null; // fetched once, when several runs are served
  private color = $<HTMLSelectElement>('heads-color');
  private size = $<HTMLSelectElement>('heads-size');

  constructor(
    private ctx: Context,
    private legend: LegendPanel,
    private runs: ServedRun[],
  ) {
    const { store, data, canvas } = ctx;
    $('heads-open').addEventListener('click', () => store.set({ view: 'heads', selected: null }));
    this.color.addEventListener('change', () => store.set({ headsColor: this.color.value as HeadsColor }));
    this.size.addEventListener('change', () => store.set({ headsSize: this.size.value }));
    for (const score of data.headsMap ? scoreNames(data.headsMap) : [])
      this.size.add(new Option(`size: ${typeLabel(score)}`, score));
    canvas.listen({
      onHeadClick: (k) => this.open(this.heads[k]),
      onAfterRender: () => {
        if (this.scene && store.get().view === 'heads' && canvas.settled()) this.drawn = true;
      },
    });
  }

  update(s: State): void {
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
    if (this.runs.length > 1 && !this.across) {
      this.across = activity.track(api.headsAcrossRuns());
      void this.across.then(() => store.get().view === 'heads' && this.update(store.get()));
    }
    this.drawn = false;
    void this.draw(s);
  }

  // The tooltip of the scene's head k: with several runs, the run's name first.
  textAt(k: number): string {
    const h = this.heads[k];
    const { data, store } = this.ctx;
    if (h.run === store.get().run)
      return (
        (this.runs.length > 1 ? `${h.run} · ` : '') + headMapText(data.headsMap!, headIndex(h, data.heads))
      );
    return `${h.run} · ${headLabel(h)} · ${h.type ? typeLabel(h.type) : 'no type'}\n(click: open this run)`;
  }

  // Index in the scene of a run's head, or -1.
  indexOf(run: string, layer: number, head: number): number {
    return this.heads.findIndex((h) => h.run === run && h.layer === layer && h.head === head);
  }

  private open(h: MapHead): void {
    const { store } = this.ctx;
    const s = store.get();
    if (h.run === s.run) return store.set({ view: 'single', layer: h.layer, head: h.head, selected: null });
    const view = { view: 'single' as const, method: s.method, dim: s.dim, layer: h.layer, head: h.head };
    const target = this.runs.find((r) => r.name === h.run);
    if (target) window.location.search = switchQuery(window.location.search, target, view);
  }

  private async draw(s: State): Promise<void> {
    const { data } = this.ctx;
    const info = data.headsMap!;
    const metric = s.cellMetric ? data.metrics.values.get(s.cellMetric) : undefined;
    const own = headsPoints(
      info,
      s.headsColor,
      s.headsSize,
      data.layers,
      metric ? { name: s.cellMetric, values: metric } : null,
    );
    const mine: MapHead[] = info.heads.map((h) => ({ ...h, run: s.run }));
    const across = this.across ? await this.across.catch(() => null) : null;
    if (this.ctx.store.get().view !== 'heads') return;
    const several = across?.runs.some((r) => r.name === s.run) && across.runs.length > 1;
    const points = several
      ? acrossRunsPoints(across!, s.run, own, s.headsColor)
      : { ...own, heads: mine, others: 0, outlines: null };
    this.heads = points.heads;
    this.showRuns(several ? across! : null, s.run);
    this.scene = {
      kind: 'heads',
      positions: points.positions,
      colors: points.colors,
      radii: points.radii,
      outlines: points.outlines,
      others: points.others,
      labels: points.heads.map((h) => (h.run === s.run ? headLabel(h) : '')),
      outlined: this.indexOf(s.run, s.layer, s.head),
      textColor: textColor(s.theme),
      version: 0,
    };
    this.legend.show(points.legend);
    this.ctx.canvas.draw(this.scene);
  }

  // The runs' key beside the selects: each run's outline colour, the run shown first (white outline).
  private showRuns(across: HeadsAcrossRuns | null, run: string): void {
    const key = $('heads-runs');
    key.hidden = !across;
    key.replaceChildren();
    across?.runs.forEach((r, i) => {
      const item = document.createElement('span');
      item.className = 'heads-run';
      item.textContent = r.name;
      if (r.name !== run) item.style.borderColor = `rgb(${runColor(i).slice(0, 3).join(', ')})`;
      item.title = r.name === run ? 'the run shown' : `${r.name}: click one of its heads to open it`;
      key.append(item);
    });
    if (across?.skipped.length) key.title = across.skipped.map((r) => `${r.name}: ${r.reason}`).join('\n');
  }
}
