// Ranges of values: the extent of an array, and a value's place in a range.

// Smallest and largest of the values, NaN skipped; null when there is no number.
export function extent(values: Iterable<number>): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

// `v` mapped linearly from [lo, hi] to [0, 1] (not clamped); an empty range maps lo to 0.
export function unitScale(v: number, [lo, hi]: [number, number]): number {
  return (v - lo) / (hi - lo || 1);
}
