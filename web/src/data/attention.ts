// Transforms of one input's attention matrix (T x T, row i = query i's weights over keys).

export interface KeyLines {
  query: Int32Array;
  key: Int32Array;
  weight: Float32Array;
}

// For each query, its `k` largest weights that are at least `minWeight` (ties: the earlier key).
export function topKeyLines(att: Float32Array, T: number, k = 2, minWeight = 0.05): KeyLines {
  const query: number[] = [];
  const key: number[] = [];
  const weight: number[] = [];
  for (let i = 0; i < T; i++) {
    const row = att.subarray(i * T, (i + 1) * T);
    const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a] || a - b);
    for (const j of order.slice(0, k)) {
      if (row[j] < minWeight) break;
      query.push(i);
      key.push(j);
      weight.push(row[j]);
    }
  }
  return { query: Int32Array.from(query), key: Int32Array.from(key), weight: Float32Array.from(weight) };
}

// Line segments of key lines in a head's layout (x,y,z a point, queries 0..N-1 then keys) for one input
// whose first token is `first`: from each line's query point to its key point, coloured `rgb` with the
// line's weight as opacity.
export interface Segments {
  source: Float32Array;
  target: Float32Array;
  colors: Uint8Array;
  count: number;
}

export function keyLineSegments(
  lines: KeyLines,
  first: number,
  n: number,
  positions: Float32Array,
  rgb: [number, number, number],
): Segments {
  const count = lines.query.length;
  const source = new Float32Array(count * 3);
  const target = new Float32Array(count * 3);
  const colors = new Uint8Array(count * 4);
  for (let k = 0; k < count; k++) {
    const q = first + lines.query[k];
    const key = n + first + lines.key[k];
    source.set(positions.subarray(q * 3, q * 3 + 3), k * 3);
    target.set(positions.subarray(key * 3, key * 3 + 3), k * 3);
    colors.set([rgb[0], rgb[1], rgb[2], Math.round(255 * lines.weight[k])], k * 4);
  }
  return { source, target, colors, count };
}

// Drops hidden tokens (hidden[t] = 1) as keys and renormalises each remaining row to sum 1; rows of hidden
// queries, and rows whose every visible key had zero weight, become all zero.
export function hideAndRenormalize(att: Float32Array, T: number, hidden: Uint8Array): Float32Array {
  const out = new Float32Array(T * T);
  for (let i = 0; i < T; i++) {
    if (hidden[i]) continue;
    let sum = 0;
    for (let j = 0; j < T; j++) if (!hidden[j]) sum += att[i * T + j];
    if (sum <= 0) continue;
    for (let j = 0; j < T; j++) if (!hidden[j]) out[i * T + j] = att[i * T + j] / sum;
  }
  return out;
}

// Tokens hidden by the "hide special tokens" toggle: BERT-style models hide [CLS]/[SEP] (the special flags),
// GPT-style (causal) models hide the first token, which soaks up attention.
export function hiddenTokens(special: ArrayLike<number>, T: number, causal: boolean): Uint8Array {
  const hidden = new Uint8Array(T);
  if (causal) hidden[0] = 1;
  else for (let t = 0; t < T; t++) hidden[t] = special[t] ? 1 : 0;
  return hidden;
}

// Mean weight by relative position d = key - query over all query-key pairs of the given matrices,
// for d in [-maxOffset, maxOffset] (offsets no pair has get 0).
export function aggregateByOffset(
  mats: { att: Float32Array; T: number }[],
  maxOffset: number,
): { offsets: number[]; mean: number[] } {
  const sum = new Float64Array(2 * maxOffset + 1);
  const count = new Float64Array(2 * maxOffset + 1);
  for (const { att, T } of mats) {
    for (let i = 0; i < T; i++) {
      for (let j = Math.max(0, i - maxOffset); j < Math.min(T, i + maxOffset + 1); j++) {
        sum[j - i + maxOffset] += att[i * T + j];
        count[j - i + maxOffset] += 1;
      }
    }
  }
  return {
    offsets: Array.from({ length: 2 * maxOffset + 1 }, (_, k) => k - maxOffset),
    mean: Array.from(sum, (s, k) => (count[k] ? s / count[k] : 0)),
  };
}

// For each query row, the key with the largest weight among `candidates` (indices into the row).
export function argmaxOver(att: Float32Array, T: number, candidates: number[]): Int32Array {
  const best = new Int32Array(T).fill(-1);
  for (let i = 0; i < T; i++) {
    let top = -Infinity;
    for (const j of candidates) {
      if (att[i * T + j] > top) {
        top = att[i * T + j];
        best[i] = j;
      }
    }
  }
  return best;
}
