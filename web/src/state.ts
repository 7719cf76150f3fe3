// The page's one state object. Parts of the page read it (each declares the keys it reads, see store.ts);
// controls and interactions change it through the store.
import type { AttentionWeight, Dim, LayoutAvailability, Method } from './api';
import type { ColorMode } from './data/colors';
import type { HeadsColor } from './data/heads-map';
import type { Probe } from './data/probe';
import { defaultSearchMode, type SearchMode } from './data/search';
import { Store, type Part } from './store';

export interface AppState {
  run: string; // the served run the page shows (GET /api/runs' name)
  view: 'matrix' | 'single' | 'heads'; // all heads in a grid, one head, or the heads map (parts/heads.ts)
  method: Method; // the layout method asked for
  shown: Method | null; // the method drawn now (PCA stands in while t-SNE / UMAP are computed)
  dim: Dim;
  layer: number;
  head: number;
  colorMode: ColorMode;
  theme: 'light' | 'dark';
  sizeByNorm: boolean;
  searchQuery: string; // as typed: a token, a substring or /regex/ (data/search.ts)
  searchMode: SearchMode;
  searchIndices: Int32Array | null; // tokens the query matches (parts/search.ts), null when none is asked
  hiddenTokens: readonly number[]; // tokens (0..N-1) hidden as keys in the sentence view, ascending
  selected: number | null; // point (0..2N-1) clicked in the single view
  selection: Int32Array | null; // lasso / box selection: sorted joint points 0..2N-1, the same in every head
  isolate: boolean; // fade every point outside the selection
  hideSpecial: boolean;
  sideTab: 'input' | 'aggregate';
  cellMetric: string; // '' for none
  sortCells: boolean;
  cellOrder: 'metric' | 'similarity'; // what sorting orders the cells by: the cell metric, or heads.json's order
  headsColor: HeadsColor; // the heads view colours its heads by layer, type or the cell metric
  headsSize: string; // ... and sizes them by this type score ('' : all alike)
  arrows: boolean;
  thumbnails: boolean;
  labels: boolean; // token labels in the single view once zoomed in
  neighbours: boolean; // the selected point's true neighbours beside its layout neighbours (parts/neighbours.ts)
  layouts: LayoutAvailability[]; // what the server has ready; refreshed while layouts are being computed
  probes: Probe[]; // inputs of the user's own placed over the dataset (parts/probe.ts), oldest first
  activeProbe: string | null; // id of the probe the side panel shows
  attentionWeight: AttentionWeight; // sentence / image view: attention as is, or weighted by value norm
}

// A part declares what it reads as `const KEYS = [...] as const satisfies Keys` and implements
// `AppPart<typeof KEYS>`; its update sees `Reads<typeof KEYS>`, so reading an undeclared key fails to compile.
export type Keys = readonly (keyof AppState)[];
export type Reads<K extends Keys> = Pick<AppState, K[number]>;
export type Changed<K extends Keys> = ReadonlySet<K[number]>;
export type AppPart<K extends Keys> = Part<AppState, K[number]>;

export const defaults: AppState = {
  run: '',
  view: 'matrix',
  method: 'tsne',
  shown: null,
  dim: 2,
  layer: 0,
  head: 0,
  colorMode: 'qk',
  theme: 'light',
  sizeByNorm: false,
  searchQuery: '',
  searchMode: defaultSearchMode,
  searchIndices: null,
  hiddenTokens: [],
  selected: null,
  selection: null,
  isolate: false,
  hideSpecial: false,
  sideTab: 'input',
  cellMetric: '',
  sortCells: false,
  cellOrder: 'metric',
  headsColor: 'layer',
  headsSize: '',
  arrows: false,
  thumbnails: false,
  labels: true,
  neighbours: false,
  layouts: [],
  probes: [],
  activeProbe: null,
  attentionWeight: 'attention',
};

export const store = new Store<AppState>(defaults);
