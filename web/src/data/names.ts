// What the page calls things: heads and layouts.
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
