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
