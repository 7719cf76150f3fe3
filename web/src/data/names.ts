// What the page calls things: heads, head types and layouts.
import type { Dim, Method, ModelInfo } from '../api';
import type { HeadId } from './heads';

export const methodNames: Record<Method, string> = { tsne: 't-SNE', umap: 'UMAP', pca: 'PCA' };

// "L1 H2"
export function headLabel({ layer, head }: HeadId): string {
  return `L${layer} H${head}`;
}

// "t-SNE 2D"
export function layoutLabel(method: Method, dim: Dim): string {
  return `${methodNames[method]} ${dim}D`;
}

// The start of a saved file's name: the model's folder name ("brown-gpt") or hub name, else its type, in
// characters safe in any file system.
export function fileStem(model: ModelInfo): string {
  const source = model.source?.replace(/@.*$/, '').replace(/\/+$/, '');
  const name = source?.split('/').pop() || model.model_type;
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 80) || 'attnviz';
}

// "tsne-2d": a layout file's name, as metrics.json and progress.json key its figures
export function layoutFile(method: Method, dim: Dim): string {
  return `${method}-${dim}d`;
}

// A head type or score of the heads map as words: 'previous_token' → 'previous token'.
export function typeLabel(name: string): string {
  return name.replaceAll('_', ' ');
}

// A head type of the heads map (docs/guide.md, "Head types") as the badge in its matrix cell's corner.
export const headTypeBadges: Record<string, string> = {
  previous_token: 'prev',
  next_token: 'next',
  same_token: 'dup',
  first_token: 'first',
  special_tokens: 'special',
  positional: 'pos',
  broad: 'broad',
  induction: 'induct',
};

// The badge of a head of type `type` (null: none), '' for none; an unknown type by its own name.
export function headTypeBadge(type: string | null | undefined): string {
  return type ? (headTypeBadges[type] ?? type) : '';
}

// What the page calls a metric of metrics.json ("attention.entropy_normalised", "trustworthiness.tsne-2d"):
// a readable label, a one-line explanation (a hover's), and its group in the cell-metric menu.
export type MetricGroup = 'behaviour' | 'faithfulness' | 'timing' | 'other';
export interface MetricInfo {
  label: string;
  hint: string;
  group: MetricGroup;
}

const METRICS: Record<string, [string, string, MetricGroup]> = {
  'attention.entropy': ['attention entropy', "mean entropy of a query's weights (nats)", 'behaviour'],
  'attention.entropy_normalised': [
    'attention entropy (normalised)',
    'entropy over its maximum for the keys a query sees: 0 on one key, 1 uniform',
    'behaviour',
  ],
  'attention.max_weight': ['largest weight', "mean of each query's largest weight", 'behaviour'],
  'attention.first_token': ['to the first token', "mean weight on the input's first token", 'behaviour'],
  'attention.special_tokens': [
    'to special tokens',
    'mean weight on [CLS], [SEP], <|endoftext|>…',
    'behaviour',
  ],
  'attention.previous': ['to the previous token', 'mean weight on the token just before', 'behaviour'],
  'attention.same': ['to itself', 'mean weight on the token itself', 'behaviour'],
  'attention.next': ['to the next token', 'mean weight on the token just after', 'behaviour'],
  'attention.positional': ['positional', 'the largest of previous, itself, next', 'behaviour'],
  normalisation_scale: ['key / query scale', 'the s keys were multiplied (queries divided) by', 'behaviour'],
  tokens: ['tokens', 'tokens laid out', 'behaviour'],
  distance_dot_correlation: [
    'closeness ranks keys as attention',
    "how well closeness ranks each query's keys as q·k does (1 at best)",
    'faithfulness',
  ],
  trustworthiness: [
    'trustworthiness',
    "1: the layout's near neighbours are near in the vectors too",
    'faithfulness',
  ],
  kl: ['t-SNE KL divergence', 'the final KL(P‖Q) t-SNE minimised: lower is more faithful', 'faithfulness'],
  cross_entropy: ['UMAP cross-entropy', 'the final fuzzy-set cross-entropy UMAP minimised', 'faithfulness'],
  seconds: ['time (s)', 'seconds the layout took', 'timing'],
  iterations: ['t-SNE iterations', 'gradient steps, early exaggeration included', 'timing'],
  epochs: ['UMAP epochs', 'epochs UMAP ran', 'timing'],
  converged: ['converged', '1 when the optimiser stopped because it had converged, 0 at the cap', 'timing'],
};

// "pca-2d" -> "PCA 2D", "raw" -> "raw vectors"; anything else as it is.
function qualifier(part: string): string {
  const file = /^(tsne|umap|pca)-([23])d$/.exec(part);
  if (file) return layoutLabel(file[1] as Method, Number(file[2]) as Dim);
  return part === 'raw' || part === 'normalised' ? `${part} vectors` : part;
}

export function metricInfo(name: string): MetricInfo {
  const exact = METRICS[name];
  if (exact) return { label: exact[0], hint: exact[1], group: exact[2] };
  // "{metric}.{qualifier}" or "{qualifier}.{metric}" (a layout file's figure either way round)
  const dot = name.indexOf('.');
  for (const [metric, rest] of dot < 0
    ? []
    : [
        [name.slice(0, dot), name.slice(dot + 1)],
        [name.slice(dot + 1), name.slice(0, dot)],
      ]) {
    const known = METRICS[metric];
    if (known) return { label: `${known[0]} · ${qualifier(rest)}`, hint: known[1], group: known[2] };
  }
  return { label: name, hint: name, group: 'other' };
}
