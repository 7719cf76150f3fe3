// Test and benchmark hooks on window.__attnviz (documented in web/README.md): a snapshot of the state, whether
// each view has been drawn, screen positions of points and cells, whether the page has settled, timings.
import { colorModesFor } from '../data/colors';
import { point3, slotCell } from '../data/grid';
import { headIndex } from '../data/heads';
import { pointToken } from '../data/tokens';
import type { Activity } from '../activity';
import type { Context } from '../context';
import type { AppState } from '../state';
import type { Store } from '../store';
import type { HeadsController } from './heads';
import type { MatrixController } from './matrix';
import type { NeighboursPart } from './neighbours';
import type { SingleController } from './single';

type Rect = { x: number; y: number; width: number; height: number };

export interface Hooks {
  readonly matrixDrawn: boolean;
  readonly singleDrawn: boolean;
  readonly headsDrawn: boolean;
  readonly busy: number;
  readonly error: string | null;
  readonly timings: Record<string, number>;
  state(): Record<string, unknown>;
  pointScreen(point: number): { x: number; y: number } | null;
  probeScreen(point: number): { x: number; y: number } | null;
  cellScreen(layer: number, head: number): Rect | null;
  matrixPoints(layer: number, head: number): number[] | null;
  headScreen(layer: number, head: number, run?: string): { x: number; y: number } | null;
  settled(): boolean;
}

declare global {
  interface Window {
    __attnviz: Hooks;
  }
}

interface Page extends Context {
  matrix: MatrixController;
  single: SingleController;
  heads: HeadsController;
  neighbours: NeighboursPart;
}

// Installs the hooks before the run is loaded (so a failed start shows in `error`); `connect` hands them the
// page once it is built.
export function installTestHooks(store: Store<AppState>, activity: Activity): { connect(page: Page): void } {
  let page: Page | null = null;
  const hooks: Hooks = {
    get matrixDrawn() {
      return page?.matrix.drawn ?? false;
    },
    get singleDrawn() {
      return page?.single.drawn ?? false;
    },
    get headsDrawn() {
      return page?.heads.drawn ?? false;
    },
    get busy() {
      return activity.inFlight;
    },
    get error() {
      return activity.error;
    },
    timings: activity.timings,
    state: () => snapshot(store.get(), page),
    pointScreen: (point) => (page ? onScreen(page, page.single.scene?.points ?? 0, point) : null),
    probeScreen: (point) =>
      page ? onScreen(page, page.single.scene?.probes?.count ?? 0, point, true) : null,
    cellScreen: (layer, head) => (page ? cellScreen(page, layer, head) : null),
    matrixPoints: (layer, head) => (page ? matrixPoints(page, layer, head) : null),
    headScreen: (layer, head, run) => (page ? headScreen(page, layer, head, run) : null),
    settled: () => activity.inFlight === 0 && !!page && page.canvas.settled() && !page.single.animating,
  };
  window.__attnviz = hooks;
  return { connect: (p) => (page = p) };
}

function snapshot(s: AppState, page: Page | null): Record<string, unknown> {
  const data = page?.data;
  return {
    run: s.run,
    view: s.view,
    method: s.method,
    shown: s.shown,
    dim: s.dim,
    layer: s.layer,
    head: s.head,
    colorMode: s.colorMode,
    attentionWeight: s.attentionWeight,
    theme: s.theme,
    searchCount: s.searchIndices?.length ?? null,
    searchQuery: s.searchQuery,
    searchMode: s.searchMode,
    hiddenTokens: s.hiddenTokens,
    sideTab: s.sideTab,
    cellMetric: s.cellMetric,
    selected: s.selected,
    selectedSequence:
      s.selected === null || !data ? null : data.tokens.sequence[pointToken(s.selected, data.n).token],
    selection: s.selection ? Array.from(s.selection) : null,
    isolate: s.isolate,
    labels: page?.single.scene?.labels.length ?? 0,
    badges: page?.matrix.scene?.cells.filter((c) => c.badge).map((c) => `${c.label}: ${c.badge}`) ?? [],
    layers: data?.layers,
    heads: data?.heads,
    points: data ? 2 * data.n : 0,
    colorModes: data ? colorModesFor(data) : [],
    neighbours: neighbourRings(page),
    probes: s.probes.map((p) => ({
      id: p.id,
      label: p.label,
      tokens: p.token_count,
      truncated: p.truncated,
    })),
    activeProbe: s.activeProbe,
    probePoints: page?.single.scene?.probes?.count ?? 0, // drawn in the single view
    matrixProbes: page?.matrix.scene?.overlay.length ?? 0, // probes drawn over the matrix's cells
  };
}

// The neighbour rings drawn now (joint indices) and the overlap shown, or null.
function neighbourRings(page: Page | null) {
  const rings = page?.single.scene?.neighbours;
  const check = page?.neighbours.shown;
  if (!rings || !check) return null;
  return {
    point: check.point,
    partners: Array.from(rings.partners),
    nearest: Array.from(rings.nearest),
    overlap: check.overlap,
  };
}

// Page coordinates of a single-view point (of the dataset, or of the probes drawn) a click would reach (on
// screen, not under the legend, the breadcrumbs or the tooltip), else null.
function onScreen(
  { store, canvas, single }: Page,
  count: number,
  point: number,
  probe = false,
): { x: number; y: number } | null {
  const scene = single.scene;
  if (!scene || store.get().view !== 'single' || point < 0 || point >= count) return null;
  const positions = probe ? scene.probes!.positions : scene.positions;
  const p = canvas.projectOnScreen(point3(positions, point));
  if (!p) return null;
  const rect = canvas.canvasRect();
  const [x, y] = [rect.left + p[0], rect.top + p[1]];
  const top = document.elementFromPoint(x, y);
  return top && document.getElementById('deck')!.contains(top) ? { x, y } : null;
}

// Page rectangle of the matrix cell that shows a head.
function cellScreen({ store, canvas, data, matrix }: Page, layer: number, head: number): Rect | null {
  const scene = matrix.scene;
  if (!scene || store.get().view !== 'matrix') return null;
  const [cx, cy] = slotCell(scene.slotOfHead[headIndex({ layer, head }, data.heads)], data.heads);
  const a = canvas.project([cx, cy, 0]);
  const b = canvas.project([cx + 1, cy + 1, 0]);
  if (!a || !b) return null;
  const rect = canvas.canvasRect();
  return { x: rect.left + a[0], y: rect.top + a[1], width: b[0] - a[0], height: b[1] - a[1] };
}

// x,y of a head's points in the matrix scene (grid units: its cell is [cx, cx+1] x [cy, cy+1]), or null.
function matrixPoints({ matrix, data }: Page, layer: number, head: number): number[] | null {
  const scene = matrix.scene;
  if (!scene || !matrix.complete) return null;
  const first = headIndex({ layer, head }, data.heads) * scene.pointsPerHead * 2;
  return Array.from(scene.positions.subarray(first, first + scene.pointsPerHead * 2));
}

// Page coordinates of a head's point in the heads view (of the run shown, or of `run`), or null when it is not
// shown.
function headScreen({ store, canvas, heads }: Page, layer: number, head: number, run?: string) {
  const scene = heads.scene;
  const k = heads.indexOf(run ?? store.get().run, layer, head);
  if (!scene || store.get().view !== 'heads' || k < 0) return null;
  const p = canvas.projectOnScreen(point3(scene.positions, k));
  const rect = canvas.canvasRect();
  return p && { x: rect.left + p[0], y: rect.top + p[1] };
}
