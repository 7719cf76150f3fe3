// Probes, pure parts: the page's list of inputs of the user's own (POST /api/probe), what the list says about
// each, the image a probe sends, and where and in which colours their points are drawn. A probe's points are
// placed in their head's frame (the dataset's extent), so they land among the dataset's points as the server
// placed them.
import type { ProbeReply } from '../api';
import type { Rgba } from './colors';
import { CELL_PAD, fitIntoCell, flatForCell, slotCell, type Bounds } from './grid';

export interface Probe extends ProbeReply {
  label: string; // the text typed, or the image file's name
  image: string | null; // data URL of the image probed (image runs), for the side panel
}

// The page keeps the latest probes (the server keeps 64): enough to compare, few enough to tell apart.
export const MAX_PROBES = 8;

// Colours of a probe's queries and keys: apart from the dataset's green / pink and from every colour mode's
// extremes, and outlined in the text colour.
export const PROBE_QUERY: Rgba = [255, 140, 0, 255];
export const PROBE_KEY: Rgba = [40, 90, 230, 255];

// The list with `p` added last, the oldest dropped beyond MAX_PROBES.
export function withProbe(list: Probe[], p: Probe): Probe[] {
  return [...list, p].slice(-MAX_PROBES);
}

// The list without probe `id`, and the probe to show next: the same when another was shown, else the latest.
export function withoutProbe(
  list: Probe[],
  active: string | null,
  id: string,
): { probes: Probe[]; activeProbe: string | null } {
  const probes = list.filter((p) => p.id !== id);
  const keep = active !== id && probes.some((p) => p.id === active);
  return { probes, activeProbe: keep ? active : (probes.at(-1)?.id ?? null) };
}

// What the list says about a probe besides its text: "12 tokens", ", truncated" when the model cut it.
export function probeSummary(p: Pick<ProbeReply, 'token_count' | 'truncated'>): string {
  const tokens = `${p.token_count} token${p.token_count === 1 ? '' : 's'}`;
  return p.truncated ? `${tokens}, truncated` : tokens;
}

// Base64 of a file's bytes (the image a probe sends), in chunks so a large file does not overflow the stack.
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

// RGBA of a probe's 2T points: its T queries, then its T keys.
export function probeColors(T: number): Uint8Array {
  const out = new Uint8Array(2 * T * 4);
  for (let p = 0; p < 2 * T; p++) out.set(p < T ? PROBE_QUERY : PROBE_KEY, p * 4);
  return out;
}

// Points of several probes drawn together: positions (`stride` floats a point) and colours, concatenated.
export interface ProbePoints {
  positions: Float32Array;
  colors: Uint8Array;
  count: number;
}

export function concatPoints(parts: { positions: Float32Array; T: number }[], stride: number): ProbePoints {
  const count = parts.reduce((sum, p) => sum + 2 * p.T, 0);
  const positions = new Float32Array(count * stride);
  const colors = new Uint8Array(count * 4);
  let at = 0;
  for (const p of parts) {
    positions.set(p.positions, at * stride);
    colors.set(probeColors(p.T), at * 4);
    at += 2 * p.T;
  }
  return { positions, colors, count };
}

// Matrix view: x,y (grid units) of a probe's 2T points in every head's cell, head-major like the dataset's.
// `coords` is [heads x 2T x dim]; `frames[k]` the extent head k's dataset points fill their cell with (of the
// flat coordinates: 3D heads are seen obliquely, as matrix.ts draws them).
export function placeInCells(
  coords: Float32Array,
  dim: number,
  T: number,
  frames: Bounds[],
  slotOfHead: Int32Array,
  cols: number,
): Float32Array {
  const points = 2 * T;
  const out = new Float32Array(frames.length * points * 2);
  frames.forEach((frame, k) => {
    const head = coords.subarray(k * points * dim, (k + 1) * points * dim);
    const [cx, cy] = slotCell(slotOfHead[k], cols);
    fitIntoCell(flatForCell(head, dim), 2, 0, points, out, k * points, cx, cy, CELL_PAD, frame);
  });
  return out;
}

// Token labels of a probe in the single view: each query and key labelled with its token in its colour.
export function probeLabels(
  tokens: string[],
  positions: Float32Array,
): { position: [number, number, number]; text: string; color: Rgba }[] {
  const T = tokens.length;
  return Array.from({ length: 2 * T }, (_, p) => ({
    position: [positions[p * 3], positions[p * 3 + 1], positions[p * 3 + 2]] as [number, number, number],
    text: tokens[p % T],
    color: p < T ? PROBE_QUERY : PROBE_KEY,
  }));
}
