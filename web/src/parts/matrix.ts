// The matrix view's controller: every head's layout fitted into its grid cell, coloured and emphasised as the
// state says, drawn as the heads arrive. It owns the matrix scene and the order of the cells.
import {
  computeColors,
  fadeExcept,
  perHeadLegend,
  textColor,
  type ColorMode,
  type Legend,
} from '../data/colors';
import { matrixCells } from '../data/cells';
import { fitIntoCell, obliqueProjection, slotCell } from '../data/grid';
import { headId, headOrder, type HeadId } from '../data/heads';
import { searchRadii, tokenMask } from '../data/search';
import type { Context } from '../context';
import type { AppPart, Changed, Keys, Reads } from '../state';
import { anyChanged } from '../store';
import type { MatrixScene } from '../views/scenes';
import type { LegendPanel } from './legend';

const KEYS = [
  'view',
  'method',
  'dim',
  'shown',
  'colorMode',
  'searchIndices',
  'theme',
  'cellMetric',
  'sortCells',
  'cellOrder',
  'layouts',
] as const satisfies Keys;
type State = Reads<typeof KEYS>;

export class MatrixController implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  scene: MatrixScene | null = null;
  complete = false; // every head of the current layout is in the scene
  drawn = false; // ... and has reached the screen
  private order: number[] = []; // slot -> head index
  private layout = ''; // method/dim of the coordinates in the scene

  constructor(
    private ctx: Context,
    private legend: LegendPanel,
  ) {
    ctx.canvas.listen({
      onCellClick: (cell) => this.open(cell),
      onMatrixZoomedIn: (cell) => this.open(cell),
      onAfterRender: () => this.afterRender(),
    });
  }

  update(s: State, changed: Changed<typeof KEYS>): void {
    if (s.view !== 'matrix') return;
    const { data, canvas } = this.ctx;
    const relayout = anyChanged(changed, ['method', 'dim']);
    if (relayout || changed.has('view')) {
      // Back from the single view to the same layout: the complete scene stands, only its style may not.
      const current = this.complete && this.layout === `${data.shownFor(s.method, s.dim)}/${s.dim}`;
      if (!relayout && this.scene && current) {
        void this.restyle();
        canvas.showMatrix(this.scene, true);
      } else void this.load();
    } else if (changed.has('sortCells') || (s.sortCells && anyChanged(changed, ['cellMetric', 'cellOrder'])))
      void this.load();
    else if (anyChanged(changed, ['colorMode', 'searchIndices', 'theme', 'cellMetric'])) void this.restyle();
    else if (changed.has('layouts') && s.shown !== data.shownFor(s.method, s.dim)) void this.load(); // now on disk
  }

  // The head in a cell of the grid (column, row).
  headAt([x, y]: [number, number]): HeadId {
    return headId(this.order[y * this.ctx.data.heads + x], this.ctx.data.heads);
  }

  private open(cell: [number, number]): void {
    this.ctx.store.set({ view: 'single', ...this.headAt(cell), selected: null });
  }

  private afterRender(): void {
    if (this.ctx.store.get().view !== 'matrix' || !this.complete || this.drawn) return;
    this.drawn = true;
    this.ctx.activity.mark('matrixDrawn');
  }

  // Every head's coordinates of the layout shown for the state's method (PCA while it is computed).
  private async load(): Promise<void> {
    const { store, data, activity } = this.ctx;
    const s: State = store.get();
    const shown = data.shownFor(s.method, s.dim);
    const layout = `${shown}/${s.dim}`;
    const points = 2 * data.n;
    const count = data.layers * data.heads;
    this.drawn = false;
    this.complete = false;
    activity.mark('matrixStart');
    this.order = headOrder(
      count,
      s.cellMetric ? data.metrics.values.get(s.cellMetric) : undefined,
      s.sortCells,
      s.cellOrder === 'similarity' ? data.headsMap?.order : undefined,
    );
    const slotOfHead = new Int32Array(count);
    this.order.forEach((k, slot) => (slotOfHead[k] = slot));
    const scene = this.sceneFor(points, count, slotOfHead, textColor(s.theme));
    this.layout = layout;
    if (s.shown !== shown) store.set({ shown });
    await this.restyle();
    activity.mark('matrixStyled');
    let lastDraw = performance.now();
    await activity.track(
      data.loadAll(shown, s.dim, (k, coords) => {
        if (this.layout !== layout) return;
        const [cx, cy] = slotCell(slotOfHead[k], data.heads);
        // 3D heads are seen in their cells from the single view's initial 3D camera angle.
        const flat = s.dim === 3 ? obliqueProjection(coords, 35, 40) : coords;
        fitIntoCell(flat, 2, 0, points, scene.positions, k * points, cx, cy, 0.06);
        // Heads computed on demand arrive one by one: show them as they come, at most twice a second.
        if (performance.now() - lastDraw > 500) {
          lastDraw = performance.now();
          this.draw();
        }
      }),
    );
    if (this.layout !== layout) return;
    activity.mark('matrixLoaded');
    this.complete = true;
    this.draw();
  }

  // The scene's buffers, reused while the run's size stays; every point starts off the grid.
  private sceneFor(points: number, count: number, slotOfHead: Int32Array, text: MatrixScene['textColor']) {
    const { data } = this.ctx;
    if (!this.scene || this.scene.positions.length !== points * count * 2) {
      this.scene = {
        kind: 'matrix',
        rows: data.layers,
        cols: data.heads,
        pointsPerHead: points,
        slotOfHead,
        positions: new Float32Array(points * count * 2).fill(-1000),
        colors: new Uint8Array(points * count * 4),
        radii: null,
        cells: [],
        textColor: text,
        version: 0,
      };
    } else {
      this.scene.positions.fill(-1000);
      this.scene.slotOfHead = slotOfHead;
    }
    return this.scene;
  }

  // Colours, search emphasis and cell fills: everything in the matrix but the coordinates.
  private async restyle(): Promise<void> {
    const scene = this.scene;
    if (!scene) return;
    const { store, data } = this.ctx;
    const s: State = store.get();
    const points = 2 * data.n;
    const count = data.layers * data.heads;
    const mask = s.searchIndices ? tokenMask(s.searchIndices, data.n) : null;
    const style = (c: Uint8Array) => (mask ? fadeExcept(c, mask, 40) : c);
    let legend: Legend;
    if (s.colorMode === 'norm') {
      const legends = await this.ctx.activity.track(
        Promise.all(
          Array.from({ length: count }, async (_, k) => {
            const { colors, legend } = await this.headColors(s.colorMode, k);
            scene.colors.set(style(colors), k * points * 4);
            return legend;
          }),
        ),
      );
      // Each cell has its own range: the legend cannot name one.
      legend = perHeadLegend(legends[0]);
    } else {
      const one = await this.headColors(s.colorMode, 0);
      legend = one.legend;
      const colors = style(one.colors);
      for (let k = 0; k < count; k++) scene.colors.set(colors, k * points * 4);
    }
    if (s.searchIndices) {
      const one = searchRadii(s.searchIndices, data.n, 1, 2.5);
      scene.radii ??= new Float32Array(points * count);
      for (let k = 0; k < count; k++) scene.radii.set(one, k * points);
    } else scene.radii = null;
    scene.cells = matrixCells(
      this.order,
      data.heads,
      s.cellMetric ? data.metrics.values.get(s.cellMetric) : undefined,
      data.headsMap?.heads.map((h) => h.type),
    );
    scene.textColor = textColor(s.theme);
    this.legend.show(legend);
    this.draw();
  }

  private async headColors(mode: ColorMode, k: number): Promise<{ colors: Uint8Array; legend: Legend }> {
    const { data } = this.ctx;
    const norms = mode === 'norm' ? await data.norms(headId(k, data.heads)) : null;
    return computeColors(mode, data.tokens, norms);
  }

  private draw(): void {
    if (this.scene && this.ctx.store.get().view === 'matrix') this.ctx.canvas.draw(this.scene);
  }
}
