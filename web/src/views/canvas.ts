// The one WebGL canvas (deck.gl) that draws the matrix view (every head in its grid cell), the single view
// (one head, 2D orthographic or 3D orbit) and the heads view (the heads map): the camera, picking, and the
// scene drawn now. The layers are pure functions of the scene (matrix-layers.ts, single-layers.ts,
// heads-layers.ts); other parts of the page listen to its events;
// `capture` redraws it at a higher resolution for export.
import { Deck, OrbitView, OrthographicView, type PickingInfo } from '@deck.gl/core';
import { headsLayers } from './heads-layers';
import { drawCellLabels, matrixLayers } from './matrix-layers';
import { MatrixPixels, tilesWanted } from './matrix-raster';
import type { HeadsScene, MatrixScene, Scene, SingleScene } from './scenes';
import { singleLayers } from './single-layers';

export interface CanvasEvents {
  onCellHover(cell: [number, number] | null, x: number, y: number): void;
  onCellClick(cell: [number, number]): void;
  onMatrixZoomedIn(cell: [number, number]): void;
  onPointHover(point: number | null, x: number, y: number): void;
  onPointClick(point: number | null): void;
  onHeadHover(head: number | null, x: number, y: number): void; // the heads view: a head index, layer-major
  onHeadClick(head: number): void;
  onViewChange(): void; // the user panned, zoomed or turned the view
  onAfterRender(): void;
}

const isPoint = (info: PickingInfo) => Boolean(info.layer?.id.startsWith('points')) && info.index >= 0;

type ViewState = Record<string, unknown> & { zoom: number; target: [number, number, number] };

export class CanvasView {
  private deck: Deck<any>;
  private scene: Scene | null = null;
  private viewState: ViewState = { target: [0, 0, 0], zoom: 0 };
  private fitZoom = 0;
  private pixels = new MatrixPixels();
  private tileTimer = 0;
  private overlay: HTMLCanvasElement;
  private listeners: Partial<CanvasEvents>[] = [];
  private version = 0; // of the last scene drawn
  private renderedVersion = -1;
  private capturing: { scale: number; done: (png: Blob | Error) => void } | null = null;

  // `bottomInset`: pixels at the bottom of the canvas that the matrix's fit keeps free (the legend is there).
  constructor(
    private container: HTMLElement,
    private bottomInset: () => number = () => 0,
  ) {
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
        const [w, h] = this.size();
        drawCellLabels(
          this.overlay,
          this.scene?.kind === 'matrix' ? this.scene : null,
          (p) => this.project(p),
          w,
          h,
        );
        this.renderedVersion = this.version;
        this.finishCapture();
        this.emit('onAfterRender');
      },
      getCursor: ({ isDragging, isHovering }) =>
        isDragging ? 'grabbing' : isHovering || this.scene?.kind === 'matrix' ? 'pointer' : 'grab',
    });
  }

  // What the canvas shows now, labels included, drawn again at `scale` × its resolution: a PNG.
  capture(scale: number): Promise<Blob> {
    if (this.capturing) return Promise.reject(new Error('a capture is already running'));
    return new Promise((resolve, reject) => {
      const timer = window.setTimeout(
        () => this.capturing?.done(new Error('capture: no frame in 10 s')),
        10000,
      );
      this.capturing = {
        scale,
        done: (png) => {
          clearTimeout(timer);
          this.capturing = null;
          this.deck.setProps({ useDevicePixels: 1 });
          if (png instanceof Blob) resolve(png);
          else reject(png);
        },
      };
      this.deck.setProps({ useDevicePixels: scale });
      this.deck.redraw('capture');
    });
  }

  // Called after each frame: once a frame has been drawn at the capture's resolution, copies it (the WebGL
  // buffer is only readable within the frame) and the label overlay into a PNG.
  private finishCapture(): void {
    const capture = this.capturing;
    const gl = this.deck.getCanvas();
    if (!capture || !gl) return;
    const [w, h] = this.size();
    const [width, height] = [Math.round(w * capture.scale), Math.round(h * capture.scale)];
    if (Math.abs(gl.width - width) > 1 || Math.abs(gl.height - height) > 1) return; // not resized yet
    const out = document.createElement('canvas');
    [out.width, out.height] = [width, height];
    const ctx = out.getContext('2d')!;
    ctx.fillStyle = getComputedStyle(document.body).backgroundColor; // the page's, behind the points
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(gl, 0, 0, width, height);
    ctx.drawImage(this.overlay, 0, 0, width, height);
    out.toBlob((png) => capture.done(png ?? new Error('capture: the browser made no PNG')), 'image/png');
  }

  listen(listener: Partial<CanvasEvents>): void {
    this.listeners.push(listener);
  }

  private emit<E extends keyof CanvasEvents>(event: E, ...args: Parameters<CanvasEvents[E]>): void {
    for (const listener of this.listeners)
      (listener[event] as ((...a: typeof args) => void) | undefined)?.(...args);
  }

  // Draws a scene whose buffers changed (a new version), keeping the camera unless the kind of view changed.
  draw(scene: Scene): void {
    scene.version = ++this.version;
    if (scene.kind === 'matrix') this.showMatrix(scene, false);
    else this.showPoints(scene, false);
  }

  // Every scene drawn has reached the screen.
  settled(): boolean {
    return this.renderedVersion === this.version;
  }

  size(): [number, number] {
    return [this.container.clientWidth || 800, this.container.clientHeight || 600];
  }

  // The zoom that fits an extent (world units) into the canvas, less `insetBottom` pixels of its height.
  private fit(extentW: number, extentH: number, insetBottom = 0): number {
    const [w, h] = this.size();
    return Math.log2(Math.min(w / extentW, (h - insetBottom) / extentH));
  }

  // Shows the matrix scene as it is; `resetView` fits the whole grid on screen again.
  showMatrix(scene: MatrixScene, resetView: boolean): void {
    const wasMatrix = this.scene?.kind === 'matrix';
    this.scene = scene;
    if (resetView || !wasMatrix) {
      const [, h] = this.size();
      const inset = Math.min(this.bottomInset(), h / 3);
      this.fitZoom = this.fit(scene.cols + 0.4, scene.rows + 0.4, inset);
      this.deck.setProps({ views: new OrthographicView({ id: 'ortho', controller: true }) });
      this.setViewState(
        {
          // The grid's centre sits `inset / 2` pixels above the canvas's centre.
          target: [scene.cols / 2, scene.rows / 2 + inset / 2 / 2 ** this.fitZoom, 0],
          zoom: this.fitZoom,
          minZoom: this.fitZoom - 1,
          maxZoom: this.fitZoom + 6,
        },
        false,
      );
    }
    this.render();
  }

  // The single view's or the heads view's points, both in [-1, 1]: fitted when the kind or dim changes.
  private showPoints(scene: SingleScene | HeadsScene, resetView: boolean): void {
    const previous = this.scene;
    this.scene = scene;
    const dim = (s: Scene | null) => (s?.kind === 'single' ? s.dim : 2);
    if (resetView || previous?.kind !== scene.kind || dim(previous) !== dim(scene)) {
      this.fitZoom = this.fit(2.4, 2.4);
      const z = this.fitZoom;
      const [view, state] =
        dim(scene) === 2
          ? [new OrthographicView({ id: 'ortho', controller: true }), { zoom: z, minZoom: z - 2 }]
          : [
              new OrbitView({ id: 'orbit', controller: true, orbitAxis: 'Y' }),
              { zoom: z - 0.3, rotationX: 35, rotationOrbit: 40, minZoom: z - 3 },
            ];
      this.deck.setProps({ views: view });
      this.setViewState({ target: [0, 0, 0], maxZoom: z + 8, ...state }, false);
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

  // The screen position of a world position when it is inside the canvas, else null.
  projectOnScreen(position: number[]): [number, number] | null {
    const p = this.project(position);
    const [w, h] = this.size();
    return p && p[0] >= 0 && p[1] >= 0 && p[0] <= w && p[1] <= h ? p : null;
  }

  canvasRect(): DOMRect {
    return this.container.getBoundingClientRect();
  }

  private setViewState(viewState: ViewState, fromUser: boolean): void {
    this.viewState = viewState;
    this.deck.setProps({ viewState: viewState as any });
    if (this.scene?.kind === 'matrix') this.scheduleTiles();
    if (!fromUser) return;
    this.emit('onViewChange');
    const scene = this.scene;
    if (scene?.kind === 'matrix') {
      const cellPixels = 2 ** viewState.zoom;
      const [w, h] = this.size();
      if (cellPixels > 0.85 * Math.min(w, h)) {
        const cell: [number, number] = [Math.floor(viewState.target[0]), Math.floor(viewState.target[1])];
        if (cell[0] >= 0 && cell[0] < scene.cols && cell[1] >= 0 && cell[1] < scene.rows)
          this.emit('onMatrixZoomedIn', cell);
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
    const kind = this.scene?.kind;
    if (kind === 'matrix') this.emit('onCellHover', this.cellAt(info), info.x, info.y);
    else if (kind === 'heads') this.emit('onHeadHover', isPoint(info) ? info.index : null, info.x, info.y);
    else this.emit('onPointHover', isPoint(info) ? info.index : null, info.x, info.y);
  }

  private click(info: PickingInfo): void {
    if (this.scene?.kind === 'matrix') {
      const cell = this.cellAt(info);
      if (cell) this.emit('onCellClick', cell);
    } else if (this.scene?.kind === 'heads') {
      if (isPoint(info)) this.emit('onHeadClick', info.index);
    } else this.emit('onPointClick', isPoint(info) ? info.index : null);
  }

  private render(): void {
    const scene = this.scene;
    if (!scene) return;
    if (scene.kind === 'matrix' && this.pixels.refresh(scene, scene.version)) this.scheduleTiles();
    const layers =
      scene.kind === 'matrix'
        ? matrixLayers(scene, this.pixels)
        : scene.kind === 'heads'
          ? headsLayers(scene)
          : singleLayers(scene);
    this.deck.setProps({ layers });
  }

  // Once the view rests zoomed in, the cells on screen are redrawn at their screen resolution.
  private scheduleTiles(): void {
    clearTimeout(this.tileTimer);
    this.tileTimer = window.setTimeout(() => this.updateTiles(), 150);
  }

  private updateTiles(): void {
    const scene = this.scene;
    if (scene?.kind !== 'matrix' || !this.pixels.atlas) return;
    const scale = 2 ** this.viewState.zoom;
    const [w, h] = this.size();
    const [tx, ty] = this.viewState.target;
    const wanted = tilesWanted(
      scene,
      this.pixels.atlas.cellSize,
      scale * (window.devicePixelRatio || 1),
      [tx, ty],
      [w / 2 / scale, h / 2 / scale],
    );
    if (this.pixels.updateTiles(scene, wanted)) this.render();
  }
}
