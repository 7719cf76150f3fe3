// Token labels on screen without overlaps: greedy in priority order, each accepted label's box blocks the
// cells of a coarse spatial hash so every test is local.

export interface LabelCandidates {
  x: Float32Array; // screen position of the anchor (label starts right of it)
  y: Float32Array;
  width: Float32Array; // label box width in pixels
  height: number;
}

export function placeLabels(
  c: LabelCandidates,
  order: ArrayLike<number>,
  viewW: number,
  viewH: number,
  max: number,
): number[] {
  const cell = 32;
  const grid = new Map<number, number[]>();
  const boxes: number[] = []; // x0, y0, x1, y1 per accepted label
  const accepted: number[] = [];
  const key = (cx: number, cy: number) => cy * 100003 + cx;
  for (let k = 0; k < order.length && accepted.length < max; k++) {
    const i = order[k];
    const x0 = c.x[i] + 3;
    const y0 = c.y[i] - c.height / 2;
    const x1 = x0 + c.width[i];
    const y1 = y0 + c.height;
    if (x0 < 0 || y0 < 0 || x1 > viewW || y1 > viewH) continue;
    const cx0 = Math.floor(x0 / cell);
    const cx1 = Math.floor(x1 / cell);
    const cy0 = Math.floor(y0 / cell);
    const cy1 = Math.floor(y1 / cell);
    let free = true;
    for (let cy = cy0; cy <= cy1 && free; cy++) {
      for (let cx = cx0; cx <= cx1 && free; cx++) {
        for (const b of grid.get(key(cx, cy)) ?? []) {
          if (x0 < boxes[b + 2] && boxes[b] < x1 && y0 < boxes[b + 3] && boxes[b + 1] < y1) {
            free = false;
            break;
          }
        }
      }
    }
    if (!free) continue;
    const b = boxes.length;
    boxes.push(x0, y0, x1, y1);
    for (let cy = cy0; cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) {
        const list = grid.get(key(cx, cy));
        if (list) list.push(b);
        else grid.set(key(cx, cy), [b]);
      }
    }
    accepted.push(i);
  }
  return accepted;
}
