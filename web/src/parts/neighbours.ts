// The true-neighbours check of the single view (toolbar toggle, state key `neighbours`): for the selected
// point, rings around its top-K partners by scaled q·k over the whole dataset (GET /api/neighbours) and around
// its K nearest points of the other kind in the layout shown, and the share of the true ones the layout puts
// among its nearest: a per-point check of the projection.
import { api } from '../api';
import type { Context } from '../context';
import { Latest } from '../latest';
import { nearestOfOtherKind, overlap } from '../data/neighbours';
import { layoutFile } from '../data/names';
import { $ } from '../dom';
import type { AppPart, Keys, Reads } from '../state';
import type { NeighbourRings } from '../views/scenes';
import type { SingleController } from './single';

const KEYS = ['view', 'selected', 'neighbours', 'shown', 'dim', 'layer', 'head'] as const satisfies Keys;
type State = Reads<typeof KEYS>;

// How many neighbours of each kind are compared: enough to see a neighbourhood, few enough to read the rings.
export const NEIGHBOURS_K = 10;

export interface NeighbourCheck extends NeighbourRings {
  point: number;
  overlap: number; // |partners ∩ nearest| / K
}

export class NeighboursPart implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  shown: NeighbourCheck | null = null; // what the rings and the line show now (for the test hooks)
  private toggle = $<HTMLInputElement>('neighbours');
  private info = $('neighbours-info');
  private checks = new Latest(); // an older check's reply is dropped

  constructor(
    private ctx: Context,
    private single: SingleController,
  ) {
    this.toggle.addEventListener('change', () => ctx.store.set({ neighbours: this.toggle.checked }));
  }

  update(s: State): void {
    this.toggle.checked = s.neighbours;
    const request = this.checks.start();
    this.clear();
    if (!s.neighbours || s.view !== 'single' || s.selected === null || s.shown === null) return;
    this.check(s, s.selected, s.shown, request).catch(() => {}); // failures are on the status line
  }

  private async check(s: State, point: number, method: NonNullable<State['shown']>, request: number) {
    const { data, activity } = this.ctx;
    // The layout first: the server answers for a computed layout once it has been computed (409 before).
    const coords = await activity.track(data.layout(method, s.dim, s));
    const reply = await activity.track(
      api.neighbours(s.layer, s.head, point, NEIGHBOURS_K, layoutFile(method, s.dim)),
    );
    if (!this.checks.isLatest(request)) return;
    const partners = Int32Array.from(reply.neighbours, (n) => n.point);
    const nearest = nearestOfOtherKind(coords, s.dim, point, data.n, NEIGHBOURS_K);
    this.shown = { point, partners, nearest, overlap: overlap(partners, nearest) };
    this.single.showNeighbours({ partners, nearest });
    const shared = Math.round(this.shown.overlap * partners.length);
    this.info.textContent =
      `true neighbours (top ${partners.length} by q·k, orange) vs ${nearest.length} nearest in the ` +
      `layout (blue): overlap ${shared}/${partners.length} = ${this.shown.overlap.toFixed(2)}`;
    this.info.hidden = false;
  }

  private clear(): void {
    this.shown = null;
    this.single.showNeighbours(null);
    this.info.hidden = true;
  }
}
