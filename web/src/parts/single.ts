// The single view's controller: one head's layout in 2D or 3D, coloured and sized as the state says, with the
// selected input's attention lines and, once zoomed in, token labels. It owns the single scene, the head's
// norms, and the animated 2D <-> 3D transition.
import { keyLineSegments, topKeyLines } from '../data/attention';
import { computeColors, fadeExcept, textColor } from '../data/colors';
import { blend, bounds, fitIntoUnitBox, type Bounds } from '../data/grid';
import { headLabel, layoutLabel } from '../data/names';
import { tokenMask } from '../data/search';
import { brushColors, brushRadii, selectionMask } from '../data/select';
import { pointSizes } from '../data/sizes';
import { pointToken } from '../data/tokens';
import { api, type Method } from '../api';
import type { Context } from '../context';
import { loadImage } from '../dom';
import { Latest } from '../latest';
import type { AppPart, Changed, Keys, Reads } from '../state';
import { anyChanged } from '../store';
import type { NeighbourRings, SingleScene } from '../views/scenes';
import { buildPatchAtlas, type PatchAtlas } from '../views/thumbnails';
import { tokenLabels } from '../views/token-labels';
import { ProbePlacer } from './probe-points';
import type { LegendPanel } from './legend';

// What restyles the points in place (a new head, method or dimension loads them again).
const STYLE_KEYS = [
  'colorMode',
  'searchIndices',
  'theme',
  'selected',
  'selection',
  'isolate',
  'sizeByNorm',
  'thumbnails',
  'probes',
  'activeProbe',
  'labels',
] as const;
const KEYS = ['view', 'method', 'dim', 'shown', 'layer', 'head', ...STYLE_KEYS] as const satisfies Keys;
type State = Reads<typeof KEYS>;

export class SingleController implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  scene: SingleScene | null = null;
  norms: Float32Array | null = null; // |q| then |k| of the head shown
  drawn = false; // the scene has reached the screen
  private loading = ''; // method/dim/layer/head of the latest load
  private animation = 0; // requestAnimationFrame id of the 2D <-> 3D transition, 0 when still
  private labelTimer = 0;
  private atlas: Promise<PatchAtlas> | null = null;
  private rings: NeighbourRings | null = null; // kept for the next scene when they arrive before it
  private placer: ProbePlacer;
  private shownLayout: { method: Method; frame: Bounds } | null = null; // what the probes are placed in
  private styling = new Latest(); // the restyle that may still change the scene

  constructor(
    private ctx: Context,
    private legend: LegendPanel,
  ) {
    this.placer = new ProbePlacer(ctx);
    ctx.canvas.listen({
      onPointClick: (point) => ctx.store.set({ selected: point }),
      onViewChange: () => this.relabelSoon(),
      onAfterRender: () => this.afterRender(),
    });
  }

  // Rings the neighbours part (parts/neighbours.ts) asks for around points of the head shown; null: none.
  showNeighbours(rings: NeighbourRings | null): void {
    this.rings = rings;
    if (!this.scene) return;
    this.scene.neighbours = rings;
    this.draw();
  }

  get animating(): boolean {
    return this.animation !== 0;
  }

  update(s: State, changed: Changed<typeof KEYS>): void {
    if (s.view !== 'single') return;
    const headChanged = anyChanged(changed, ['view', 'layer', 'head']);
    if (headChanged || anyChanged(changed, ['method', 'dim'])) {
      // Only a change of dimension animates: from the coordinates on screen to the new ones.
      const from = !headChanged && changed.has('dim') && this.scene ? this.scene.positions : null;
      void this.load(from);
    } else if (anyChanged(changed, STYLE_KEYS)) void this.restyle();
  }

  // One head is quick to lay out on demand, so the single view shows the method asked for even while the
  // matrix still waits for it; PCA stands in for a method whose file is broken (the progress line says why).
  private async load(animateFrom: Float32Array | null): Promise<void> {
    const { store, data, activity } = this.ctx;
    this.stopAnimation();
    const s: State = store.get();
    const shown = data.problem(s.method, s.dim) ? 'pca' : s.method;
    if (s.shown !== shown) store.set({ shown });
    const key = `${shown}/${s.dim}/${s.layer}/${s.head}`;
    this.loading = key;
    this.drawn = false;
    activity.mark('singleStart');
    const onDisk = data.complete(shown, s.dim);
    if (!onDisk) activity.note(`computing ${layoutLabel(shown, s.dim)} of ${headLabel(s)}…`);
    const [coords, norms] = await activity.track(Promise.all([data.layout(shown, s.dim, s), data.norms(s)]));
    if (!onDisk) activity.note('');
    if (this.loading !== key) return;
    const frame = bounds(coords, s.dim, 0, 2 * data.n);
    const positions = fitIntoUnitBox(coords, s.dim, frame);
    this.shownLayout = { method: shown, frame };
    this.norms = norms;
    this.scene = {
      kind: 'single',
      dim: s.dim,
      points: 2 * data.n,
      positions,
      colors: new Uint8Array(0),
      radii: null,
      lines: null,
      labels: [],
      selected: s.selected,
      neighbours: this.rings,
      thumbnails: null,
      probes: null,
      textColor: textColor(s.theme),
      version: 0,
    };
    await this.restyle();
    if (animateFrom) this.animate(animateFrom, positions, s.dim);
    activity.mark('singleLoaded');
  }

  // Everything but the coordinates: colours (the selected input or search matches stand out), sizes, the
  // selection, thumbnails, attention lines, labels.
  // What the server is asked for is awaited first; the scene changes only if no later restyle has started
  // meanwhile (an older, slower reply must not overwrite a newer state's style).
  private async restyle(): Promise<void> {
    const scene = this.scene;
    if (!scene) return;
    const token = this.styling.start();
    const { store, data, activity } = this.ctx;
    const s: State = store.get();
    const values = await data.colorValues(s.colorMode, s);
    const atlas = s.thumbnails && data.modality === 'image' ? await activity.track(this.patchAtlas()) : null;
    const lines = s.selected !== null ? await activity.track(this.attentionLines(scene, s)) : null;
    const probes = await this.placeProbes(s);
    if (!this.styling.isLatest(token)) return;
    const { colors, legend } = computeColors(s.colorMode, data.tokens, values);
    const mask = this.emphasis(s);
    const faded = mask ? fadeExcept(colors, mask, 30) : colors;
    const radii = pointSizes(data.n, s.sizeByNorm ? this.norms : null, s.searchIndices);
    // The lasso / box selection (linked brushing: the same points in every head) in the highlight colour.
    const brush = s.selection ? selectionMask(s.selection, 2 * data.n) : null;
    scene.colors = brush ? brushColors(faded, brush, s.isolate, 20) : faded;
    scene.radii = brush ? brushRadii(radii, brush, 3, 4.5) : radii;
    scene.selected = s.selected;
    scene.thumbnails = atlas ? { atlas, tokens: data.n } : null;
    scene.textColor = textColor(s.theme);
    scene.lines = lines;
    scene.probes = probes;
    this.legend.show(legend);
    this.relabel();
    this.draw();
  }

  // Tokens drawn at full strength (and labelled first): the selected point's input, else search matches.
  private emphasis(s: Pick<State, 'selected' | 'searchIndices'>): Uint8Array | null {
    const { data } = this.ctx;
    if (s.selected !== null) return data.inputMask(s.selected);
    return s.searchIndices ? tokenMask(s.searchIndices, data.n) : null;
  }

  // Lines from each query of the selected input to its top-2 keys (weight >= 0.05), opacity by weight.
  private async attentionLines(scene: SingleScene, s: State): Promise<SingleScene['lines']> {
    const { data } = this.ctx;
    const sequence = data.tokens.sequence[pointToken(s.selected!, data.n).token];
    const { att, T } = await api.attention(s.layer, s.head, sequence);
    const { first } = data.sequenceTokens(sequence);
    const [r, g, b] = textColor(s.theme);
    return keyLineSegments(topKeyLines(att, T, 2, 0.05), first, data.n, scene.positions, [r, g, b]);
  }

  // The probes in the head shown, in the frame of its dataset points.
  private placeProbes(s: State): Promise<SingleScene['probes']> {
    const layout = this.shownLayout;
    if (!layout || s.probes.length === 0) return Promise.resolve(null);
    return this.placer.single(s.probes, s.activeProbe, layout.method, s.dim, s, layout.frame);
  }

  private patchAtlas(): Promise<PatchAtlas> {
    const { data } = this.ctx;
    const sequences = data.info.manifest.sequences;
    this.atlas ??= Promise.all(sequences.map((_, i) => loadImage(api.imageUrl(i)))).then((images) =>
      buildPatchAtlas(images, data.tokens, sequences),
    );
    return this.atlas;
  }

  private draw(): void {
    if (this.scene && this.ctx.store.get().view === 'single') this.ctx.canvas.draw(this.scene);
  }

  private afterRender(): void {
    if (this.ctx.store.get().view !== 'single' || !this.scene || this.drawn) return;
    this.drawn = true;
    this.ctx.activity.mark('singleDrawn');
  }

  // Token labels once zoomed in beyond the fit (1.5 zoom levels in 2D, 1 in 3D), unless switched off.
  private relabel(): void {
    const scene = this.scene;
    if (!scene) return;
    const { canvas, data, store } = this.ctx;
    const s: State = store.get();
    const zoomed = canvas.zoomAboveFit() >= (s.dim === 2 ? 1.5 : 1);
    scene.labels =
      s.labels && zoomed ? tokenLabels(canvas, scene.positions, data.tokens.text, this.emphasis(s)) : [];
  }

  // After the user moved the camera and it rested a moment.
  private relabelSoon(): void {
    clearTimeout(this.labelTimer);
    this.labelTimer = window.setTimeout(() => {
      if (this.ctx.store.get().view === 'single' && !this.animating) {
        this.relabel();
        this.draw();
      }
    }, 120);
  }

  // Animated 2D <-> 3D transition: coordinates and camera rotation move together.
  private animate(from: Float32Array, to: Float32Array, dim: 2 | 3): void {
    const scene = this.scene;
    if (!scene) return;
    const { canvas } = this.ctx;
    this.stopAnimation();
    const start = performance.now();
    const frame = new Float32Array(to.length);
    const step = () => {
      const t = Math.min(1, (performance.now() - start) / 700);
      const e = t * t * (3 - 2 * t);
      scene.positions = blend(from, to, e, frame);
      if (dim === 3) canvas.setRotation(35 * e, 40 * e);
      if (t < 1) {
        this.draw();
        this.animation = requestAnimationFrame(step);
      } else {
        scene.positions = to;
        this.animation = 0;
        this.relabel();
        this.draw();
      }
    };
    if (dim === 3) {
      scene.positions = from;
      this.draw();
      canvas.setRotation(0, 0);
    }
    this.animation = requestAnimationFrame(step);
  }

  private stopAnimation(): void {
    cancelAnimationFrame(this.animation);
    this.animation = 0;
  }
}
