// Entry point: loads the run, wires controls to the store, and keeps the canvas, the legend and the side
// panel (sentence / image / aggregate views) in step with the state.
import './style.css';
import { api, type Dim, type Method } from './api';
import { store, type AppState } from './state';
import { RunData } from './run-data';
import { CanvasView, type MatrixScene, type SingleScene } from './views/canvas';
import { SentenceView, renderAggregate } from './views/sentence';
import { drawImageView } from './views/image';
import { renderLegend } from './views/legend';
import { buildPatchAtlas, type PatchAtlas } from './views/thumbnails';
import {
  colorModeLabels,
  colorModesFor,
  computeColors,
  fadeExcept,
  perHeadLegend,
  type ColorMode,
  type Legend,
} from './data/colors';
import { fitIntoCell, fitIntoUnitBox, obliqueProjection, slotCell, blend } from './data/grid';
import { matchTokens, searchRadii, tokenMask } from './data/search';
import { aggregateByOffset, hiddenTokens, hideAndRenormalize, topKeyLines } from './data/attention';
import { placeLabels } from './data/labels';
import { sortHeads } from './data/metrics';
import { pointToken } from './data/tokens';
import { interpolateBlues } from 'd3-scale-chromatic';
import { parseCssColor } from './data/colors';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const methodNames: Record<Method, string> = { tsne: 't-SNE', umap: 'UMAP', pca: 'PCA' };

// Test and benchmark hooks (docs: web/README.md).
interface Hooks {
  matrixDrawn: boolean;
  singleDrawn: boolean;
  busy: number;
  error: string | null;
  timings: Record<string, number>;
  state: () => Record<string, unknown>;
  pointScreen: (point: number) => { x: number; y: number } | null;
  cellScreen: (layer: number, head: number) => { x: number; y: number; width: number; height: number } | null;
  settled: () => boolean;
}
declare global {
  interface Window {
    __attnviz: Hooks;
  }
}

let data: RunData;
let canvas: CanvasView;
const sentence = new SentenceView($('sentence-view'));
let matrix: MatrixScene | null = null;
let matrixKey = '';
let matrixComplete = false;
let single: SingleScene | null = null;
let singleKey = '';
let singleRaw: { norms: Float32Array | null } = { norms: null };
let sceneVersion = 0;
let renderedVersion = -1;
let legend: Legend | null = null;
let animation = 0;
let pollTimer = 0;

const hooks: Hooks = {
  matrixDrawn: false,
  singleDrawn: false,
  busy: 0,
  error: null,
  timings: {},
  state: () => {
    const s = store.get();
    return {
      view: s.view,
      method: s.method,
      shown: s.shown,
      dim: s.dim,
      layer: s.layer,
      head: s.head,
      colorMode: s.colorMode,
      theme: s.theme,
      searchCount: s.searchIndices?.length ?? null,
      selected: s.selected,
      selectedSequence:
        s.selected === null ? null : data.tokens.sequence[pointToken(s.selected, data.n).token],
      labels: single?.labels.length ?? 0,
      layers: data?.layers,
      heads: data?.heads,
      points: data ? 2 * data.n : 0,
      colorModes: data ? colorModesFor(data.modality) : [],
    };
  },
  pointScreen: (point) => {
    if (!single || store.get().view !== 'single' || point < 0 || point >= single.points) return null;
    const p = canvas.project([
      single.positions[point * 3],
      single.positions[point * 3 + 1],
      single.positions[point * 3 + 2],
    ]);
    if (!p) return null;
    const rect = canvas.canvasRect();
    if (p[0] < 0 || p[1] < 0 || p[0] > rect.width || p[1] > rect.height) return null;
    const [x, y] = [rect.left + p[0], rect.top + p[1]];
    // Only points a click would reach: not under the legend, the breadcrumbs or the tooltip.
    const top = document.elementFromPoint(x, y);
    return top && $('deck').contains(top) ? { x, y } : null;
  },
  cellScreen: (layer, head) => {
    if (!matrix || store.get().view !== 'matrix') return null;
    const [cx, cy] = slotCell(matrix.slotOfHead[layer * data.heads + head], data.heads);
    const a = canvas.project([cx, cy, 0]);
    const b = canvas.project([cx + 1, cy + 1, 0]);
    if (!a || !b) return null;
    const rect = canvas.canvasRect();
    return { x: rect.left + a[0], y: rect.top + a[1], width: b[0] - a[0], height: b[1] - a[1] };
  },
  settled: () => hooks.busy === 0 && renderedVersion === sceneVersion && animation === 0,
};
window.__attnviz = hooks;

async function busy<T>(work: Promise<T>): Promise<T> {
  hooks.busy++;
  try {
    return await work;
  } catch (e) {
    hooks.error = (e as Error).message;
    $('status').textContent = `error: ${hooks.error}`;
    throw e;
  } finally {
    hooks.busy--;
  }
}

function themeColor(): [number, number, number, number] {
  return store.get().theme === 'dark' ? [230, 232, 235, 255] : [29, 31, 36, 255];
}

// ---- colours shared by both views

async function headColors(layer: number, head: number): Promise<Uint8Array> {
  const s = store.get();
  const norms = s.colorMode === 'norm' ? await data.norms(layer, head) : null;
  const result = computeColors(s.colorMode, data.tokens, norms);
  legend = result.legend;
  return result.colors;
}

function showLegend(): void {
  if (!legend) return;
  const s = store.get();
  const notes = [];
  if (s.searchIndices) notes.push(`search "${s.searchQuery}": enlarged`);
  if (s.view === 'single' && s.sizeByNorm) notes.push('size: vector norm');
  if (s.view === 'matrix' && s.cellMetric)
    notes.push(`cells: ${s.cellMetric}${s.sortCells ? ' (sorted)' : ''}`);
  renderLegend($('legend'), legend, notes.join(' · '));
}

// ---- matrix view

function headOrder(): number[] {
  const s = store.get();
  const count = data.layers * data.heads;
  const values = s.cellMetric ? data.metrics.values.get(s.cellMetric) : undefined;
  return s.sortCells && values ? sortHeads(values) : Array.from({ length: count }, (_, k) => k);
}

function cellColors(order: number[]): MatrixScene['cells'] {
  const s = store.get();
  const values = s.cellMetric ? data.metrics.values.get(s.cellMetric) : undefined;
  let lo = Infinity;
  let hi = -Infinity;
  values?.forEach((v) => {
    if (!Number.isNaN(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  });
  return order.map((k, slot) => {
    const [x, y] = slotCell(slot, data.heads);
    let color: [number, number, number, number] | null = null;
    if (values && !Number.isNaN(values[k])) {
      const [r, g, b] = parseCssColor(interpolateBlues(0.15 + (0.7 * (values[k] - lo)) / (hi - lo || 1)));
      color = [r, g, b, 110];
    }
    return { x, y, label: `L${Math.floor(k / data.heads)} H${k % data.heads}`, color };
  });
}

async function loadMatrix(): Promise<void> {
  const s = store.get();
  const shown = chooseShown(s.method, s.dim);
  const key = `${shown}/${s.dim}`;
  const points = 2 * data.n;
  const count = data.layers * data.heads;
  hooks.matrixDrawn = false;
  matrixComplete = false;
  hooks.timings.matrixStart = performance.now();
  const slotOfHead = new Int32Array(count);
  headOrder().forEach((k, slot) => (slotOfHead[k] = slot));
  if (!matrix || matrix.positions.length !== points * count * 2) {
    matrix = {
      kind: 'matrix',
      rows: data.layers,
      cols: data.heads,
      pointsPerHead: points,
      slotOfHead,
      positions: new Float32Array(points * count * 2).fill(-1000),
      colors: new Uint8Array(points * count * 4),
      radii: null,
      cells: [],
      textColor: themeColor(),
      version: 0,
    };
  } else {
    matrix.positions.fill(-1000);
    matrix.slotOfHead = slotOfHead;
  }
  matrixKey = key;
  if (s.shown !== shown) store.set({ shown });
  await restyleMatrix();
  hooks.timings.matrixStyled = performance.now();
  let lastDraw = performance.now();
  await busy(
    data.loadAll(shown, s.dim, (k, coords) => {
      if (matrixKey !== key || !matrix) return;
      const [cx, cy] = slotCell(slotOfHead[k], data.heads);
      // 3D heads are seen in their cells from the single view's initial 3D camera angle.
      const flat = s.dim === 3 ? obliqueProjection(coords, 35, 40) : coords;
      fitIntoCell(flat, 2, 0, points, matrix.positions, k * points, cx, cy, 0.06);
      // Heads computed on demand arrive one by one: show them as they come, at most twice a second.
      if (performance.now() - lastDraw > 500) {
        lastDraw = performance.now();
        drawMatrix();
      }
    }),
  );
  if (matrixKey !== key) return;
  hooks.timings.matrixLoaded = performance.now();
  matrixComplete = true;
  drawMatrix();
}

// Colours, search emphasis and cell order: everything in the matrix but the coordinates.
async function restyleMatrix(): Promise<void> {
  if (!matrix) return;
  const s = store.get();
  const points = 2 * data.n;
  const count = data.layers * data.heads;
  const mask = s.searchIndices ? tokenMask(s.searchIndices, data.n) : null;
  const style = (c: Uint8Array) => (mask ? fadeExcept(c, mask, 40) : c);
  if (s.colorMode === 'norm') {
    await busy(
      Promise.all(
        Array.from({ length: count }, async (_, k) => {
          matrix!.colors.set(
            style(await headColors(Math.floor(k / data.heads), k % data.heads)),
            k * points * 4,
          );
        }),
      ),
    );
    // Each cell has its own range: the legend cannot name one (it named whichever head arrived last).
    legend = perHeadLegend(legend!);
  } else {
    const one = style(await headColors(0, 0));
    for (let k = 0; k < count; k++) matrix.colors.set(one, k * points * 4);
  }
  if (s.searchIndices) {
    const one = searchRadii(s.searchIndices, data.n, 1, 2.5);
    if (!matrix.radii) matrix.radii = new Float32Array(points * count);
    for (let k = 0; k < count; k++) matrix.radii.set(one, k * points);
  } else matrix.radii = null;
  matrix.cells = cellColors(headOrder());
  matrix.textColor = themeColor();
  showLegend();
  drawMatrix();
}

function drawMatrix(): void {
  if (!matrix || store.get().view !== 'matrix') return;
  matrix.version = ++sceneVersion;
  canvas.showMatrix(matrix, false);
}

// ---- single view

async function singleCoords(method: Method, dim: Dim, layer: number, head: number): Promise<Float32Array> {
  return fitIntoUnitBox(await data.layout(method, dim, layer, head), dim);
}

async function loadSingle(animateFrom: Float32Array | null = null): Promise<void> {
  // One head is quick to lay out on demand, so the single view shows the method asked for even while the
  // matrix still waits for it.
  const s = store.get();
  const shown = s.method;
  if (s.shown !== shown) store.set({ shown });
  const key = `${shown}/${s.dim}/${s.layer}/${s.head}`;
  singleKey = key;
  hooks.singleDrawn = false;
  hooks.timings.singleStart = performance.now();
  const onDisk = data.complete(shown, s.dim);
  if (!onDisk)
    $('status').textContent = `computing ${methodNames[shown]} ${s.dim}D of L${s.layer} H${s.head}…`;
  const [positions, norms] = await busy(
    Promise.all([singleCoords(shown, s.dim, s.layer, s.head), data.norms(s.layer, s.head)]),
  );
  if (!onDisk) $('status').textContent = '';
  if (singleKey !== key) return;
  singleRaw = { norms };
  single = {
    kind: 'single',
    dim: s.dim,
    points: 2 * data.n,
    positions,
    colors: new Uint8Array(0),
    radii: null,
    lines: null,
    labels: [],
    selected: s.selected,
    thumbnails: null,
    textColor: themeColor(),
    version: 0,
  };
  $('where').textContent = `L${s.layer} H${s.head} · ${methodNames[shown]} ${s.dim}D`;
  await restyleSingle();
  if (animateFrom) animateTo(animateFrom, positions, s.dim);
  hooks.timings.singleLoaded = performance.now();
}

function singleRadii(): Float32Array | null {
  const s = store.get();
  const n = data.n;
  let radii: Float32Array | null = null;
  if (s.sizeByNorm && singleRaw.norms) {
    const norms = singleRaw.norms;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of norms) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    radii = new Float32Array(2 * n);
    for (let p = 0; p < 2 * n; p++) radii[p] = 1.5 + (5 * (norms[p] - lo)) / (hi - lo || 1);
  }
  if (s.searchIndices) {
    radii ??= new Float32Array(2 * n).fill(3);
    for (const t of s.searchIndices) {
      radii[t] += 4;
      radii[t + n] += 4;
    }
  }
  return radii;
}

async function restyleSingle(): Promise<void> {
  if (!single) return;
  const s = store.get();
  let colors = await headColors(s.layer, s.head);
  const mask =
    s.selected !== null
      ? selectedInputMask(s.selected)
      : s.searchIndices
        ? tokenMask(s.searchIndices, data.n)
        : null;
  if (mask) colors = fadeExcept(colors, mask, 30);
  single.colors = colors;
  single.radii = singleRadii();
  single.selected = s.selected;
  single.thumbnails =
    s.thumbnails && data.modality === 'image' ? { atlas: await busy(patchAtlas()), tokens: data.n } : null;
  single.textColor = themeColor();
  single.lines = s.selected !== null ? await busy(attentionLines(s.selected)) : null;
  showLegend();
  updateLabels();
  drawSingle();
}

let atlasPromise: Promise<PatchAtlas> | null = null;
function patchAtlas(): Promise<PatchAtlas> {
  atlasPromise ??= Promise.all(data.info.manifest.sequences.map((_, i) => loadImage(api.imageUrl(i)))).then(
    (images) => buildPatchAtlas(images, data.tokens, data.info.manifest.sequences),
  );
  return atlasPromise;
}

function selectedInputMask(point: number): Uint8Array {
  const sequence = data.tokens.sequence[pointToken(point, data.n).token];
  const { first, count } = data.sequenceTokens(sequence);
  const mask = new Uint8Array(data.n);
  mask.fill(1, first, first + count);
  return mask;
}

// Lines from each query of the selected input to its top-2 keys (weight >= 0.05), opacity by weight.
async function attentionLines(point: number): Promise<SingleScene['lines']> {
  const s = store.get();
  const sequence = data.tokens.sequence[pointToken(point, data.n).token];
  const { att, T } = await api.attention(s.layer, s.head, sequence);
  const { first } = data.sequenceTokens(sequence);
  const lines = topKeyLines(att, T, 2, 0.05);
  const count = lines.query.length;
  const source = new Float32Array(count * 3);
  const target = new Float32Array(count * 3);
  const colors = new Uint8Array(count * 4);
  const [r, g, b] = themeColor();
  const pos = single!.positions;
  for (let k = 0; k < count; k++) {
    const q = first + lines.query[k];
    const key = data.n + first + lines.key[k];
    source.set(pos.subarray(q * 3, q * 3 + 3), k * 3);
    target.set(pos.subarray(key * 3, key * 3 + 3), k * 3);
    colors.set([r, g, b, Math.round(255 * lines.weight[k])], k * 4);
  }
  return { source, target, colors, count };
}

function drawSingle(): void {
  if (!single || store.get().view !== 'single') return;
  single.version = ++sceneVersion;
  canvas.showSingle(single, false);
}

// Token labels for the points on screen once zoomed in, without overlaps; the selected input and search
// matches first.
function updateLabels(): void {
  if (!single) return;
  const s = store.get();
  single.labels = [];
  if (canvas.zoomAboveFit() < (s.dim === 2 ? 1.5 : 1)) return;
  const [w, h] = canvas.size();
  const n = data.n;
  const order: number[] = [];
  const xs = new Float32Array(2 * n);
  const ys = new Float32Array(2 * n);
  const widths = new Float32Array(2 * n);
  const preferred =
    s.selected !== null
      ? selectedInputMask(s.selected)
      : s.searchIndices
        ? tokenMask(s.searchIndices, n)
        : null;
  const rest: number[] = [];
  for (let p = 0; p < 2 * n; p++) {
    const screen = canvas.project([
      single.positions[p * 3],
      single.positions[p * 3 + 1],
      single.positions[p * 3 + 2],
    ]);
    if (!screen || screen[0] < 0 || screen[1] < 0 || screen[0] > w || screen[1] > h) continue;
    const token = p < n ? p : p - n;
    xs[p] = screen[0];
    ys[p] = screen[1];
    widths[p] = 7.2 * Math.max(1, data.tokens.text[token].trim().length) + 6;
    (preferred?.[token] ? order : rest).push(p);
  }
  const accepted = placeLabels({ x: xs, y: ys, width: widths, height: 14 }, order.concat(rest), w, h, 150);
  single.labels = accepted.map((p) => ({
    position: [single!.positions[p * 3], single!.positions[p * 3 + 1], single!.positions[p * 3 + 2]],
    text: data.tokens.text[p < n ? p : p - n].trim() || '␣',
  }));
}

// Animated 2D <-> 3D transition: coordinates and camera rotation move together.
function animateTo(from: Float32Array, to: Float32Array, dim: Dim): void {
  if (!single) return;
  cancelAnimationFrame(animation);
  const start = performance.now();
  const frame = new Float32Array(to.length);
  const step = () => {
    if (!single) return;
    const t = Math.min(1, (performance.now() - start) / 700);
    const e = t * t * (3 - 2 * t);
    single.positions = blend(from, to, e, frame);
    if (dim === 3) canvas.setRotation(35 * e, 40 * e);
    if (t < 1) {
      drawSingle();
      animation = requestAnimationFrame(step);
    } else {
      single.positions = to;
      animation = 0;
      updateLabels();
      drawSingle();
    }
  };
  if (dim === 3) {
    single.positions = from;
    drawSingle();
    canvas.setRotation(0, 0);
  }
  animation = requestAnimationFrame(step);
}

// ---- side panel: sentence / image / aggregate views

async function showSide(): Promise<void> {
  const s = store.get();
  const side = $('side');
  if (s.view !== 'single' || s.selected === null) {
    side.hidden = true;
    return;
  }
  side.hidden = false;
  const image = data.modality === 'image';
  $('tab-input').classList.toggle('active', s.sideTab === 'input');
  $('tab-aggregate').classList.toggle('active', s.sideTab === 'aggregate');
  $('hide-special-label').hidden = image || s.sideTab !== 'input';
  $('arrows-label').hidden = !image || s.sideTab !== 'input';
  $('hide-special-text').textContent = data.info.manifest.model.causal
    ? 'hide first token (renormalise)'
    : 'hide [CLS] / [SEP] (renormalise)';
  $('sentence-view').hidden = image || s.sideTab !== 'input';
  $('image-view').hidden = !image || s.sideTab !== 'input';
  $('aggregate-view').hidden = s.sideTab !== 'aggregate';
  const { token } = pointToken(s.selected, data.n);
  const sequence = data.tokens.sequence[token];
  const position = data.tokens.position[token];
  $('side-title').textContent =
    `L${s.layer} H${s.head} · input ${sequence} · token ${position + 1} of ${data.tokens.sequenceLength[token]}`;
  const { att, T } = await busy(api.attention(s.layer, s.head, sequence));
  if (s.sideTab === 'aggregate') {
    const agg = await busy(api.aggregate(s.layer, s.head));
    const view = $('aggregate-view');
    view.replaceChildren();
    const whole = document.createElement('div');
    const input = document.createElement('div');
    view.append(whole, input);
    renderAggregate(
      whole,
      agg.offsets,
      agg.mean,
      `L${s.layer} H${s.head}: mean weight by key − query position, whole dataset`,
    );
    const here = aggregateByOffset([{ att, T }], T - 1);
    renderAggregate(input, here.offsets, here.mean, `this input (${T} tokens)`);
    return;
  }
  const { first, texts } = data.sequenceTokens(sequence);
  if (image) {
    const img = await busy(loadImage(api.imageUrl(sequence)));
    const grid = data.info.manifest.sequences[sequence].grid ?? [
      Math.round(Math.sqrt(T - 1)),
      Math.round(Math.sqrt(T - 1)),
    ];
    drawImageView($<HTMLCanvasElement>('image-canvas'), $('cls-weight'), {
      image: img,
      rows: grid[0],
      cols: grid[1],
      att,
      T,
      clicked: position,
      arrows: s.arrows,
      patchOfToken: (p) => {
        const r = data.tokens.patchRow![first + p];
        return r < 0 ? null : [r, data.tokens.patchCol![first + p]];
      },
    });
    return;
  }
  const hidden = s.hideSpecial
    ? hiddenTokens(data.tokens.special.subarray(first, first + T), T, data.info.manifest.model.causal)
    : new Uint8Array(T);
  sentence.show(
    texts,
    s.hideSpecial ? hideAndRenormalize(att, T, hidden) : att,
    T,
    hidden,
    position,
    matchTokens(texts, s.searchQuery),
  );
}

function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`cannot load ${url}`));
    img.src = url;
  });
}

// ---- layouts not yet computed: show progress, draw PCA meanwhile, upgrade when ready

function chooseShown(method: Method, dim: Dim): Method {
  if (method === 'pca' || data.complete(method, dim)) return method;
  return 'pca';
}

function showProgress(): void {
  const s = store.get();
  const a = data.availability(s.method, s.dim);
  const incomplete = a.heads_ready < a.heads_total;
  $('progress').hidden = !incomplete;
  if (incomplete) {
    // Layout files appear whole; progress.json (written while `attnviz layout` / `demo` runs) counts heads.
    const live = (data.info.progress as Record<string, { done?: number; total?: number }> | null)?.[
      `${s.method}-${s.dim}d`
    ];
    const [done, total] = live?.total ? [live.done ?? 0, live.total] : [a.heads_ready, a.heads_total];
    $('progress-fill').style.width = `${(100 * done) / total}%`;
    const standIn = chooseShown(s.method, s.dim);
    $('progress-text').textContent =
      `${methodNames[s.method]} ${s.dim}D: ${done} of ${total} heads ${live ? 'computed' : 'ready'}` +
      (standIn !== s.method && s.view === 'matrix' ? ` · showing ${methodNames[standIn]} meanwhile` : '');
  }
  clearTimeout(pollTimer);
  if (incomplete) pollTimer = window.setTimeout(poll, 1500);
}

async function poll(): Promise<void> {
  try {
    await data.refresh();
  } catch {
    // The server may be restarting; try again on the next tick.
  }
  const s = store.get();
  if (s.view === 'matrix' && s.shown !== chooseShown(s.method, s.dim)) void loadMatrix();
  showProgress();
}

// ---- tooltips

function showTooltip(text: string | null, x: number, y: number): void {
  const tip = $('tooltip');
  tip.hidden = text === null;
  if (text === null) return;
  tip.textContent = text;
  const [w] = canvas.size();
  tip.style.left = `${Math.min(x + 14, w - 330)}px`;
  tip.style.top = `${y + 14}px`;
}

function cellTooltip(cell: [number, number] | null, x: number, y: number): void {
  if (!cell) return showTooltip(null, 0, 0);
  const k = headOrder()[cell[1] * data.heads + cell[0]];
  const lines = [`L${Math.floor(k / data.heads)} H${k % data.heads}`];
  for (const name of data.metrics.names.slice(0, 14)) {
    const v = data.metrics.values.get(name)![k];
    if (!Number.isNaN(v)) lines.push(`${name}: ${v.toFixed(3)}`);
  }
  showTooltip(lines.join('\n'), x, y);
}

function pointTooltip(point: number | null, x: number, y: number): void {
  if (point === null) return showTooltip(null, 0, 0);
  const { token, isKey } = pointToken(point, data.n);
  const t = data.tokens;
  const seq = data.info.manifest.sequences[t.sequence[token]];
  const input = seq.text !== undefined ? seq.text : (seq.image ?? '');
  const lines = [
    `"${t.text[token]}" · ${isKey ? 'key' : 'query'}`,
    `position ${t.position[token] + 1} of ${t.sequenceLength[token]}`,
    `input ${t.sequence[token]}: ${input.length > 90 ? input.slice(0, 90) + '…' : input}`,
  ];
  if (t.patchRow && t.patchRow[token] >= 0)
    lines.push(`patch row ${t.patchRow[token]}, column ${t.patchCol![token]}`);
  if (singleRaw.norms) lines.push(`norm ${singleRaw.norms[point].toFixed(3)}`);
  showTooltip(lines.join('\n'), x, y);
}

// ---- state changes

function openSingle(head: number): void {
  cancelAnimationFrame(animation);
  animation = 0;
  store.set({
    view: 'single',
    layer: Math.floor(head / data.heads),
    head: head % data.heads,
    selected: null,
  });
}

async function runSearch(query: string): Promise<void> {
  if (query.trim() === '') {
    store.set({ searchQuery: '', searchIndices: null });
    return;
  }
  const result = await busy(api.search(query));
  store.set({ searchQuery: query, searchIndices: Int32Array.from(result.indices) });
}

function onStateChange(s: AppState, p: AppState): void {
  document.body.classList.toggle('dark', s.theme === 'dark');
  $('back').hidden = s.view !== 'single';
  $('thumbs-toggle').hidden = s.view !== 'single' || data.modality !== 'image';
  if (s.view === 'matrix')
    $('where').textContent = `all heads · ${methodNames[s.shown ?? s.method]} ${s.dim}D`;
  $('dim-2').classList.toggle('active', s.dim === 2);
  $('dim-3').classList.toggle('active', s.dim === 3);
  $('search-count').textContent = s.searchIndices
    ? `${s.searchIndices.length} match${s.searchIndices.length === 1 ? '' : 'es'}`
    : '';
  if (s.method !== p.method || s.dim !== p.dim || s.view !== p.view) showProgress();

  const layoutChanged = s.method !== p.method || s.dim !== p.dim;
  if (s.view === 'matrix') {
    $('side').hidden = true;
    showTooltip(null, 0, 0);
    if (p.view !== 'matrix' || layoutChanged || !matrix) {
      if (
        !layoutChanged &&
        matrix &&
        matrixKey === `${chooseShown(s.method, s.dim)}/${s.dim}` &&
        matrixComplete
      ) {
        void restyleMatrix();
        canvas.showMatrix(matrix, true);
      } else void loadMatrix();
    } else if (
      s.colorMode !== p.colorMode ||
      s.searchIndices !== p.searchIndices ||
      s.theme !== p.theme ||
      s.cellMetric !== p.cellMetric ||
      s.sortCells !== p.sortCells
    ) {
      if (s.sortCells !== p.sortCells || (s.sortCells && s.cellMetric !== p.cellMetric)) void loadMatrix();
      else void restyleMatrix();
    }
    return;
  }
  const headChanged = s.layer !== p.layer || s.head !== p.head || p.view !== 'single';
  if (headChanged || layoutChanged) {
    showTooltip(null, 0, 0); // the points under the pointer are about to move
    const from = !headChanged && s.dim !== p.dim && single ? single.positions : null;
    void loadSingle(from).then(showSide);
  } else if (
    s.colorMode !== p.colorMode ||
    s.searchIndices !== p.searchIndices ||
    s.theme !== p.theme ||
    s.selected !== p.selected ||
    s.sizeByNorm !== p.sizeByNorm ||
    s.thumbnails !== p.thumbnails
  ) {
    void restyleSingle();
  }
  if (
    !headChanged &&
    (s.selected !== p.selected ||
      s.hideSpecial !== p.hideSpecial ||
      s.sideTab !== p.sideTab ||
      s.arrows !== p.arrows ||
      s.searchQuery !== p.searchQuery)
  )
    void showSide();
}

function wireControls(): void {
  const method = $<HTMLSelectElement>('method');
  method.addEventListener('change', () => store.set({ method: method.value as Method }));
  $('dim-2').addEventListener('click', () => store.set({ dim: 2 }));
  $('dim-3').addEventListener('click', () => store.set({ dim: 3 }));
  const color = $<HTMLSelectElement>('color-mode');
  for (const mode of colorModesFor(data.modality)) color.add(new Option(colorModeLabels[mode], mode));
  color.addEventListener('change', () => store.set({ colorMode: color.value as ColorMode }));
  const sizeNorm = $<HTMLInputElement>('size-norm');
  sizeNorm.addEventListener('change', () => store.set({ sizeByNorm: sizeNorm.checked }));
  const metric = $<HTMLSelectElement>('cell-metric');
  for (const name of data.metrics.names) metric.add(new Option(name, name));
  metric.addEventListener('change', () => store.set({ cellMetric: metric.value }));
  const sort = $<HTMLInputElement>('sort-cells');
  sort.addEventListener('change', () => store.set({ sortCells: sort.checked }));
  const search = $<HTMLInputElement>('search');
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void runSearch(search.value);
  });
  $('search-clear').addEventListener('click', () => {
    search.value = '';
    void runSearch('');
  });
  $('theme').addEventListener('click', () =>
    store.set({ theme: store.get().theme === 'dark' ? 'light' : 'dark' }),
  );
  $('back').addEventListener('click', () => store.set({ view: 'matrix', selected: null }));
  $('side-close').addEventListener('click', () => store.set({ selected: null }));
  $('tab-input').addEventListener('click', () => store.set({ sideTab: 'input' }));
  $('tab-aggregate').addEventListener('click', () => store.set({ sideTab: 'aggregate' }));
  const hide = $<HTMLInputElement>('hide-special');
  hide.addEventListener('change', () => store.set({ hideSpecial: hide.checked }));
  const thumbs = $<HTMLInputElement>('thumbs');
  thumbs.addEventListener('change', () => store.set({ thumbnails: thumbs.checked }));
  const arrows = $<HTMLInputElement>('arrows');
  arrows.addEventListener('change', () => store.set({ arrows: arrows.checked }));
  window.addEventListener('keydown', (e) => {
    const s = store.get();
    if (s.view !== 'single' || (e.target as HTMLElement).tagName === 'INPUT') return;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
    };
    if (e.key === 'Escape') store.set({ view: 'matrix', selected: null });
    const move = moves[e.key];
    if (!move) return;
    e.preventDefault();
    const layer = Math.min(data.layers - 1, Math.max(0, s.layer + move[0]));
    const head = Math.min(data.heads - 1, Math.max(0, s.head + move[1]));
    if (layer !== s.layer || head !== s.head) store.set({ layer, head, selected: null });
  });
}

async function main(): Promise<void> {
  hooks.timings.start = performance.now();
  data = await busy(RunData.load());
  hooks.timings.runLoaded = performance.now();
  const model = data.info.manifest.model;
  $('run-title').textContent =
    `${model.model_type} · ${model.num_layers} layers × ${model.num_heads} heads · ${data.n} tokens`;
  let labelTimer = 0;
  canvas = new CanvasView($('deck'), {
    onCellHover: cellTooltip,
    onCellClick: ([x, y]) => openSingle(headOrder()[y * data.heads + x]),
    onMatrixZoomedIn: ([x, y]) => openSingle(headOrder()[y * data.heads + x]),
    onPointHover: pointTooltip,
    onPointClick: (point) => store.set({ selected: point }),
    onViewChange: () => {
      clearTimeout(labelTimer);
      labelTimer = window.setTimeout(() => {
        if (store.get().view === 'single' && animation === 0) {
          updateLabels();
          drawSingle();
        }
      }, 120);
    },
    onAfterRender: () => {
      renderedVersion = sceneVersion;
      const view = store.get().view;
      if (view === 'matrix' && matrixComplete && !hooks.matrixDrawn) {
        hooks.matrixDrawn = true;
        hooks.timings.matrixDrawn = performance.now();
      }
      if (view === 'single' && single && !hooks.singleDrawn) {
        hooks.singleDrawn = true;
        hooks.timings.singleDrawn = performance.now();
      }
    },
  });
  const best = (['tsne', 'umap', 'pca'] as Method[]).find((m) => data.complete(m, 2)) ?? 'tsne';
  store.subscribe(onStateChange);
  $<HTMLSelectElement>('method').value = best;
  wireControls();
  store.set({
    method: best,
    theme: window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light',
  });
  showProgress();
}

main().catch((e) => {
  hooks.error = (e as Error).message;
  $('status').textContent = `error: ${hooks.error}`;
});
