// Selections of points (issue 14 item 1): which points a lasso or box drawn on screen encloses, merging
// selections, how a selection looks in a head (highlighted, the rest faded when isolating), what it contains
// (counts, frequent tokens, positions, inputs) and its CSV export.
//
// A selection is a sorted Int32Array of JOINT point indices 0..2N-1 (queries 0..N-1, keys N..2N-1): the same
// points in every head, which is what lets a selection made in one head be shown in every other.
import type { Rgba } from './colors';
import { pointToken, type Tokens } from './tokens';

export const HIGHLIGHT: Rgba = [255, 140, 0, 255];

// Whether (x, y) is inside `polygon` (x0,y0,x1,y1,... in the same units), by the even-odd rule.
export function pointInPolygon(x: number, y: number, polygon: ArrayLike<number>): boolean {
  const count = polygon.length >> 1;
  let inside = false;
  for (let i = 0, j = count - 1; i < count; j = i++) {
    const [xi, yi, xj, yj] = [polygon[2 * i], polygon[2 * i + 1], polygon[2 * j], polygon[2 * j + 1]];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

// Points whose screen position (x,y a point; NaN when not on screen) is inside the polygon. A polygon of
// fewer than 3 corners encloses nothing.
export function pointsInPolygon(screen: Float32Array, polygon: ArrayLike<number>): Int32Array {
  if (polygon.length < 6) return new Int32Array(0);
  const inside: number[] = [];
  for (let p = 0; p < screen.length / 2; p++) {
    if (pointInPolygon(screen[2 * p], screen[2 * p + 1], polygon)) inside.push(p);
  }
  return Int32Array.from(inside);
}

// Points whose screen position is inside the box with corners (x0, y0) and (x1, y1), in any order.
export function pointsInBox(
  screen: Float32Array,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): Int32Array {
  const [left, right, top, bottom] = [Math.min(x0, x1), Math.max(x0, x1), Math.min(y0, y1), Math.max(y0, y1)];
  const inside: number[] = [];
  for (let p = 0; p < screen.length / 2; p++) {
    const [x, y] = [screen[2 * p], screen[2 * p + 1]];
    if (x >= left && x <= right && y >= top && y <= bottom) inside.push(p);
  }
  return Int32Array.from(inside);
}

// The sorted union of two selections.
export function unionSelection(a: Int32Array, b: Int32Array): Int32Array {
  return Int32Array.from(new Set([...a, ...b])).sort();
}

// 0/1 mask over the 2N joint points.
export function selectionMask(selection: Int32Array, points: number): Uint8Array {
  const mask = new Uint8Array(points);
  for (const p of selection) if (p >= 0 && p < points) mask[p] = 1;
  return mask;
}

// A head's colours (RGBA, 2N points) with the selected points in the highlight colour and, when isolating,
// every other point at alpha `faded`.
export function brushColors(
  colors: Uint8Array,
  mask: Uint8Array,
  isolate: boolean,
  faded: number,
): Uint8Array {
  const out = colors.slice();
  for (let p = 0; p < mask.length; p++) {
    if (mask[p]) out.set(HIGHLIGHT, p * 4);
    else if (isolate) out[p * 4 + 3] = Math.min(out[p * 4 + 3], faded);
  }
  return out;
}

// Point sizes with the selected points `big` (so that they are drawn on top), the others as in `radii`
// (or `base` when there are none).
export function brushRadii(
  radii: Float32Array | null,
  mask: Uint8Array,
  base: number,
  big: number,
): Float32Array {
  const out = radii ? radii.slice() : new Float32Array(mask.length).fill(base);
  for (let p = 0; p < mask.length; p++) if (mask[p]) out[p] = Math.max(out[p], big);
  return out;
}

export interface InputTouched {
  sequence: number;
  count: number; // selected points in it
  firstPoint: number; // the first selected point in it (opens its sentence view)
}

export interface SelectionSummary {
  queries: number;
  keys: number;
  topTokens: [string, number][]; // most frequent token texts, most frequent first
  positions: Int32Array; // how many selected points at each position 0..max
  inputs: InputTouched[]; // most selected points first
}

// What a selection contains: counts of queries and keys, the `top` most frequent tokens (ties by text), the
// histogram of positions and the inputs it touches.
export function summarizeSelection(selection: Int32Array, tokens: Tokens, top = 10): SelectionSummary {
  const n = tokens.n;
  const byText = new Map<string, number>();
  const byInput = new Map<number, InputTouched>();
  let queries = 0;
  let maxPosition = -1;
  for (const p of selection) {
    const { token, isKey } = pointToken(p, n);
    if (!isKey) queries++;
    const text = tokens.text[token];
    byText.set(text, (byText.get(text) ?? 0) + 1);
    maxPosition = Math.max(maxPosition, tokens.position[token]);
    const sequence = tokens.sequence[token];
    const input = byInput.get(sequence) ?? { sequence, count: 0, firstPoint: p };
    input.count++;
    byInput.set(sequence, input);
  }
  const positions = new Int32Array(maxPosition + 1);
  for (const p of selection) positions[tokens.position[pointToken(p, n).token]]++;
  const topTokens = [...byText].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, top);
  const inputs = [...byInput.values()].sort((a, b) => b.count - a.count || a.sequence - b.sequence);
  return { queries, keys: selection.length - queries, topTokens, positions, inputs };
}

// A CSV field: quoted (RFC 4180) when it holds a comma, quote or line break. A text (a token: the dataset's,
// so anyone's) starting with = + - @ tab or CR gets a leading ' so a spreadsheet shows it rather than runs it
// as a formula (OWASP's CSV injection advice); token_id still names the exact token.
function csvField(value: string | number): string {
  const text = typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// The selection as CSV, one row a point: token, token_id, input, position, kind (query / key), and x, y of
// the point in `coords` (the current head's layout, `dim` numbers a point).
export function selectionCsv(
  selection: Int32Array,
  tokens: Tokens,
  coords: Float32Array,
  dim: number,
): string {
  const rows = ['token,token_id,input,position,kind,x,y'];
  for (const p of selection) {
    const { token, isKey } = pointToken(p, tokens.n);
    const fields = [
      tokens.text[token],
      tokens.tokenId[token],
      tokens.sequence[token],
      tokens.position[token],
      isKey ? 'key' : 'query',
      coords[p * dim],
      coords[p * dim + 1],
    ];
    rows.push(fields.map(csvField).join(','));
  }
  return rows.join('\n') + '\n';
}
