// Several runs in one server (docs/api.md, "Several runs"): which run the page opens, and the view state a
// switch to another run carries in the page's URL (run, view, method, dim, layer, head), clamped to what the
// run it opens has. The parameters are the permalink's (data/url-state.ts names them): one scheme for both.
import type { Dim, Method, ServedRun } from '../api';
import { paramName, type UrlKey } from './url-state';

export interface CarriedView {
  method?: Method;
  dim?: Dim;
}

// What a switch writes: the view, the carried method and dimension, and the head.
export type SwitchedView = Required<CarriedView> & {
  view: 'matrix' | 'single' | 'heads';
  layer: number;
  head: number;
};

// The run named `requested` when it is served, else the first (the server's /api/ run).
export function chooseRun(runs: ServedRun[], requested: string | null): ServedRun {
  return runs.find((r) => r.name === requested) ?? runs[0];
}

const clamp = (value: number, count: number) => Math.max(0, Math.min(count - 1, value));

// The keys a switch carries, and those it drops: the latter name tokens of the run left (a selected point,
// hidden tokens), which mean nothing in another run.
const CARRIED = ['view', 'method', 'dim', 'layer', 'head'] as const satisfies readonly UrlKey[];
const RUN_BOUND = ['selected', 'hiddenTokens'] as const satisfies readonly UrlKey[];

// The URL query of a switch to run `target` that keeps `view`, its layer and head clamped to the target's (the
// page's other query parameters, e.g. its token or colour mode, kept).
export function switchQuery(search: string, target: ServedRun, view: SwitchedView): string {
  const params = new URLSearchParams(search);
  params.set(paramName('run'), target.name);
  const clamped = { ...view, layer: clamp(view.layer, target.layers), head: clamp(view.head, target.heads) };
  for (const key of CARRIED) params.set(paramName(key), String(clamped[key]));
  for (const key of RUN_BOUND) params.delete(paramName(key));
  return '?' + params.toString();
}

// What of a switch's query still applies: the dimension, and the method when `usable` says the run can show
// it; anything malformed left out. (The view, layer and head are the permalink's to read: url-state ignores
// a view the run cannot show and a head out of its range, and a switch writes them clamped.)
export function carriedView(search: string, usable: (method: Method) => boolean): CarriedView {
  const params = new URLSearchParams(search);
  const get = (key: UrlKey) => params.get(paramName(key));
  const carried: CarriedView = {};
  const method = get('method');
  if ((method === 'tsne' || method === 'umap' || method === 'pca') && usable(method)) carried.method = method;
  const dim = get('dim');
  if (dim === '2' || dim === '3') carried.dim = Number(dim) as Dim;
  return carried;
}
