// The matrix view's cells: where each head sits, its label and type badge, and its fill when a metric colours
// the cells.
import { interpolateBlues } from 'd3-scale-chromatic';
import { parseCssColor, type Rgba } from './colors';
import { extent, unitScale } from './extent';
import { headId } from './heads';
import { headLabel, headTypeBadge } from './names';
import { slotCell } from './grid';

export interface Cell {
  x: number; // grid column
  y: number; // grid row
  label: string;
  badge: string; // the head's type (heads map), short; '' for none
  color: Rgba | null; // null: no fill
}

// One cell a slot, for heads in `order` (slot -> head index) on a grid `heads` wide; `values` (per head,
// NaN for none) shade the cells from light to dark blue over their range; `types` (per head, the heads map's
// type or null) badge them.
export function matrixCells(
  order: number[],
  heads: number,
  values: Float32Array | undefined,
  types: (string | null)[] = [],
): Cell[] {
  const range = values ? extent(values) : null;
  return order.map((k, slot) => {
    const [x, y] = slotCell(slot, heads);
    let color: Rgba | null = null;
    if (values && range && !Number.isNaN(values[k])) {
      const [r, g, b] = parseCssColor(interpolateBlues(0.15 + 0.7 * unitScale(values[k], range)));
      color = [r, g, b, 110];
    }
    return { x, y, label: headLabel(headId(k, heads)), badge: headTypeBadge(types[k]), color };
  });
}
