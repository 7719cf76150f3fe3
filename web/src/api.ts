// Client of the attnviz HTTP API (docs/api.md). Metadata is JSON; coordinates, norms and attention arrive as
// float32 ArrayBuffers that go straight into typed arrays.
import { float32WithShape, parseShape } from './data/binary';
import { CompactBlocks } from './data/compact';
import type { HeadId } from './data/heads';
import type { SequenceInfo, TokensJson } from './data/tokens';

export type Method = 'tsne' | 'umap' | 'pca';
export type Dim = 2 | 3;
// How the sentence and image views weigh attention: as computed, or by value norm (α_ij·‖v_j‖ renormalised).
export type AttentionWeight = 'attention' | 'value-norm';

export interface ModelInfo {
  model_type: string;
  num_layers: number;
  num_heads: number;
  num_kv_heads: number;
  head_dim: number;
  causal: boolean;
  modality: 'text' | 'image';
  source?: string; // where the model came from: a local folder's path or "org/name@revision" (format.md)
}

export interface Manifest {
  model: ModelInfo;
  dataset: Record<string, unknown>;
  sequences: SequenceInfo[];
  qk?: { values?: boolean }; // values: the run holds value vectors (extract --values)
}

export interface LayoutAvailability {
  method: Method;
  dim: Dim;
  heads_ready: number;
  heads_total: number;
  problem?: string; // the file is broken (one line naming it); its routes answer 500
}

// Whether POST /api/probe can be tried; `reason` (one line) says why not.
export interface ProbeAvailability {
  available: boolean;
  reason: string;
}

// One input of the user's own as the server tokenized it (POST /api/probe).
export interface ProbeReply {
  id: string;
  tokens: string[];
  positions: number[];
  special: number[]; // 1 for a special token ([CLS], [SEP], <|endoftext|>, the class token)
  token_count: number;
  truncated: boolean;
}

// ?weight= of the attention routes, absent for plain attention.
function weightQuery(weight: AttentionWeight): string {
  return weight === 'attention' ? '' : `?weight=${weight}`;
}

// The body of POST /api/probe: a text, or a base64 image on an image run.
export type ProbeInput = { text: string } | { image: string };

export interface RunInfo {
  manifest: Manifest;
  probe?: ProbeAvailability; // absent from servers older than probes: then unavailable
  layouts: LayoutAvailability[];
  metrics: unknown;
  progress: unknown;
  problems?: string[]; // metrics.json / progress.json that could not be read (then null above)
}

// A run the server serves (GET /api/runs); `prefix` is where its routes are, relative to the page.
export interface ServedRun {
  name: string;
  prefix: string;
  model: string;
  modality: 'text' | 'image';
  layers: number;
  heads: number;
  sequences: number;
  tokens: number;
}

// The heads map (GET /api/heads; layouts/heads.json): per head (layer-major) its type scores, type and place
// on the map; `order` the heads in an order that puts similar ones next to each other.
export interface HeadsInfo {
  heads: {
    layer: number;
    head: number;
    scores: Record<string, number | null>;
    type: string | null;
    map: [number, number];
  }[];
  order: number[];
  divergence: number[][];
}

// GET /api/heads/map: the heads of every served run in one map by their behaviour fingerprints; `skipped` the
// served runs left out (no fingerprints yet) and why.
export interface MapHead {
  run: string;
  layer: number;
  head: number;
  type: string | null;
  map: [number, number];
}
export interface HeadsAcrossRuns {
  runs: { name: string; heads: number }[];
  skipped: { name: string; reason: string }[];
  heads: MapHead[];
}

// GET /api/neighbours: a point's true partners by scaled q·k, highest first, each with its rank among the
// point's nearest points of the other kind in the layout named (1 = nearest).
export interface NeighboursReply {
  point: number;
  layout: string;
  neighbours: { point: number; score: number; layout_rank: number }[];
}

// A reply other than 2xx: `reason` is the server's one line (or the status line), `message` adds the URL.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    url: string,
  ) {
    super(`${url}: ${reason}`);
  }
}

async function get(url: string, init?: RequestInit): Promise<Response> {
  const response = await fetch(url, init);
  if (!response.ok) {
    let reason = `${response.status} ${response.statusText}`;
    try {
      reason = (await response.json()).error ?? reason;
    } catch {
      // Not a JSON error body: keep the status line.
    }
    throw new HttpError(response.status, reason, url);
  }
  return response;
}

async function json<T>(url: string): Promise<T> {
  return (await get(url)).json() as Promise<T>;
}

// The reply's X-Attnviz-Shape, checked against `expected` when given.
function checkedShape(url: string, response: Response, expected?: number[]): number[] {
  const shape = parseShape(response.headers.get('X-Attnviz-Shape'));
  if (expected && (shape.length !== expected.length || shape.some((d, i) => d !== expected[i]))) {
    throw new Error(`${url}: shape [${shape.join(', ')}], expected [${expected.join(', ')}]`);
  }
  return shape;
}

async function float32(url: string, expected?: number[]): Promise<{ data: Float32Array; shape: number[] }> {
  const response = await get(url);
  const shape = checkedShape(url, response, expected);
  return { data: float32WithShape(await response.arrayBuffer(), shape), shape };
}

// What `request` answers, or null when it is 404 (a file not written yet); any other failure is thrown.
async function nullOn404<T>(request: Promise<T>): Promise<T | null> {
  try {
    return await request;
  } catch (e) {
    if (e instanceof HttpError && e.status === 404) return null;
    throw e;
  }
}

// Every head's layout in the compact encoding (data/compact.ts), read as it streams in: `onHead` sees each
// head's float32 coordinates [points x dim] as soon as its block has arrived. False (404) while the method's
// layouts are not all on disk.
async function compactLayouts(
  url: string,
  [heads, points, dim]: number[],
  onHead: (head: number, coords: Float32Array) => void,
): Promise<boolean> {
  const response = await nullOn404(get(url));
  if (!response) return false;
  checkedShape(url, response, [heads, points, dim]);
  const blocks = new CompactBlocks(heads, points, dim, onHead);
  const reader = response.body!.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) blocks.push(chunk.value);
  blocks.finish();
  return true;
}

// Every route of one run is under this prefix: 'api/' (the server's first run) or 'api/runs/{name}/'.
let runPrefix = 'api/';
const at = (route: string) => runPrefix + route;

export const api = {
  // The runs served, and the one whose routes every other function here asks.
  runs: () => json<{ runs: ServedRun[] }>('api/runs'),
  useRun: (run: ServedRun) => {
    runPrefix = run.prefix;
  },
  run: () => json<RunInfo>(at('run')),
  tokens: () => json<TokensJson>(at('tokens')),
  // [2N x dim] for one head.
  layout: async (method: Method, dim: Dim, layer: number, head: number, points: number) =>
    (await float32(at(`layout/${method}/${dim}/${layer}/${head}`), [points, dim])).data,
  // Every head's [2N x dim] (layer-major) to `onHead` as it arrives, 16-bit fixed point per head (4 bytes a
  // 2D point); false while the method's layouts are not all on disk.
  layouts: (
    method: Method,
    dim: Dim,
    heads: number,
    points: number,
    onHead: (head: number, coords: Float32Array) => void,
  ) => compactLayouts(at(`layouts/${method}/${dim}?encoding=u16`), [heads, points, dim], onHead),
  norms: async (layer: number, head: number, points: number) =>
    (await float32(at(`norms/${layer}/${head}`), [points])).data,
  // ‖v‖ of one head's N value vectors (runs extracted with --values).
  valueNorms: async (layer: number, head: number, tokens: number) =>
    (await float32(at(`value-norms/${layer}/${head}`), [tokens])).data,
  attention: async (layer: number, head: number, sequence: number, weight: AttentionWeight = 'attention') => {
    const { data, shape } = await float32(at(`attention/${layer}/${head}/${sequence}${weightQuery(weight)}`));
    return { att: data, T: shape[0] };
  },
  aggregate: (layer: number, head: number) =>
    json<{ offsets: number[]; mean: number[] }>(at(`aggregate/${layer}/${head}`)),
  neighbours: (layer: number, head: number, point: number, k: number, layout: string) =>
    json<NeighboursReply>(at(`neighbours/${layer}/${head}/${point}?k=${k}&layout=${layout}`)),
  imageUrl: (sequence: number) => at(`image/${sequence}`),
  // A new input run through the run's model (the one route with a body).
  probe: async (input: ProbeInput) =>
    (await get(at('probe'), { method: 'POST', body: JSON.stringify(input) })).json() as Promise<ProbeReply>,
  // [2T x dim]: the probe's queries then keys in one head's stored layout.
  probeLayout: async (id: string, method: Method, dim: Dim, { layer, head }: HeadId, T: number) =>
    (await float32(at(`probe/${id}/layout/${method}/${dim}/${layer}/${head}`), [2 * T, dim])).data,
  // [L*H x 2T x dim]: the same in every head.
  probeLayouts: async (id: string, method: Method, dim: Dim, heads: number, T: number) =>
    (await float32(at(`probe/${id}/layout/${method}/${dim}`), [heads, 2 * T, dim])).data,
  probeAttention: async (id: string, { layer, head }: HeadId, weight: AttentionWeight = 'attention') => {
    const { data, shape } = await float32(at(`probe/${id}/attention/${layer}/${head}${weightQuery(weight)}`));
    return { att: data, T: shape[0] };
  },
  // Every served run's heads in one map (top level, whatever run is in use); null when no run has one.
  headsAcrossRuns: () => nullOn404(json<HeadsAcrossRuns>('api/heads/map')),
  // null while the run has no heads map (404: `attnviz layout` writes it).
  heads: () => nullOn404(json<HeadsInfo>(at('heads'))),
};
