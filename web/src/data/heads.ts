// Heads of a run: a head's index (layer-major, 0..L*H-1) and its layer and head, and the order the matrix
// view shows them in.
import { sortHeads } from './metrics';

export interface HeadId {
  layer: number;
  head: number;
}

export function headIndex({ layer, head }: HeadId, heads: number): number {
  return layer * heads + head;
}

export function headId(index: number, heads: number): HeadId {
  return { layer: Math.floor(index / heads), head: index % heads };
}

// Head indices in the order of the matrix's cells: when sorting, `similar` (the heads map's order, similar
// heads next to each other) when given, else by `values` (descending); else layer-major.
export function headOrder(
  count: number,
  values: Float32Array | undefined,
  sort: boolean,
  similar?: number[],
): number[] {
  if (sort && similar?.length === count) return [...similar];
  return sort && values ? sortHeads(values) : Array.from({ length: count }, (_, k) => k);
}

// The head a go-to box names: "L3 H5", "l3h5", "3 5", "3,5", "3.5" (layer then head, from 0). An error
// message for anything else or a head outside the run's `layers` x `heads`.
export function parseHead(text: string, layers: number, heads: number): HeadId | string {
  const m = /^\s*(?:l(?:ayer)?\s*)?(\d{1,6})\s*[\s,.:/]?\s*(?:h(?:ead)?\s*)?(\d{1,6})\s*$/i.exec(text);
  if (!m) return `"${text.trim()}" is not a head: type it as L3 H5`;
  const head = { layer: Number(m[1]), head: Number(m[2]) };
  if (head.layer >= layers || head.head >= heads)
    return `no head L${head.layer} H${head.head}: the run has layers 0-${layers - 1} and heads 0-${heads - 1}`;
  return head;
}

// The head `step` places after (or before, when negative) `from` in layer-major order, wrapping around.
export function stepHead(from: HeadId, step: number, layers: number, heads: number): HeadId {
  const count = layers * heads;
  return headId((((headIndex(from, heads) + step) % count) + count) % count, heads);
}
