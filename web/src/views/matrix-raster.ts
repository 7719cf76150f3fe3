// Pixels of the matrix view: one atlas of every cell at a base resolution, and sharper tiles of the cells on
// screen once zoomed in. Each is a canvas that a deck.gl BitmapLayer shows at the cell's place.
import { makeTarget, rasterizeCell, type RasterTarget } from '../data/raster';
import { slotCell } from '../data/grid';

export interface MatrixPoints {
  rows: number;
  cols: number;
  pointsPerHead: number;
  slotOfHead: Int32Array; // head (layer-major) -> grid slot
  positions: Float32Array; // x,y a point in grid units
  colors: Uint8Array;
  radii: Float32Array | null;
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
    rasterizeCell(
      target,
      cx * size,
      cy * size,
      size,
      m.positions,
      m.colors,
      m.radii,
      k * m.pointsPerHead,
      m.pointsPerHead,
      cx,
      cy,
      dotFor(size),
    );
  }
  return { canvas: toCanvas(target), cellSize: size };
}

export function rasterizeTile(m: MatrixPoints, head: number, size: number): HTMLCanvasElement {
  const target = makeTarget(size, size);
  const [cx, cy] = slotCell(m.slotOfHead[head], m.cols);
  fillCell(target, 0, 0, size);
  rasterizeCell(
    target,
    0,
    0,
    size,
    m.positions,
    m.colors,
    m.radii,
    head * m.pointsPerHead,
    m.pointsPerHead,
    cx,
    cy,
    dotFor(size),
  );
  return toCanvas(target);
}
