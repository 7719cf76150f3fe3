// The view state in the URL's query string: what `?view=single&l=3&h=5&method=tsne…` means, written and read
// in ONE table (PARAMS) so that a feature adds its state key with one line. Pure: parts/permalink.ts applies it.
//
// Writing leaves out every key at its default (short links). Reading takes each parameter on its own: one that
// is malformed or out of range (a layer the run does not have, a colour mode it does not offer, value-norm
// weighting without values, the heads view or a head-size score without a heads map) is ignored and the rest
// still apply; reading never throws.
//
// History rule: a change of a `push` key (what you look at: view, head, layout) makes a new history entry, so
// back / forward walk through views; any other change (colour, search, selection, hidden tokens) replaces
// the current entry.
import type { AppState } from '../state';
import type { RunData } from '../run-data';
import { colorModesFor } from './colors';
import { scoreNames } from './heads-map';
import { MAX_PATTERN, type SearchMode } from './search';

// What the run allows, for range checks.
export interface UrlLimits {
  layers: number;
  heads: number;
  n: number; // tokens; points are 0..2n-1
  colorModes: readonly string[];
  metrics: readonly string[];
  values: boolean; // the run holds value vectors: weight=value-norm
  headScores: readonly string[] | null; // the heads map's type scores (hsize); null: no heads map (no view=heads)
}

// The limits of a run as the page knows it.
export function urlLimits(
  run: Pick<RunData, 'layers' | 'heads' | 'n' | 'modality' | 'hasValues' | 'headsMap' | 'metrics'>,
): UrlLimits {
  return {
    layers: run.layers,
    heads: run.heads,
    n: run.n,
    colorModes: colorModesFor(run),
    metrics: run.metrics.names,
    values: run.hasValues,
    headScores: run.headsMap ? scoreNames(run.headsMap) : null,
  };
}

interface Param<K extends keyof AppState> {
  key: K;
  name: string; // the URL parameter
  history: 'push' | 'replace';
  write(value: AppState[K]): string;
  read(text: string, limits: UrlLimits): AppState[K] | undefined; // undefined: ignored
}

const MAX_HIDDEN = 1000; // hidden tokens a URL may carry

const int = (text: string, below: number): number | undefined => {
  if (!/^\d{1,9}$/.test(text)) return undefined;
  const v = Number(text);
  return v < below ? v : undefined;
};
const oneOf = <T extends string>(text: string, values: readonly T[]): T | undefined =>
  values.find((v) => v === text);

function param<K extends keyof AppState>(p: Param<K>): Param<K> {
  return p;
}

// An on/off key written as one of two words.
function flag<K extends 'hideSpecial' | 'neighbours' | 'isolate' | 'labels'>(
  key: K,
  name: string,
  on: string,
  off: string,
): Param<K> {
  return {
    key,
    name,
    history: 'replace',
    write: (v) => (v ? on : off),
    read: (t) => (t === on ? true : t === off ? false : undefined) as AppState[K] | undefined,
  };
}

export const PARAMS = [
  // The run served (several runs: parts/run-switcher.ts); main.ts reads it before anything else.
  param({ key: 'run', name: 'run', history: 'push', write: String, read: (t) => t }),
  param({
    key: 'view',
    name: 'view',
    history: 'push',
    write: String,
    read: (t, r) =>
      t === 'heads' && !r.headScores ? undefined : oneOf(t, ['matrix', 'single', 'heads'] as const),
  }),
  param({
    key: 'headsColor',
    name: 'hcolor',
    history: 'replace',
    write: String,
    read: (t) => oneOf(t, ['layer', 'type', 'metric'] as const),
  }),
  param({
    key: 'headsSize',
    name: 'hsize',
    history: 'replace',
    write: String,
    read: (t, r) => oneOf(t, r.headScores ?? []),
  }),
  param({
    key: 'method',
    name: 'method',
    history: 'push',
    write: String,
    read: (t) => oneOf(t, ['tsne', 'umap', 'pca'] as const),
  }),
  param({
    key: 'dim',
    name: 'dim',
    history: 'push',
    write: String,
    read: (t) => (t === '2' ? 2 : t === '3' ? 3 : undefined),
  }),
  param({ key: 'layer', name: 'l', history: 'push', write: String, read: (t, r) => int(t, r.layers) }),
  param({ key: 'head', name: 'h', history: 'push', write: String, read: (t, r) => int(t, r.heads) }),
  param({
    key: 'colorMode',
    name: 'color',
    history: 'replace',
    write: String,
    read: (t, r) => oneOf(t, r.colorModes) as AppState['colorMode'] | undefined,
  }),
  param({
    key: 'cellMetric',
    name: 'metric',
    history: 'replace',
    write: String,
    read: (t, r) => oneOf(t, ['', ...r.metrics]),
  }),
  param({
    key: 'searchQuery',
    name: 'q',
    history: 'replace',
    write: String,
    read: (t) => (t.length <= MAX_PATTERN ? t : undefined),
  }),
  param({ key: 'searchMode', name: 'qm', history: 'replace', write: writeSearchMode, read: readSearchMode }),
  param({ key: 'selected', name: 'p', history: 'replace', write: String, read: (t, r) => int(t, 2 * r.n) }),
  param({
    key: 'sideTab',
    name: 'tab',
    history: 'replace',
    write: String,
    read: (t) => oneOf(t, ['input', 'aggregate'] as const),
  }),
  flag('hideSpecial', 'special', 'hidden', 'shown'),
  flag('neighbours', 'nb', 'on', 'off'),
  flag('isolate', 'isolate', 'on', 'off'),
  flag('labels', 'labels', 'on', 'off'),
  param({
    key: 'attentionWeight',
    name: 'weight',
    history: 'replace',
    write: String,
    read: (t, r) =>
      t === 'value-norm' && !r.values ? undefined : oneOf(t, ['attention', 'value-norm'] as const),
  }),
  param({
    key: 'hiddenTokens',
    name: 'hide',
    history: 'replace',
    write: (v) => v.join(','),
    read: readHidden,
  }),
] as const;

export type UrlKey = (typeof PARAMS)[number]['key'];
export const URL_KEYS: readonly UrlKey[] = PARAMS.map((p) => p.key);

// The URL parameter that holds `key` (e.g. 'l' for layer), for whoever else writes a URL (data/runs.ts).
export function paramName(key: UrlKey): string {
  return PARAMS.find((p) => p.key === key)!.name;
}

// The query string for `state` ('' or '?…'), keys equal to `defaults` left out.
export function encodeState(state: AppState, defaults: AppState): string {
  const query = new URLSearchParams();
  for (const p of PARAMS as readonly Param<UrlKey>[]) {
    const text = p.write(state[p.key] as never);
    if (text !== p.write(defaults[p.key] as never)) query.set(p.name, text);
  }
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

// The state keys a query string sets validly; everything else is ignored.
export function decodeState(search: string, limits: UrlLimits): Partial<AppState> {
  const patch: Record<string, unknown> = {};
  let query: URLSearchParams;
  try {
    query = new URLSearchParams(search);
  } catch {
    return {};
  }
  for (const p of PARAMS as readonly Param<UrlKey>[]) {
    const text = query.get(p.name);
    if (text === null) continue;
    const value = p.read(text, limits);
    if (value !== undefined) patch[p.key] = value;
  }
  return patch as Partial<AppState>;
}

// Whether going from the URL `before` to `after` (query strings) changes a `push` key: then it is a new
// history entry, else the current one is replaced.
export function isNewView(before: string, after: string): boolean {
  const [a, b] = [new URLSearchParams(before), new URLSearchParams(after)];
  return PARAMS.some((p) => p.history === 'push' && a.get(p.name) !== b.get(p.name));
}

function writeSearchMode(mode: SearchMode): string {
  return mode.literal ? `${mode.match},literal` : mode.match;
}

function readSearchMode(text: string): SearchMode | undefined {
  const [match, literal, ...rest] = text.split(',');
  if (rest.length || (literal !== undefined && literal !== 'literal')) return undefined;
  const m = oneOf(match, ['exact', 'substring'] as const);
  return m ? { match: m, literal: literal === 'literal' } : undefined;
}

// "3,17,18": ascending distinct tokens, each below n; a malformed list is ignored whole.
function readHidden(text: string, limits: UrlLimits): readonly number[] | undefined {
  if (text === '') return [];
  const parts = text.split(',');
  if (parts.length > MAX_HIDDEN) return undefined;
  const tokens = parts.map((t) => int(t, limits.n));
  if (tokens.some((t) => t === undefined)) return undefined;
  return Array.from(new Set(tokens as number[])).sort((a, b) => a - b);
}
