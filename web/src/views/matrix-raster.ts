// Pixels of the matrix view: one atlas of every cell at a base resolution, and sharper tiles of the cells on
// screen once zoomed in. Each is a canvas that a deck.gl BitmapLayer shows at the cell's place.
import { makeTarget, rasterizeCell, rasterizeMarkers, type RasterTarget } from '../data/raster';
import { slotCell } from '../data/grid';

export interface MatrixPoints {
  rows: number;
  cols: number;
  pointsPerHead: number;
  slotOfHead: Int32Array; // head (layer-major) -> grid slot
  positions: Float32Array; // x,y a point in grid units
  colors: Uint8Array;
  radii: Float32Array | null;
  overlay: MatrixOverlay[]; // drawn over every cell's points, distinct (the probes)
}

// Points drawn over the dataset in every cell: `perHead` points a head, head-major x,y in grid units like
// `positions`, and one RGBA each (the same in every head) with one outline colour.
export interface MatrixOverlay {
  perHead: number;
  positions: Float32Array;
  colors: Uint8Array;
  outline: Uint8Array;
}

const CELL_BACKGROUND = [128, 128, 128, 22];

function fillCell(t: RasterTarget, left: number, top: number, size: number): void {
  const inset = Math.max(1, Math.round(size * 0.015));
  for (let y = top + inset; y < top + size - inset; y++) {
    for (let x = left + inset, o = (y * t.width + x) * 4; x < left + size - inset; x++, o += 4) {
      t.pixels.set(CELL_BACKGROUND, o);
    }
  }
}

function toCanvas(t: RasterTarget): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = t.width;
  canvas.height = t.height;
  canvas.getContext('2d')!.putImageData(new ImageData(t.pixels, t.width, t.height), 0, 0);
  return canvas;
}

const dotFor = (size: number) => Math.max(1, Math.round(size / 90));

// Head k's points, then the overlay's, into the `size`-pixel square at (left, top) of the target.
function drawHead(target: RasterTarget, left: number, top: number, size: number, m: MatrixPoints, k: number) {
  const [cx, cy] = slotCell(m.slotOfHead[k], m.cols);
  const dot = dotFor(size);
  const n = m.pointsPerHead;
  rasterizeCell(target, left, top, size, m.positions, m.colors, m.radii, k * n, n, cx, cy, dot);
  for (const o of m.overlay) {
    const first = k * o.perHead;
    rasterizeMarkers(
      target,
      left,
      top,
      size,
      o.positions,
      o.colors,
      o.outline,
      first,
      o.perHead,
      cx,
      cy,
      3 * dot,
    );
  }
}

// Base resolution of a cell in the atlas: 128 pixels, less when the grid is so large the atlas would exceed
// 4096 pixels a side.
export function baseCellSize(rows: number, cols: number): number {
  return Math.max(16, Math.min(128, Math.floor(4096 / Math.max(rows, cols))));
}

export function rasterizeAtlas(m: MatrixPoints): { canvas: HTMLCanvasElement; cellSize: number } {
  const size = baseCellSize(m.rows, m.cols);
  const target = makeTarget(m.cols * size, m.rows * size);
  const heads = m.slotOfHead.length;
  for (let k = 0; k < heads; k++) {
    const [cx, cy] = slotCell(m.slotOfHead[k], m.cols);
    fillCell(target, cx * size, cy * size, size);
    drawHead(target, cx * size, cy * size, size, m, k);
  }
  return { canvas: toCanvas(target), cellSize: size };
}

export function rasterizeTile(m: MatrixPoints, head: number, size: number): HTMLCanvasElement {
  const target = makeTarget(size, size);
  fillCell(target, 0, 0, size);
  drawHead(target, 0, 0, size, m, head);
  return toCanvas(target);
}

// The cells that get a sharper tile (slot -> tile size in pixels) when the view shows a cell `cellPixels`
// device pixels wide: none while the atlas is sharp enough (up to 1.3x its cell size), else every cell
// on screen at the next power of two, at most 1024. `target` is the view's centre and `halfExtent` half
// the screen's width and height, both in grid units.
export function tilesWanted(
  m: Pick<MatrixPoints, 'rows' | 'cols'>,
  atlasCellSize: number,
  cellPixels: number,
  target: [number, number],
  halfExtent: [number, number],
): Map<number, number> {
  const wanted = new Map<number, number>();
  if (cellPixels <= atlasCellSize * 1.3) return wanted;
  const size = Math.min(1024, 2 ** Math.ceil(Math.log2(cellPixels)));
  const [tx, ty] = target;
  const [hx, hy] = halfExtent;
  for (let cy = Math.max(0, Math.floor(ty - hy)); cy <= Math.min(m.rows - 1, Math.floor(ty + hy)); cy++) {
    for (let cx = Math.max(0, Math.floor(tx - hx)); cx <= Math.min(m.cols - 1, Math.floor(tx + hx)); cx++) {
      wanted.set(cy * m.cols + cx, size);
    }
  }
  return wanted;
}

// The pixels drawn for a matrix scene: its atlas, redrawn when the scene's version changes, and the tiles
// of the cells on screen.
export class MatrixPixels {
  atlas: { canvas: HTMLCanvasElement; cellSize: number; version: number } | null = null;
  readonly tiles = new Map<number, { canvas: HTMLCanvasElement; size: number }>(); // by slot

  // Redraws the atlas (and drops the tiles) when the scene's version differs; true when it did.
  refresh(m: MatrixPoints, version: number): boolean {
    if (this.atlas?.version === version) return false;
    this.atlas = { ...rasterizeAtlas(m), version };
    this.tiles.clear();
    return true;
  }

  // Keeps the `wanted` tiles (slot -> size), drawing those missing or coarser; true when any changed.
  updateTiles(m: MatrixPoints, wanted: Map<number, number>): boolean {
    let changed = false;
    for (const slot of [...this.tiles.keys()]) {
      if (!wanted.has(slot)) {
        this.tiles.delete(slot);
        changed = true;
      }
    }
    const headOfSlot = new Map<number, number>();
    m.slotOfHead.forEach((slot, head) => headOfSlot.set(slot, head));
    for (const [slot, size] of wanted) {
      const head = headOfSlot.get(slot);
      if (head === undefined || (this.tiles.get(slot)?.size ?? 0) >= size) continue;
      this.tiles.set(slot, { canvas: rasterizeTile(m, head, size), size });
      changed = true;
    }
    return changed;
  }
}
