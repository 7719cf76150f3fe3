import { describe, expect, it } from 'vitest';
import { parseMetrics } from '../../src/data/metrics';
import { makeTokens } from '../../src/data/tokens';
import { cellText, layoutQualityText, pointText } from '../../src/parts/tooltips';

describe('tooltip texts', () => {
  it('names a cell by its head, then the metrics it has', () => {
    const metrics = parseMetrics({ 'l1.h0': { entropy: 1.23456 }, 'l0.h1': { other: 2 } }, 2, 2);
    expect(cellText({ layer: 1, head: 0 }, 2, metrics, 'tsne-2d')).toBe('L1 H0\nentropy: 1.235');
  });
  // One head as attnviz layout writes it: t-SNE and UMAP in 2D, PCA.
  const laidOut = parseMetrics(
    {
      heads: {
        'l0.h1': {
          attention: { entropy: 2 },
          trustworthiness: { 'tsne-2d': 0.9361, 'umap-2d': 0.95, 'pca-2d': 0.8 },
          distance_dot_correlation: { 'tsne-2d': 0.5, 'umap-2d': 0.25 },
          kl: { 'tsne-2d': 1.8804 },
          iterations: { 'tsne-2d': 425 },
          converged: { 'tsne-2d': true },
          cross_entropy: { 'umap-2d': 123456.7 },
          epochs: { 'umap-2d': 500 },
        },
        'l1.h0': { kl: { 'tsne-2d': 2.5 }, iterations: { 'tsne-2d': 1000 }, converged: { 'tsne-2d': false } },
      },
    },
    2,
    2,
  );
  it('shows the drawn layout quality beside trustworthiness: t-SNE KL and iterations', () => {
    expect(layoutQualityText(laidOut, 1, 'tsne-2d')).toBe(
      'tsne-2d: trustworthiness 0.936 · KL 1.880 after 425 iterations (converged)',
    );
    expect(layoutQualityText(laidOut, 2, 'tsne-2d')).toBe(
      'tsne-2d: KL 2.500 after 1000 iterations (stopped at the cap)',
    );
  });
  it('shows UMAP cross-entropy and epochs, PCA trustworthiness only, nothing where absent', () => {
    expect(layoutQualityText(laidOut, 1, 'umap-2d')).toBe(
      'umap-2d: trustworthiness 0.950 · cross-entropy 1.23e+5 after 500 epochs',
    );
    expect(layoutQualityText(laidOut, 1, 'pca-2d')).toBe('pca-2d: trustworthiness 0.800');
    expect(layoutQualityText(laidOut, 1, 'tsne-3d')).toBeNull();
    expect(layoutQualityText(laidOut, 0, 'tsne-2d')).toBeNull();
  });
  it("puts the drawn layout's quality under the head and leaves out other layouts' figures", () => {
    expect(cellText({ layer: 0, head: 1 }, 2, laidOut, 'umap-2d')).toBe(
      [
        'L0 H1',
        'umap-2d: trustworthiness 0.950 · cross-entropy 1.23e+5 after 500 epochs',
        'attention entropy: 2.000',
        'closeness ranks keys as attention · UMAP 2D: 0.250',
      ].join('\n'),
    );
  });
  it('describes a point: token and side, position, input (shortened), patch, norm', () => {
    const long = 'x'.repeat(100);
    const sequences = [
      { first_token: 0, token_count: 2, text: 'The cat' },
      { first_token: 2, token_count: 1, text: long },
    ];
    const tokens = makeTokens(
      { token: ['The', ' cat', 'x'], sequence: [0, 0, 1], position: [0, 1, 0] },
      sequences,
    );
    const norms = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(pointText(4, tokens, sequences, norms)).toBe(
      '" cat" · key\nposition 2 of 2\ninput 0: The cat\nnorm 5.000',
    );
    expect(pointText(2, tokens, sequences, null)).toBe(
      `"x" · query\nposition 1 of 1\ninput 1: ${'x'.repeat(90)}…`,
    );
  });
  it('gives the patch of an image token', () => {
    const sequences = [
      { first_token: 0, token_count: 2, image: 'digit.png', grid: [1, 1] as [number, number] },
    ];
    const tokens = makeTokens(
      { token: ['[CLS]', 'p0'], sequence: [0, 0], position: [0, 1], patch_row: [-1, 0], patch_col: [-1, 0] },
      sequences,
    );
    expect(pointText(1, tokens, sequences, null)).toContain('input 0: digit.png\npatch row 0, column 0');
    expect(pointText(0, tokens, sequences, null)).not.toContain('patch');
  });
});
