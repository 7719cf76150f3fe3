// Several runs in one server (docs/api.md, "Several runs"): which run the page opens, and the view state a
// switch to another run carries in the page's URL (run, view, method, dim, layer, head), clamped to what the
// run it opens has.
import type { Dim, Method, ServedRun } from '../api';

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

// The URL query of a switch to run `name` that keeps `view` (the page's other query parameters, e.g. its
// token, kept).
export function switchQuery(search: string, name: string, view: Required<CarriedView>): string {
  const params = new URLSearchParams(search);
  params.set('run', name);
  params.set('view', view.view);
  params.set('method', view.method);
  params.set('dim', String(view.dim));
  params.set('layer', String(view.layer));
  params.set('head', String(view.head));
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
  const carried: CarriedView = {};
  const view = params.get('view');
  if (view === 'matrix' || view === 'single' || view === 'heads') carried.view = view;
  const method = params.get('method');
  if ((method === 'tsne' || method === 'umap' || method === 'pca') && usable(method)) carried.method = method;
  const dim = params.get('dim');
  if (dim === '2' || dim === '3') carried.dim = Number(dim) as Dim;
  const integer = (key: string) => {
    const text = params.get(key);
    return text !== null && /^\d{1,9}$/.test(text) ? Number(text) : undefined;
  };
  const layer = integer('layer'),
    head = integer('head');
  if (layer !== undefined) carried.layer = clamp(layer, layers);
  if (head !== undefined) carried.head = clamp(head, heads);
  return carried;
}
