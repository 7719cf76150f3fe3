// What the page calls things: heads, head types and layouts.
import type { Dim, Method } from '../api';
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

// "tsne-2d": a layout file's name, as metrics.json and progress.json key its figures
export function layoutFile(method: Method, dim: Dim): string {
  return `${method}-${dim}d`;
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
