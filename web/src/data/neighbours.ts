// A point's neighbours in a layout, to set beside its true neighbours (GET /api/neighbours): the layout's
// nearest points of the other kind (a query's keys, a key's queries) and how many of the true ones they hold.
// The k points of the other kind nearest `point` (Euclidean) in `coords` [2n x dim], nearest first, ties by
// the lower index: joint indices n..2n-1 for a query, 0..n-1 for a key.
export function nearestOfOtherKind(coords: Float32Array, dim: number, point: number, n: number, k: number) {
  const first = point < n ? n : 0;
  const distance = (j: number) => {
    let sum = 0;
    for (let c = 0; c < dim; c++) sum += (coords[j * dim + c] - coords[point * dim + c]) ** 2;
    return sum;
  };
  const candidates = Array.from({ length: n }, (_, i) => ({ j: first + i, d: distance(first + i) }));
  candidates.sort((a, b) => a.d - b.d || a.j - b.j);
  return Int32Array.from(candidates.slice(0, k), (c) => c.j);
}

// |a ∩ b| / |a|: the share of the true neighbours `a` that the layout's neighbours `b` hold (0 when a is
// empty).
export function overlap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length === 0) return 0;
  const inB = new Set(Array.from(b));
  let shared = 0;
  for (let i = 0; i < a.length; i++) shared += inB.has(a[i]) ? 1 : 0;
  return shared / a.length;
}
