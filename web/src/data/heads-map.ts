// The heads view's points: every head of the run at its place on the heads map (GET /api/heads, `map`),
// coloured by layer, by type or by a cell metric, sized by one of its type scores; and its tooltip's lines.
import { interpolateBlues, interpolateViridis, schemeTableau10 } from 'd3-scale-chromatic';
import type { HeadsInfo } from '../api';
import { parseCssColor, type Legend, type Rgba } from './colors';
import { extent, unitScale } from './extent';
import { headLabel, headTypeBadges, typeLabel } from './names';

export type HeadsColor = 'layer' | 'type' | 'metric';

export interface HeadsPoints {
  positions: Float32Array; // x,y,z a head, the map scaled into [-1, 1] (z 0)
  colors: Uint8Array; // RGBA a head
  radii: Float32Array; // pixels
  legend: Legend;
}

const NONE: Rgba = [170, 170, 170, 255]; // a head without a type, or without the metric
const TYPES = Object.keys(headTypeBadges);
const RADIUS = 7; // pixels, every head when no score sizes them
const [SMALLEST, LARGEST] = [3, 16]; // pixels, at scores 0 and 1

const rgba = (css: string): Rgba => [...parseCssColor(css), 255];

// The type scores a heads map has (what can size its heads), in its order.
export function scoreNames(info: HeadsInfo): string[] {
  return Object.keys(info.heads[0]?.scores ?? {});
}

// The legend of colouring by type: the types that occur among `types`, then "no type".
export function typeLegend(types: (string | null)[]): Legend {
  const items = TYPES.filter((t) => types.includes(t)).map((t) => ({
    label: typeLabel(t),
    color: css(typeColor(t)),
  }));
  items.push({ label: 'no type', color: css(NONE) });
  return { kind: 'categorical', title: 'head type', items };
}

// One colour a head type (the same in every run), grey for none.
export function typeColor(type: string | null): Rgba {
  return type === null ? NONE : rgba(schemeTableau10[Math.max(0, TYPES.indexOf(type)) % 10]);
}

// The map's coordinates scaled into [-1, 1] (both axes by the same factor, centred), as x,y,0 per head.
export function mapPositions(map: [number, number][]): Float32Array {
  const out = new Float32Array(map.length * 3);
  if (map.length === 0) return out;
  const xs = map.map((p) => p[0]);
  const ys = map.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const half = Math.max(x1 - x0, y1 - y0) / 2 || 1;
  map.forEach(([x, y], k) => {
    out[3 * k] = (x - (x0 + x1) / 2) / half;
    out[3 * k + 1] = (y - (y0 + y1) / 2) / half;
  });
  return out;
}

// Each head's colour and the legend: by layer (viridis, first to last), by strongest type (one colour a type,
// grey for none), or by `metric` (per head, NaN for none; light to dark blue over its range).
export function headColors(
  info: HeadsInfo,
  by: HeadsColor,
  layers: number,
  metric: { name: string; values: Float32Array } | null,
): { colors: Rgba[]; legend: Legend } {
  const heads = info.heads;
  if (by === 'type') {
    return { colors: heads.map((h) => typeColor(h.type)), legend: typeLegend(heads.map((h) => h.type)) };
  }
  if (by === 'metric' && metric) {
    const range = extent(metric.values) ?? [0, 1];
    const colors = heads.map((_, k) =>
      Number.isNaN(metric.values[k])
        ? NONE
        : rgba(interpolateBlues(0.2 + 0.8 * unitScale(metric.values[k], range))),
    );
    return { colors, legend: continuous(metric.name, range, interpolateBlues) };
  }
  const colors = heads.map((h) => rgba(interpolateViridis(layers > 1 ? h.layer / (layers - 1) : 0)));
  return { colors, legend: continuous('layer', [0, layers - 1], interpolateViridis) };
}

const css = (c: Rgba) => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;

function continuous(title: string, [lo, hi]: [number, number], f: (t: number) => string): Legend {
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => f(t));
  const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(3));
  return { kind: 'continuous', title, min: fmt(lo), max: fmt(hi), stops };
}

// Radius (pixels) by `score` in [0, 1] (null: the score does not apply, smallest); every head alike for ''.
export function headRadii(info: HeadsInfo, score: string): Float32Array {
  return Float32Array.from(info.heads, (h) => {
    if (!score) return RADIUS;
    const v = h.scores[score];
    return SMALLEST + (LARGEST - SMALLEST) * Math.min(1, Math.max(0, v ?? 0));
  });
}

// Everything the heads view draws of the run's heads map.
export function headsPoints(
  info: HeadsInfo,
  color: HeadsColor,
  size: string,
  layers: number,
  metric: { name: string; values: Float32Array } | null,
): HeadsPoints {
  const { colors, legend } = headColors(info, color, layers, metric);
  const flat = new Uint8Array(colors.length * 4);
  colors.forEach((c, k) => flat.set(c, 4 * k));
  return {
    positions: mapPositions(info.heads.map((h) => h.map)),
    colors: flat,
    radii: headRadii(info, size),
    legend,
  };
}

// The tooltip of head k: its name and type, then every score ("n/a" where it does not apply).
export function headMapText(info: HeadsInfo, k: number): string {
  const h = info.heads[k];
  const lines = [`${headLabel(h)} · ${h.type ? typeLabel(h.type) : 'no type'}`];
  for (const [name, v] of Object.entries(h.scores))
    lines.push(`${typeLabel(name)}: ${v === null ? 'n/a' : v.toFixed(3)}`);
  return lines.join('\n');
}
