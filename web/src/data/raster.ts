// CPU rasterisation of a matrix cell's points into RGBA pixels. Software WebGL (SwiftShader, what a machine
// without a GPU has) needs seconds per frame for millions of instanced points, so the matrix view draws each
// head once into pixels and lets the GPU pan and zoom textures; zoomed-in cells are redrawn sharper.

export interface RasterTarget {
  pixels: Uint8ClampedArray<ArrayBuffer>; // RGBA, row-major, `width` pixels a row
  width: number;
  height: number;
}

export function makeTarget(width: number, height: number): RasterTarget {
  return { pixels: new Uint8ClampedArray(width * height * 4), width, height };
}

// Draws points first..first+count-1 (x,y in grid units, the cell being [originX, originX+1] x
// [originY, originY+1]) as squares `dot` pixels wide into the `size` x `size` region at (left, top) of the
// target, compositing "over". `radii` (optional, pixels in the matrix's units of 1 = normal) scale the dot;
// larger points are drawn after all others so emphasis stays on top.
export function rasterizeCell(
  target: RasterTarget,
  left: number,
  top: number,
  size: number,
  positions: Float32Array,
  colors: Uint8Array,
  radii: Float32Array | null,
  first: number,
  count: number,
  originX: number,
  originY: number,
  dot: number,
): void {
  const draw = (emphasised: boolean) => {
    for (let p = first; p < first + count; p++) {
      const r = radii ? radii[p] : 1;
      if (emphasised !== r > 1) continue;
      const side = Math.max(1, Math.round(dot * r));
      const x = Math.floor((positions[p * 2] - originX) * size - side / 2);
      const y = Math.floor((positions[p * 2 + 1] - originY) * size - side / 2);
      fillSquare(target, left, top, size, x, y, side, colors, p);
    }
  };
  draw(false);
  if (radii) draw(true);
}

// Draws points first..first+count-1 (as rasterizeCell) as markers that stand out from the dataset's dots:
// squares `side` pixels wide, ringed by a 1-pixel `outline` (one RGBA), over whatever is drawn. `colors` has
// one RGBA for each of the `count` points (not indexed by `first`: every head's points share them).
export function rasterizeMarkers(
  target: RasterTarget,
  left: number,
  top: number,
  size: number,
  positions: Float32Array,
  colors: Uint8Array,
  outline: Uint8Array,
  first: number,
  count: number,
  originX: number,
  originY: number,
  side: number,
): void {
  for (let p = first; p < first + count; p++) {
    const x = Math.floor((positions[p * 2] - originX) * size - side / 2);
    const y = Math.floor((positions[p * 2 + 1] - originY) * size - side / 2);
    fillSquare(target, left, top, size, x - 1, y - 1, side + 2, outline, 0);
    fillSquare(target, left, top, size, x, y, side, colors, p - first);
  }
}

function fillSquare(
  t: RasterTarget,
  left: number,
  top: number,
  size: number,
  x: number,
  y: number,
  side: number,
  colors: Uint8Array,
  p: number,
): void {
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(size, x + side);
  const y1 = Math.min(size, y + side);
  if (x0 >= x1 || y0 >= y1) return;
  const r = colors[p * 4];
  const g = colors[p * 4 + 1];
  const b = colors[p * 4 + 2];
  const a = colors[p * 4 + 3] / 255;
  const px = t.pixels;
  for (let yy = y0; yy < y1; yy++) {
    let o = ((top + yy) * t.width + left + x0) * 4;
    for (let xx = x0; xx < x1; xx++, o += 4) {
      if (a >= 1) {
        px[o] = r;
        px[o + 1] = g;
        px[o + 2] = b;
        px[o + 3] = 255;
      } else {
        const da = px[o + 3] / 255;
        const oa = a + da * (1 - a);
        px[o] = (r * a + px[o] * da * (1 - a)) / oa;
        px[o + 1] = (g * a + px[o + 1] * da * (1 - a)) / oa;
        px[o + 2] = (b * a + px[o + 2] * da * (1 - a)) / oa;
        px[o + 3] = oa * 255;
      }
    }
  }
}
