// Point sizes of the single view (radius in pixels a point, 2N points): by vector norm when asked, with the
// query and key of every search match enlarged. Null when every point keeps the default size.
import { extent, unitScale } from './extent';

// `norms`: |q| then |k| (2N values) when sizing by norm, else null; `matches`: token indices, or null.
export function pointSizes(
  n: number,
  norms: Float32Array | null,
  matches: ArrayLike<number> | null,
): Float32Array | null {
  let radii: Float32Array | null = null;
  const range = norms ? extent(norms) : null;
  if (norms && range) {
    radii = new Float32Array(2 * n);
    for (let p = 0; p < 2 * n; p++) radii[p] = 1.5 + 5 * unitScale(norms[p], range);
  }
  if (matches) {
    radii ??= new Float32Array(2 * n).fill(3);
    for (let i = 0; i < matches.length; i++) {
      radii[matches[i]] += 4;
      radii[matches[i] + n] += 4;
    }
  }
  return radii;
}
