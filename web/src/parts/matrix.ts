// The matrix view's controller: every head's layout fitted into its grid cell, coloured and emphasised as the
// state says, drawn as the heads arrive. It owns the matrix scene and the order of the cells.
import {
  computeColors,
  fadeExcept,
  perHeadLegend,
  textColor,
  type ColorMode,
  type Legend,
  perHeadColorModes,
} from '../data/colors';
import { matrixCells } from '../data/cells';
import { CELL_PAD, fitIntoCell, flatForCell, slotCell, type Bounds } from '../data/grid';
import { headId, headOrder, type HeadId } from '../data/heads';
import { searchRadii, tokenMask } from '../data/search';
import type { Dim, Method } from '../api';
import { brushColors, brushRadii, selectionMask } from '../data/select';
import type { Context } from '../context';
import { Latest } from '../latest';
import type { AppPart, Changed, Keys, Reads } from '../state';
import { anyChanged } from '../store';
import type { MatrixScene } from '../views/scenes';
import type { LegendPanel } from './legend';
import { ProbePlacer } from './probe-points';

const KEYS = [
  'view',
  'method',
  'dim',
  'shown',
  'colorMode',
  'searchIndices',
  'selection',
  'isolate',
  'theme',
  'cellMetric',
  'sortCells',
  'cellOrder',
  'layouts',
  'probes',
] as const satisfies Keys;
type State = Reads<typeof KEYS>;

export class MatrixController implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  scene: MatrixScene | null = null;
  complete = false; // every head of the current layout is in the scene
  drawn = false; // ... and has reached the screen
  private order: number[] = []; // slot -> head index
  private layout = ''; // method/dim of the coordinates in the scene
  private shownLayout: { method: Method; dim: Dim } = { method: 'pca', dim: 2 }; // ... as values
  private frames: Bounds[] = []; // by head: the extent of its points that fills its cell
  private placer: ProbePlacer;
  private placing = new Latest(); // placements of the probes: an older one that finishes later is dropped
  private styling = new Latest(); // the restyle that may still change the scene's colours

  constructor(
    private ctx: Context,
    private legend: LegendPanel,
  ) {
    this.placer = new ProbePlacer(ctx);
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
    else if (
      anyChanged(changed, ['colorMode', 'searchIndices', 'selection', 'isolate', 'theme', 'cellMetric'])
    )
      void this.restyle();
    else if (changed.has('layouts') && s.shown !== data.shownFor(s.method, s.dim)) void this.load(); // now on disk
    if (anyChanged(changed, ['probes', 'theme', 'view']) && this.complete) void this.placeProbes();
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
    const frames: Bounds[] = (this.frames = new Array(count));
    this.layout = layout;
    this.shownLayout = { method: shown, dim: s.dim };
    if (s.shown !== shown) store.set({ shown });
    await this.restyle(false); // nothing to see until the heads arrive
    activity.mark('matrixStyled');
    let lastDraw = performance.now();
    // Heads computed on demand arrive one by one: show them as they come, at most twice a second. Stored
    // ones stream in within seconds: drawing the whole atlas meanwhile would only slow them down.
    const progressive = !data.complete(shown, s.dim);
    await activity.track(
      data.loadAll(shown, s.dim, (k, coords) => {
        if (this.layout !== layout) return;
        const [cx, cy] = slotCell(slotOfHead[k], data.heads);
        frames[k] = fitIntoCell(
          flatForCell(coords, s.dim),
          2,
          0,
          points,
          scene.positions,
          k * points,
          cx,
          cy,
          CELL_PAD,
        );
        if (progressive && performance.now() - lastDraw > 500) {
          lastDraw = performance.now();
          this.draw();
        }
      }),
    );
    if (this.layout !== layout) return;
    activity.mark('matrixLoaded');
    this.complete = true;
    this.draw();
    if (s.probes.length > 0) await this.placeProbes();
  }

  // The probes over every cell, in the layout the scene shows.
  private async placeProbes(): Promise<void> {
    const scene = this.scene;
    if (!scene) return;
    const s: State = this.ctx.store.get();
    const request = this.placing.start();
    const layout = this.layout;
    const { method, dim } = this.shownLayout;
    const outline = Uint8Array.from(textColor(s.theme));
    const overlay = s.probes.length
      ? await this.placer.matrix(s.probes, method, dim, this.frames, scene.slotOfHead, outline)
      : [];
    if (!this.placing.isLatest(request) || this.layout !== layout || !this.complete) return;
    scene.overlay = overlay;
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
        overlay: [],
        cells: [],
        textColor: text,
        version: 0,
      };
    } else {
      this.scene.positions.fill(-1000);
      this.scene.slotOfHead = slotOfHead;
      this.scene.overlay = [];
    }
    return this.scene;
  }

  // Colours, search emphasis and cell fills: everything in the matrix but the coordinates; drawn unless not
  // `draw` (while loading: the scene has no coordinates yet, and redrawing an atlas of millions costs seconds).
  // Per-head colours are written as they arrive, and only while no later restyle has started (that one
  // writes every head again): an older, slower reply never overwrites a newer state's style.
  private async restyle(draw = true): Promise<void> {
    const scene = this.scene;
    if (!scene) return;
    const token = this.styling.start();
    const latest = () => this.styling.isLatest(token);
    const { store, data } = this.ctx;
    const s: State = store.get();
    const points = 2 * data.n;
    const count = data.layers * data.heads;
    const mask = s.searchIndices ? tokenMask(s.searchIndices, data.n) : null;
    // Linked brushing: the selection made in a single view, highlighted in every cell.
    const brush = s.selection ? selectionMask(s.selection, points) : null;
    const style = (c: Uint8Array) => {
      const faded = mask ? fadeExcept(c, mask, 40) : c;
      return brush ? brushColors(faded, brush, s.isolate, 15) : faded;
    };
    let legend: Legend;
    if (perHeadColorModes.has(s.colorMode)) {
      const legends = await this.ctx.activity.track(
        Promise.all(
          Array.from({ length: count }, async (_, k) => {
            const { colors, legend } = await this.headColors(s.colorMode, k);
            if (latest()) scene.colors.set(style(colors), k * points * 4);
            return legend;
          }),
        ),
      );
      if (!latest()) return;
      // Each cell has its own range: the legend cannot name one.
      legend = perHeadLegend(legends[0]);
    } else {
      const one = await this.headColors(s.colorMode, 0);
      if (!latest()) return;
      legend = one.legend;
      const colors = style(one.colors);
      for (let k = 0; k < count; k++) scene.colors.set(colors, k * points * 4);
    }
    if (s.searchIndices || brush) {
      const search = s.searchIndices ? searchRadii(s.searchIndices, data.n, 1, 2.5) : null;
      const one = brush ? brushRadii(search, brush, 1, 1.6) : search!;
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
    if (draw) this.draw();
  }

  private async headColors(mode: ColorMode, k: number): Promise<{ colors: Uint8Array; legend: Legend }> {
    const { data } = this.ctx;
    return computeColors(mode, data.tokens, await data.colorValues(mode, headId(k, data.heads)));
  }

  private draw(): void {
    if (this.scene && this.ctx.store.get().view === 'matrix') this.ctx.canvas.draw(this.scene);
  }
}
