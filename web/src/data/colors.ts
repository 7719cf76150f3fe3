// Colour modes: one RGBA a point (queries 0..N-1 then keys), and the legend that explains it.
import {
  interpolateViridis,
  interpolatePlasma,
  interpolateCividis,
  interpolateTurbo,
  interpolateYlOrRd,
  interpolateCool,
  schemeTableau10,
} from 'd3-scale-chromatic';
import { extent, unitScale } from './extent';
import { isPunctuation, type Tokens } from './tokens';

export type ColorMode =
  | 'qk'
  | 'position'
  | 'position-mod-5'
  | 'punctuation'
  | 'norm'
  | 'value-norm'
  | 'token-length'
  | 'input-length'
  | 'frequency'
  | 'patch-row'
  | 'patch-col';

export const colorModeLabels: Record<ColorMode, string> = {
  qk: 'query / key',
  position: 'normalised position',
  'position-mod-5': 'position mod 5',
  punctuation: 'punctuation & special',
  norm: 'vector norm',
  'value-norm': 'value norm',
  'token-length': 'token length',
  'input-length': 'input length',
  frequency: 'token frequency',
  'patch-row': 'patch row',
  'patch-col': 'patch column',
};

// The modes a run offers (the toolbar's menu and the URL's accepted `color`); 'value-norm' only when it holds
// value vectors.
export function colorModesFor({
  modality,
  hasValues,
}: {
  modality: string;
  hasValues: boolean;
}): ColorMode[] {
  const modes: ColorMode[] =
    modality === 'image'
      ? ['qk', 'patch-row', 'patch-col', 'position', 'norm']
      : [
          'qk',
          'position',
          'position-mod-5',
          'punctuation',
          'norm',
          'token-length',
          'input-length',
          'frequency',
        ];
  if (hasValues) modes.splice(modes.indexOf('norm') + 1, 0, 'value-norm');
  return modes;
}

// Modes whose colours differ from head to head (the matrix view fetches and colours each head).
export const perHeadColorModes: ReadonlySet<ColorMode> = new Set(['norm', 'value-norm']);

export type Legend =
  | { kind: 'categorical'; title: string; items: { label: string; color: string }[] }
  | { kind: 'continuous'; title: string; min: string; max: string; stops: string[] };

export const QUERY_COLOR: [number, number, number] = [95, 175, 95];
export const KEY_COLOR: [number, number, number] = [230, 110, 180];
const SPECIAL_COLOR: [number, number, number] = [220, 140, 30];
const PUNCT_COLOR: [number, number, number] = [70, 120, 220];
const OTHER_COLOR: [number, number, number] = [170, 170, 170];
const NEUTRAL_COLOR: [number, number, number] = [205, 205, 205]; // queries in the key-only 'value-norm' mode

type Rgb = [number, number, number];
export type Rgba = [number, number, number, number];

// The colour of text drawn on the canvas (the page's --fg of each theme).
export function textColor(theme: 'light' | 'dark'): Rgba {
  return theme === 'dark' ? [230, 232, 235, 255] : [29, 31, 36, 255];
}

export function parseCssColor(css: string): Rgb {
  const hex = css.match(/^#([0-9a-f]{6})$/i);
  if (hex) {
    const v = parseInt(hex[1], 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  const rgb = css.match(/^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  throw new Error(`unsupported colour ${css}`);
}

const toCss = (c: Rgb) => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;

function put(out: Uint8Array, point: number, c: Rgb, alpha = 255): void {
  out[point * 4] = c[0];
  out[point * 4 + 1] = c[1];
  out[point * 4 + 2] = c[2];
  out[point * 4 + 3] = alpha;
}

// Table of 256 colours of a continuous scheme, so the per-point loop only indexes.
function ramp(interpolate: (t: number) => string): Rgb[] {
  return Array.from({ length: 256 }, (_, i) => parseCssColor(interpolate(i / 255)));
}

function rampStops(interpolate: (t: number) => string): string[] {
  return [0, 0.25, 0.5, 0.75, 1].map((t) => toCss(parseCssColor(interpolate(t))));
}

// Colours both the query and the key of every token from values v[token] scaled by [lo, hi].
function continuous(
  values: Float32Array,
  lo: number,
  hi: number,
  interpolate: (t: number) => string,
  n: number,
  out: Uint8Array,
): void {
  const table = ramp(interpolate);
  const range: [number, number] = [lo, hi];
  for (let p = 0; p < values.length; p++) {
    const t = Math.min(1, Math.max(0, unitScale(values[p], range)));
    put(out, p, table[Math.round(t * 255)]);
  }
  if (values.length === n) out.copyWithin(n * 4, 0, n * 4);
}

const categorical = (title: string, items: [string, Rgb][]): Legend => ({
  kind: 'categorical',
  title,
  items: items.map(([label, c]) => ({ label, color: toCss(c) })),
});

const fmt = (v: number) =>
  Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toPrecision(3);

// `values`: for mode 'norm' |q| then |k| (2N values), for 'value-norm' ‖v‖ of each key (N values); null for
// the other modes (RunData.colorValues fetches them).
export function computeColors(
  mode: ColorMode,
  tokens: Tokens,
  values: Float32Array | null,
): { colors: Uint8Array; legend: Legend } {
  const n = tokens.n;
  const out = new Uint8Array(2 * n * 4);
  const perToken = new Float32Array(n);
  const scaled = (
    title: string,
    values: Float32Array,
    interp: (t: number) => string,
    lo?: number,
    hi?: number,
  ): Legend => {
    const [a, b] = lo !== undefined && hi !== undefined ? [lo, hi] : (extent(values) ?? [0, 1]);
    continuous(values, a, b, interp, n, out);
    return { kind: 'continuous', title, min: fmt(a), max: fmt(b), stops: rampStops(interp) };
  };
  switch (mode) {
    case 'qk': {
      for (let p = 0; p < 2 * n; p++) put(out, p, p < n ? QUERY_COLOR : KEY_COLOR);
      return {
        colors: out,
        legend: categorical('query / key', [
          ['query', QUERY_COLOR],
          ['key', KEY_COLOR],
        ]),
      };
    }
    case 'position': {
      for (let i = 0; i < n; i++)
        perToken[i] = tokens.sequenceLength[i] > 1 ? tokens.position[i] / (tokens.sequenceLength[i] - 1) : 0;
      return { colors: out, legend: scaled('normalised position', perToken, interpolateViridis, 0, 1) };
    }
    case 'position-mod-5': {
      const palette = schemeTableau10.slice(0, 5).map(parseCssColor);
      for (let p = 0; p < 2 * n; p++) put(out, p, palette[tokens.position[p < n ? p : p - n] % 5]);
      return {
        colors: out,
        legend: categorical(
          'position mod 5',
          palette.map((c, i) => [String(i), c]),
        ),
      };
    }
    case 'punctuation': {
      for (let i = 0; i < n; i++) {
        const c = tokens.special[i]
          ? SPECIAL_COLOR
          : isPunctuation(tokens.text[i])
            ? PUNCT_COLOR
            : OTHER_COLOR;
        put(out, i, c);
        put(out, i + n, c);
      }
      return {
        colors: out,
        legend: categorical('punctuation & special', [
          ['special', SPECIAL_COLOR],
          ['punctuation', PUNCT_COLOR],
          ['other', OTHER_COLOR],
        ]),
      };
    }
    case 'norm': {
      if (!values || values.length !== 2 * n) throw new Error('colour by norm needs 2N norms');
      return { colors: out, legend: scaled('vector norm', values, interpolatePlasma) };
    }
    case 'value-norm': {
      if (!values || values.length !== n) throw new Error('colour by value norm needs N value norms');
      const legend = scaled('value norm ‖v‖ (keys; queries grey)', values, interpolatePlasma); // both sides
      for (let i = 0; i < n; i++) put(out, i, NEUTRAL_COLOR);
      return { colors: out, legend };
    }
    case 'token-length': {
      for (let i = 0; i < n; i++) perToken[i] = tokens.text[i].trim().length;
      return { colors: out, legend: scaled('token length (characters)', perToken, interpolateCividis) };
    }
    case 'input-length': {
      for (let i = 0; i < n; i++) perToken[i] = tokens.sequenceLength[i];
      return { colors: out, legend: scaled('input length (tokens)', perToken, interpolateCool) };
    }
    case 'frequency': {
      const counts = new Map<number, number>();
      for (const id of tokens.tokenId) counts.set(id, (counts.get(id) ?? 0) + 1);
      for (let i = 0; i < n; i++) perToken[i] = Math.log10(counts.get(tokens.tokenId[i]) ?? 1);
      const legend = scaled('token frequency (log10 count)', perToken, interpolateYlOrRd);
      return { colors: out, legend };
    }
    case 'patch-row':
    case 'patch-col': {
      const grid = mode === 'patch-row' ? tokens.patchRow : tokens.patchCol;
      if (!grid) throw new Error(`colour by ${colorModeLabels[mode]} needs an image run`);
      let hi = 0;
      for (const v of grid) hi = Math.max(hi, v);
      const table = ramp(interpolateTurbo);
      for (let i = 0; i < n; i++) {
        const c = grid[i] < 0 ? SPECIAL_COLOR : table[Math.round((grid[i] / (hi || 1)) * 255)];
        put(out, i, c);
        put(out, i + n, c);
      }
      return {
        colors: out,
        legend: {
          kind: 'continuous',
          title: `${colorModeLabels[mode]} (class token orange)`,
          min: '0',
          max: String(hi),
          stops: rampStops(interpolateTurbo),
        },
      };
    }
  }
}

// The legend of a continuous mode whose range differs from head to head (the matrix view colours each head
// by its own range): the ends say so instead of naming one head's numbers.
export function perHeadLegend(legend: Legend): Legend {
  return legend.kind === 'continuous' ? { ...legend, min: 'head min', max: 'head max' } : legend;
}

// Fades every point whose token is not in `keep` (a 0/1 mask over tokens) to `alpha`.
export function fadeExcept(colors: Uint8Array, keep: Uint8Array, alpha: number): Uint8Array {
  const n = keep.length;
  const out = colors.slice();
  for (let p = 0; p < 2 * n; p++) if (!keep[p < n ? p : p - n]) out[p * 4 + 3] = alpha;
  return out;
}
