// The one WebGL canvas (deck.gl) that draws the matrix view (every head in its grid cell) and the single view
// (one head, 2D orthographic or 3D orbit). Points come in as binary attributes; no per-point objects.
import { Deck, OrbitView, OrthographicView, type PickingInfo } from '@deck.gl/core';
import {
  BitmapLayer,
  IconLayer,
  LineLayer,
  ScatterplotLayer,
  SolidPolygonLayer,
  TextLayer,
} from '@deck.gl/layers';
import { THUMB, type PatchAtlas } from './thumbnails';
import { rasterizeAtlas, rasterizeTile, type MatrixPoints } from './matrix-raster';

type Rgba = [number, number, number, number];

export interface MatrixScene extends MatrixPoints {
  kind: 'matrix';
  cells: { x: number; y: number; label: string; color: Rgba | null }[];
  textColor: Rgba;
  version: number; // bumped whenever a buffer's contents change
}

export interface SingleScene {
  kind: 'single';
  dim: 2 | 3;
  points: number;
  positions: Float32Array; // x,y,z a point in [-1, 1]
  colors: Uint8Array;
  radii: Float32Array | null;
  lines: { source: Float32Array; target: Float32Array; colors: Uint8Array; count: number } | null;
  labels: { position: [number, number, number]; text: string }[];
  selected: number | null;
  thumbnails: { atlas: PatchAtlas; tokens: number } | null; // image runs: draw points as their patches
  textColor: Rgba;
  version: number;
}

export interface CanvasCallbacks {
  onCellHover(cell: [number, number] | null, x: number, y: number): void;
  onCellClick(cell: [number, number]): void;
  onMatrixZoomedIn(cell: [number, number]): void;
  onPointHover(point: number | null, x: number, y: number): void;
  onPointClick(point: number | null): void;
  onViewChange(): void;
  onAfterRender(): void;
}

const isPoint = (info: PickingInfo) => Boolean(info.layer?.id.startsWith('points')) && info.index >= 0;

type ViewState = Record<string, unknown> & { zoom: number; target: [number, number, number] };

export class CanvasView {
  private deck: Deck<any>;
  private scene: MatrixScene | SingleScene | null = null;
  private viewState: ViewState = { target: [0, 0, 0], zoom: 0 };
  private fitZoom = 0;
  private atlas: { canvas: HTMLCanvasElement; cellSize: number; version: number } | null = null;
  private tiles = new Map<number, { canvas: HTMLCanvasElement; size: number }>(); // sharper cells, by slot
  private tileTimer = 0;

  private overlay: HTMLCanvasElement;

  constructor(
    private container: HTMLElement,
    private callbacks: CanvasCallbacks,
  ) {
    // Cell labels are drawn on a 2D canvas above the WebGL one: crisp at every zoom, and no text shader to
    // compile before the matrix can show (slow on software WebGL).
    this.overlay = document.createElement('canvas');
    this.overlay.className = 'label-overlay';
    container.append(this.overlay);
    this.deck = new Deck<any>({
      parent: container as HTMLDivElement,
      width: '100%',
      height: '100%',
      views: new OrthographicView({ id: 'ortho', controller: true }),
      viewState: this.viewState as any,
      pickingRadius: 4,
      useDevicePixels: 1,
      onViewStateChange: ({ viewState }) => this.setViewState(viewState as ViewState, true),
      onHover: (info) => this.hover(info),
      onClick: (info) => this.click(info),
      onAfterRender: () => {
        this.drawCellLabels();
        this.callbacks.onAfterRender();
      },
      getCursor: ({ isDragging, isHovering }) =>
        isDragging ? 'grabbing' : isHovering || this.scene?.kind === 'matrix' ? 'pointer' : 'grab',
    });
  }

  size(): [number, number] {
    return [this.container.clientWidth || 800, this.container.clientHeight || 600];
  }

  private fit(extentW: number, extentH: number): number {
    const [w, h] = this.size();
    return Math.log2(Math.min(w / extentW, h / extentH));
  }

  showMatrix(scene: MatrixScene, resetView: boolean): void {
    const wasMatrix = this.scene?.kind === 'matrix';
    this.scene = scene;
    if (resetView || !wasMatrix) {
      this.fitZoom = this.fit(scene.cols + 0.4, scene.rows + 0.4);
      this.deck.setProps({ views: new OrthographicView({ id: 'ortho', controller: true }) });
      this.setViewState(
        {
          target: [scene.cols / 2, scene.rows / 2, 0],
          zoom: this.fitZoom,
          minZoom: this.fitZoom - 1,
          maxZoom: this.fitZoom + 6,
        },
        false,
      );
    }
    this.render();
  }

  showSingle(scene: SingleScene, resetView: boolean): void {
    const previous = this.scene;
    this.scene = scene;
    if (resetView || previous?.kind !== 'single' || previous.dim !== scene.dim) {
      this.fitZoom = this.fit(2.4, 2.4);
      if (scene.dim === 2) {
        this.deck.setProps({ views: new OrthographicView({ id: 'ortho', controller: true }) });
        this.setViewState(
          { target: [0, 0, 0], zoom: this.fitZoom, minZoom: this.fitZoom - 2, maxZoom: this.fitZoom + 8 },
          false,
        );
      } else {
        this.deck.setProps({ views: new OrbitView({ id: 'orbit', controller: true, orbitAxis: 'Y' }) });
        this.setViewState(
          {
            target: [0, 0, 0],
            zoom: this.fitZoom - 0.3,
            rotationX: 35,
            rotationOrbit: 40,
            minZoom: this.fitZoom - 3,
            maxZoom: this.fitZoom + 8,
          },
          false,
        );
      }
    }
    this.render();
  }

  // Rotation of the 3D view (for the animated 2D -> 3D transition).
  setRotation(rotationX: number, rotationOrbit: number): void {
    this.setViewState({ ...this.viewState, rotationX, rotationOrbit }, false);
  }

  zoomAboveFit(): number {
    return this.viewState.zoom - this.fitZoom;
  }

  // Screen position (CSS pixels relative to the canvas) of a world position.
  project(position: number[]): [number, number] | null {
    const viewport = this.deck.getViewports()[0];
    if (!viewport) return null;
    const [x, y] = viewport.project(position);
    return [x, y];
  }

  canvasRect(): DOMRect {
    return this.container.getBoundingClientRect();
  }

  private setViewState(viewState: ViewState, fromUser: boolean): void {
    this.viewState = viewState;
    this.deck.setProps({ viewState: viewState as any });
    if (this.scene?.kind === 'matrix') this.scheduleTiles();
    if (!fromUser) return;
    this.callbacks.onViewChange();
    const scene = this.scene;
    if (scene?.kind === 'matrix') {
      const cellPixels = 2 ** viewState.zoom;
      const [w, h] = this.size();
      if (cellPixels > 0.85 * Math.min(w, h)) {
        const cell: [number, number] = [Math.floor(viewState.target[0]), Math.floor(viewState.target[1])];
        if (cell[0] >= 0 && cell[0] < scene.cols && cell[1] >= 0 && cell[1] < scene.rows)
          this.callbacks.onMatrixZoomedIn(cell);
      }
    }
  }

  private cellAt(info: PickingInfo): [number, number] | null {
    const scene = this.scene;
    if (scene?.kind !== 'matrix' || !info.coordinate) return null;
    const cell: [number, number] = [Math.floor(info.coordinate[0]), Math.floor(info.coordinate[1])];
    return cell[0] >= 0 && cell[0] < scene.cols && cell[1] >= 0 && cell[1] < scene.rows ? cell : null;
  }

  private hover(info: PickingInfo): void {
    if (this.scene?.kind === 'matrix') this.callbacks.onCellHover(this.cellAt(info), info.x, info.y);
    else this.callbacks.onPointHover(isPoint(info) ? info.index : null, info.x, info.y);
  }

  private click(info: PickingInfo): void {
    if (this.scene?.kind === 'matrix') {
      const cell = this.cellAt(info);
      if (cell) this.callbacks.onCellClick(cell);
    } else this.callbacks.onPointClick(isPoint(info) ? info.index : null);
  }

  render(): void {
    const scene = this.scene;
    if (!scene) return;
    if (scene.kind === 'matrix' && this.atlas?.version !== scene.version) {
      this.atlas = { ...rasterizeAtlas(scene), version: scene.version };
      this.tiles.clear();
      this.scheduleTiles();
    }
    this.deck.setProps({
      layers:
        scene.kind === 'matrix' ? matrixLayers(scene, this.atlas!.canvas, this.tiles) : singleLayers(scene),
    });
  }

  private drawCellLabels(): void {
    const [w, h] = this.size();
    const ratio = window.devicePixelRatio || 1;
    if (this.overlay.width !== Math.round(w * ratio) || this.overlay.height !== Math.round(h * ratio)) {
      this.overlay.width = Math.round(w * ratio);
      this.overlay.height = Math.round(h * ratio);
    }
    const ctx = this.overlay.getContext('2d')!;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const scene = this.scene;
    if (scene?.kind !== 'matrix') return;
    const [r, g, b, a] = scene.textColor;
    ctx.fillStyle = `rgba(${r}, ${g}, ${b}, ${a / 255})`;
    ctx.font = '11px monospace';
    ctx.textBaseline = 'top';
    for (const cell of scene.cells) {
      const p = this.project([cell.x + 0.04, cell.y + 0.04, 0]);
      if (p && p[0] > -60 && p[1] > -20 && p[0] < w && p[1] < h) ctx.fillText(cell.label, p[0], p[1]);
    }
  }

  // Once the view rests zoomed in, the cells on screen are redrawn at their screen resolution.
  private scheduleTiles(): void {
    clearTimeout(this.tileTimer);
    this.tileTimer = window.setTimeout(() => this.updateTiles(), 150);
  }

  private updateTiles(): void {
    const scene = this.scene;
    if (scene?.kind !== 'matrix' || !this.atlas) return;
    const cellPixels = 2 ** this.viewState.zoom * (window.devicePixelRatio || 1);
    const wanted = new Map<number, number>();
    if (cellPixels > this.atlas.cellSize * 1.3) {
      const size = Math.min(1024, 2 ** Math.ceil(Math.log2(cellPixels)));
      const [w, h] = this.size();
      const half = [w / 2 / 2 ** this.viewState.zoom, h / 2 / 2 ** this.viewState.zoom];
      const [tx, ty] = this.viewState.target;
      for (
        let cy = Math.max(0, Math.floor(ty - half[1]));
        cy <= Math.min(scene.rows - 1, Math.floor(ty + half[1]));
        cy++
      ) {
        for (
          let cx = Math.max(0, Math.floor(tx - half[0]));
          cx <= Math.min(scene.cols - 1, Math.floor(tx + half[0]));
          cx++
        ) {
          wanted.set(cy * scene.cols + cx, size);
        }
      }
    }
    let changed = false;
    for (const slot of [...this.tiles.keys()]) {
      if (!wanted.has(slot)) {
        this.tiles.delete(slot);
        changed = true;
      }
    }
    const headOfSlot = new Map<number, number>();
    scene.slotOfHead.forEach((slot, head) => headOfSlot.set(slot, head));
    for (const [slot, size] of wanted) {
      const head = headOfSlot.get(slot);
      if (head === undefined || (this.tiles.get(slot)?.size ?? 0) >= size) continue;
      this.tiles.set(slot, { canvas: rasterizeTile(scene, head, size), size });
      changed = true;
    }
    if (changed) this.render();
  }
}

function matrixLayers(
  s: MatrixScene,
  atlas: HTMLCanvasElement,
  tiles: Map<number, { canvas: HTMLCanvasElement }>,
) {
  const coloured = s.cells.some((c) => c.color);
  // y grows downwards in this view: a cell's top edge is its smaller y.
  const layers: unknown[] = [
    coloured &&
      new SolidPolygonLayer({
        id: 'cells',
        data: s.cells,
        getPolygon: (c: MatrixScene['cells'][number]) => [
          [c.x + 0.02, c.y + 0.02],
          [c.x + 0.98, c.y + 0.02],
          [c.x + 0.98, c.y + 0.98],
          [c.x + 0.02, c.y + 0.98],
        ],
        getFillColor: (c: MatrixScene['cells'][number]) => c.color ?? [0, 0, 0, 0],
        updateTriggers: { getFillColor: s.version },
      }),
    new BitmapLayer({ id: `atlas-${s.version}`, image: atlas, bounds: [0, s.rows, s.cols, 0] }),
  ];
  for (const [slot, tile] of tiles) {
    const x = slot % s.cols;
    const y = Math.floor(slot / s.cols);
    layers.push(
      new BitmapLayer({
        id: `tile-${s.version}-${slot}-${tile.canvas.width}`,
        image: tile.canvas,
        bounds: [x, y + 1, x + 1, y],
      }),
    );
  }
  return layers as any[];
}

// Points as patch thumbnails (image runs are small: one object a point is affordable here).
function thumbnailLayer(s: SingleScene, t: NonNullable<SingleScene['thumbnails']>) {
  const mapping: Record<string, { x: number; y: number; width: number; height: number }> = {};
  for (let token = 0; token < t.tokens; token++) {
    mapping[token] = {
      x: (token % t.atlas.columns) * THUMB,
      y: Math.floor(token / t.atlas.columns) * THUMB,
      width: THUMB,
      height: THUMB,
    };
  }
  return new IconLayer({
    id: 'points-thumbnails',
    data: Array.from({ length: s.points }, (_, p) => p),
    iconAtlas: t.atlas.canvas as any,
    iconMapping: mapping,
    getIcon: (p: number) => String(p % t.tokens),
    getPosition: (p: number) => [s.positions[p * 3], s.positions[p * 3 + 1], s.positions[p * 3 + 2]],
    getSize: (p: number) => (s.radii ? 4 * s.radii[p] : 14),
    getColor: (p: number) => [255, 255, 255, s.colors[p * 4 + 3]],
    sizeUnits: 'pixels',
    billboard: true,
    pickable: true,
    updateTriggers: { getPosition: s.version, getSize: s.version, getColor: s.version },
  });
}

function singleLayers(s: SingleScene) {
  const layers: unknown[] = [
    s.thumbnails
      ? thumbnailLayer(s, s.thumbnails)
      : new ScatterplotLayer({
          id: 'points',
          data: {
            length: s.points,
            attributes: {
              getPosition: { value: s.positions, size: 3 },
              getFillColor: { value: s.colors, size: 4, normalized: true },
              ...(s.radii ? { getRadius: { value: s.radii, size: 1 } } : {}),
            },
          },
          getRadius: 3,
          radiusUnits: 'pixels',
          billboard: true,
          pickable: true,
          autoHighlight: true,
          highlightColor: [255, 200, 0, 255],
          updateTriggers: { getPosition: s.version, getFillColor: s.version, getRadius: s.version },
        }),
  ];
  if (s.lines && s.lines.count > 0) {
    layers.push(
      new LineLayer({
        id: 'attention-lines',
        data: {
          length: s.lines.count,
          attributes: {
            getSourcePosition: { value: s.lines.source, size: 3 },
            getTargetPosition: { value: s.lines.target, size: 3 },
            getColor: { value: s.lines.colors, size: 4, normalized: true },
          },
        },
        getWidth: 1.5,
        updateTriggers: { getSourcePosition: s.version, getColor: s.version },
      }),
    );
  }
  if (s.selected !== null) {
    const i = s.selected;
    layers.push(
      new ScatterplotLayer({
        id: 'selected',
        data: [{ position: [s.positions[i * 3], s.positions[i * 3 + 1], s.positions[i * 3 + 2]] }],
        getPosition: (d: { position: [number, number, number] }) => d.position,
        getRadius: 7,
        radiusUnits: 'pixels',
        billboard: true,
        stroked: true,
        filled: false,
        getLineColor: s.textColor,
        lineWidthUnits: 'pixels',
        getLineWidth: 2,
        updateTriggers: { getPosition: s.version },
      }),
    );
  }
  if (s.labels.length > 0) {
    layers.push(
      new TextLayer({
        id: 'token-labels',
        data: s.labels,
        getPosition: (d: SingleScene['labels'][number]) => d.position,
        getText: (d: SingleScene['labels'][number]) => d.text,
        getSize: 12,
        getColor: s.textColor,
        getTextAnchor: 'start',
        getAlignmentBaseline: 'center',
        getPixelOffset: [5, 0],
        characterSet: 'auto',
        fontFamily: 'monospace',
        billboard: true,
        updateTriggers: { getColor: s.version },
      }),
    );
  }
  return layers as any[];
}
