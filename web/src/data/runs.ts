// Several runs in one server (docs/api.md, "Several runs"): which run the page opens, and the view state a
// switch to another run carries in the page's URL (run, view, method, dim, layer, head), clamped to what the
// run it opens has. The parameters are the permalink's (data/url-state.ts names them): one scheme for both.
import type { Dim, Method, ServedRun } from '../api';
import { paramName, type UrlKey } from './url-state';

export interface CarriedView {
  view?: 'matrix' | 'single' | 'heads';
  method?: Method;
  dim?: Dim;
  layer?: number;
  head?: number;
}

// The run named `requested` when it is served, else the first (the server's /api/ run).
export function chooseRun(runs: ServedRun[], requested: string | null): ServedRun {
  return runs.find((r) => r.name === requested) ?? runs[0];
}

// The keys a switch carries, and those it drops: the latter name tokens of the run left (a selected point,
// hidden tokens), which mean nothing in another run.
const CARRIED = ['view', 'method', 'dim', 'layer', 'head'] as const satisfies readonly UrlKey[];
const RUN_BOUND = ['selected', 'hiddenTokens'] as const satisfies readonly UrlKey[];

// The URL query of a switch to run `name` that keeps `view` (the page's other query parameters, e.g. its
// token or colour mode, kept).
export function switchQuery(search: string, name: string, view: Required<CarriedView>): string {
  const params = new URLSearchParams(search);
  params.set(paramName('run'), name);
  for (const key of CARRIED) params.set(paramName(key), String(view[key]));
  for (const key of RUN_BOUND) params.delete(paramName(key));
  return '?' + params.toString();
}

const clamp = (value: number, count: number) => Math.max(0, Math.min(count - 1, value));

// What of a switch's query still applies to a run of `layers` × `heads`: layer and head clamped, the method
// kept when `usable` says the run can show it, anything malformed left out.
export function carriedView(
  search: string,
  layers: number,
  heads: number,
  usable: (method: Method) => boolean,
): CarriedView {
  const params = new URLSearchParams(search);
  const get = (key: UrlKey) => params.get(paramName(key));
  const carried: CarriedView = {};
  const view = get('view');
  if (view === 'matrix' || view === 'single' || view === 'heads') carried.view = view;
  const method = get('method');
  if ((method === 'tsne' || method === 'umap' || method === 'pca') && usable(method)) carried.method = method;
  const dim = get('dim');
  if (dim === '2' || dim === '3') carried.dim = Number(dim) as Dim;
  const integer = (key: UrlKey) => {
    const text = get(key);
    return text !== null && /^\d{1,9}$/.test(text) ? Number(text) : undefined;
  };
  const layer = integer('layer'),
    head = integer('head');
  if (layer !== undefined) carried.layer = clamp(layer, layers);
  if (head !== undefined) carried.head = clamp(head, heads);
  return carried;
}
