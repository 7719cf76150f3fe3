// Placement of coordinates: each head's layout scaled into its matrix cell, or into the unit box for the
// single view. Aspect ratio is kept; the longer side fills the cell minus padding.

export interface Bounds {
  min: number[];
  max: number[];
}

// Bounds of `count` points of `dim` coordinates starting at point `first` of `src`.
export function bounds(src: Float32Array, dim: number, first: number, count: number): Bounds {
  const min = new Array(dim).fill(Infinity);
  const max = new Array(dim).fill(-Infinity);
  for (let i = first * dim, end = (first + count) * dim; i < end; i += dim) {
    for (let d = 0; d < dim; d++) {
      const v = src[i + d];
      if (v < min[d]) min[d] = v;
      if (v > max[d]) max[d] = v;
    }
  }
  return { min, max };
}

// Writes x,y of `count` points (first two coordinates of `dim`) into `out` at point `outFirst` (2 floats a
// point), fitted into the square [cellX+pad, cellX+1-pad] x [cellY+pad, cellY+1-pad]. `frame` is the extent
// that fills the cell: by default the points' own; a probe's points are placed in their head's frame. Returns
// the frame used.
export function fitIntoCell(
  src: Float32Array,
  dim: number,
  first: number,
  count: number,
  out: Float32Array,
  outFirst: number,
  cellX: number,
  cellY: number,
  pad: number,
  frame: Bounds = bounds(src, dim, first, count),
): Bounds {
  const span = Math.max(frame.max[0] - frame.min[0], frame.max[1] - frame.min[1]) || 1;
  const scale = (1 - 2 * pad) / span;
  const cx = (frame.min[0] + frame.max[0]) / 2;
  const cy = (frame.min[1] + frame.max[1]) / 2;
  for (let i = 0; i < count; i++) {
    const s = (first + i) * dim;
    const o = (outFirst + i) * 2;
    out[o] = cellX + 0.5 + (src[s] - cx) * scale;
    out[o + 1] = cellY + 0.5 + (src[s + 1] - cy) * scale;
  }
  return frame;
}

// Padding of a head inside its matrix cell (a fraction of the cell).
export const CELL_PAD = 0.06;

// A head's coordinates as its matrix cell shows them: 3D heads seen from the single view's initial 3D camera
// angle, 2D ones as they are.
export function flatForCell(coords: Float32Array, dim: number): Float32Array {
  return dim === 3 ? obliqueProjection(coords, 35, 40) : coords;
}

// Centres the points and scales them so the longest side spans [-1, 1]; returns x,y,z a point (z = 0 in 2D).
// `frame` is the extent that fills the box: by default the points' own (a probe's points use their head's).
export function fitIntoUnitBox(
  src: Float32Array,
  dim: number,
  frame: Bounds = bounds(src, dim, 0, src.length / dim),
): Float32Array {
  const count = src.length / dim;
  let span = 0;
  for (let d = 0; d < dim; d++) span = Math.max(span, frame.max[d] - frame.min[d]);
  const scale = 2 / (span || 1);
  const out = new Float32Array(count * 3);
  for (let i = 0; i < count; i++) {
    for (let d = 0; d < dim; d++) {
      out[i * 3 + d] = (src[i * dim + d] - (frame.min[d] + frame.max[d]) / 2) * scale;
    }
  }
  return out;
}

// Point `p` of positions stored x,y,z a point.
export function point3(positions: Float32Array, p: number): [number, number, number] {
  return [positions[p * 3], positions[p * 3 + 1], positions[p * 3 + 2]];
}

// Cell of the grid position `slot` (reading order) in a grid `cols` wide.
export function slotCell(slot: number, cols: number): [number, number] {
  return [slot % cols, Math.floor(slot / cols)];
}

// Linear blend of two equally long coordinate arrays, t in [0, 1], for animated transitions.
export function blend(a: Float32Array, b: Float32Array, t: number, out: Float32Array): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = a[i] + (b[i] - a[i]) * t;
  return out;
}

// x,y of 3D points seen from a camera tilted by `pitch` degrees about x after turning `yaw` degrees about y
// (the orbit view's rotationX / rotationOrbit with y up), for drawing 3D layouts flat.
export function obliqueProjection(src: Float32Array, pitch: number, yaw: number): Float32Array {
  const count = src.length / 3;
  const [cy, sy] = [Math.cos((yaw * Math.PI) / 180), Math.sin((yaw * Math.PI) / 180)];
  const [cp, sp] = [Math.cos((pitch * Math.PI) / 180), Math.sin((pitch * Math.PI) / 180)];
  const out = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    const [x, y, z] = [src[i * 3], src[i * 3 + 1], src[i * 3 + 2]];
    const z1 = -x * sy + z * cy;
    out[i * 2] = x * cy + z * sy;
    out[i * 2 + 1] = y * cp - z1 * sp;
  }
  return out;
}
