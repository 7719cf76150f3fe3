// Token search: the server's matching rule (display string trimmed and lowercased equals the query trimmed and
// lowercased), and the per-point emphasis a result gives.

export function normalizeQuery(text: string): string {
  return text.trim().toLowerCase();
}

export function matchTokens(texts: string[], query: string): Int32Array {
  const q = normalizeQuery(query);
  const hits: number[] = [];
  if (q === '') return new Int32Array(0);
  texts.forEach((t, i) => {
    if (normalizeQuery(t) === q) hits.push(i);
  });
  return Int32Array.from(hits);
}

// Radius of each of the 2N points: `big` for the query and the key of every matching token, else `base`.
export function searchRadii(indices: ArrayLike<number>, n: number, base: number, big: number): Float32Array {
  const radii = new Float32Array(2 * n).fill(base);
  for (let i = 0; i < indices.length; i++) {
    const t = indices[i];
    if (t < 0 || t >= n) throw new Error(`search result ${t} outside the ${n} tokens`);
    radii[t] = big;
    radii[t + n] = big;
  }
  return radii;
}

// 0/1 mask over tokens for a list of token indices.
export function tokenMask(indices: ArrayLike<number>, n: number): Uint8Array {
  const mask = new Uint8Array(n);
  for (let i = 0; i < indices.length; i++) mask[indices[i]] = 1;
  return mask;
}
