// What the matrix view draws for its scene: metric fills behind the cells, the atlas of every head's points
// and the sharper tiles as deck.gl bitmaps, and the cell labels on a 2D canvas above the WebGL one (crisp at
// every zoom, and no text shader to compile before the matrix can show: slow on software WebGL).
import { BitmapLayer, SolidPolygonLayer } from '@deck.gl/layers';
import type { Cell } from '../data/cells';
import type { MatrixPixels } from './matrix-raster';
import type { MatrixScene } from './scenes';

export function matrixLayers(s: MatrixScene, pixels: MatrixPixels) {
  const coloured = s.cells.some((c) => c.color);
  // y grows downwards in this view: a cell's top edge is its smaller y.
  const layers: unknown[] = [
    coloured &&
      new SolidPolygonLayer({
        id: 'cells',
        data: s.cells,
        getPolygon: (c: Cell) => [
          [c.x + 0.02, c.y + 0.02],
          [c.x + 0.98, c.y + 0.02],
          [c.x + 0.98, c.y + 0.98],
          [c.x + 0.02, c.y + 0.98],
        ],
        getFillColor: (c: Cell) => c.color ?? [0, 0, 0, 0],
        updateTriggers: { getFillColor: s.version },
      }),
    new BitmapLayer({
      id: `atlas-${s.version}`,
      image: pixels.atlas!.canvas,
      bounds: [0, s.rows, s.cols, 0],
    }),
  ];
  for (const [slot, tile] of pixels.tiles) {
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

// Draws each cell's label at its top-left corner, and its type badge at its top-right, into `overlay` (the canvas's size in CSS pixels, `w` x `h`),
// or clears it when `scene` is null.
export function drawCellLabels(
  overlay: HTMLCanvasElement,
  scene: MatrixScene | null,
  project: (position: number[]) => [number, number] | null,
  w: number,
  h: number,
): void {
  const ratio = window.devicePixelRatio || 1;
  if (overlay.width !== Math.round(w * ratio) || overlay.height !== Math.round(h * ratio)) {
    overlay.width = Math.round(w * ratio);
    overlay.height = Math.round(h * ratio);
  }
  const ctx = overlay.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  if (!scene) return;
  const [r, g, b, a] = scene.textColor;
  ctx.fillStyle = `rgba(${r}, ${g}, ${b}, ${a / 255})`;
  ctx.font = '11px monospace';
  ctx.textBaseline = 'top';
  const visible = (p: [number, number] | null): p is [number, number] =>
    !!p && p[0] > -60 && p[1] > -20 && p[0] < w + 60 && p[1] < h;
  for (const cell of scene.cells) {
    const p = project([cell.x + 0.04, cell.y + 0.04, 0]);
    if (visible(p)) ctx.fillText(cell.label, p[0], p[1]);
  }
  ctx.textAlign = 'right';
  for (const cell of scene.cells) {
    const p = cell.badge ? project([cell.x + 0.96, cell.y + 0.04, 0]) : null;
    if (visible(p)) ctx.fillText(cell.badge, p[0], p[1]);
  }
  ctx.textAlign = 'left';
}
