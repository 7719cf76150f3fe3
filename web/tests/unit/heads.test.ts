import { describe, expect, it } from 'vitest';
import { matrixCells } from '../../src/data/cells';
import { headId, headIndex, headOrder, parseHead, stepHead } from '../../src/data/heads';
import { headLabel, layoutLabel, metricInfo } from '../../src/data/names';

describe('heads', () => {
  it('converts a head index to layer and head and back (layer-major)', () => {
    expect(headId(13, 4)).toEqual({ layer: 3, head: 1 });
    expect(headIndex({ layer: 3, head: 1 }, 4)).toBe(13);
    for (let k = 0; k < 48; k++) expect(headIndex(headId(k, 8), 8)).toBe(k);
  });
  it('names heads and layouts', () => {
    expect(headLabel({ layer: 1, head: 2 })).toBe('L1 H2');
    expect(layoutLabel('tsne', 2)).toBe('t-SNE 2D');
    expect(layoutLabel('umap', 3)).toBe('UMAP 3D');
  });
  it('orders cells layer-major, or by a metric (descending, missing last) when sorting', () => {
    const values = Float32Array.from([0.1, NaN, 0.9, 0.5]);
    expect(headOrder(4, values, false)).toEqual([0, 1, 2, 3]);
    expect(headOrder(4, values, true)).toEqual([2, 3, 0, 1]);
    expect(headOrder(4, undefined, true)).toEqual([0, 1, 2, 3]);
  });
  it('orders cells by the heads map (similar heads side by side) when given and sorting', () => {
    const values = Float32Array.from([0.1, NaN, 0.9, 0.5]);
    expect(headOrder(4, values, true, [3, 1, 0, 2])).toEqual([3, 1, 0, 2]);
    expect(headOrder(4, values, false, [3, 1, 0, 2])).toEqual([0, 1, 2, 3]);
    expect(headOrder(4, values, true, [1, 0])).toEqual([2, 3, 0, 1]); // not this run's: by the metric
  });
});

describe('matrix cells', () => {
  it('badges each head with its type from the heads map, in its own cell', () => {
    const cells = matrixCells([2, 0, 1], 3, undefined, ['previous_token', null, 'induction']);
    expect(cells.map((c) => c.badge)).toEqual(['induct', 'prev', '']);
    expect(matrixCells([0], 1, undefined, ['a_new_type'])[0].badge).toBe('a_new_type');
  });
  it('places each head of the order in its slot, labelled with its own name', () => {
    const cells = matrixCells([3, 0, 1, 2], 2, undefined);
    expect(cells.map((c) => [c.x, c.y, c.label])).toEqual([
      [0, 0, 'L1 H1'],
      [1, 0, 'L0 H0'],
      [0, 1, 'L0 H1'],
      [1, 1, 'L1 H0'],
    ]);
    expect(cells.every((c) => c.color === null && c.badge === '')).toBe(true);
  });
  it('shades cells darker for larger values, and leaves heads without a value unfilled', () => {
    const cells = matrixCells([0, 1, 2], 3, Float32Array.from([0, NaN, 2]));
    expect(cells[1].color).toBeNull();
    const lightness = (k: number) => cells[k].color!.slice(0, 3).reduce((a, b) => a + b, 0);
    expect(lightness(0)).toBeGreaterThan(lightness(2));
    expect(cells[0].color![3]).toBe(110);
  });
  it('reads a head typed into the go-to box, with a message for anything else', () => {
    for (const text of ['L3 H5', 'l3h5', ' 3 5 ', '3,5', '3.5', 'layer 3 head 5', 'L3:H5'])
      expect(parseHead(text, 6, 8)).toEqual({ layer: 3, head: 5 });
    expect(parseHead('L6 H0', 6, 8)).toMatch(/no head L6 H0: the run has layers 0-5 and heads 0-7/);
    expect(parseHead('L1 H8', 6, 8)).toMatch(/no head/);
    for (const text of ['', 'L3', 'H5', 'L-1 H2', 'L1 H2 H3', 'x', 'L1e9 H1'])
      expect(parseHead(text, 6, 8)).toMatch(/not a head/);
  });
  it('steps to the next and previous head in layer-major order, wrapping around', () => {
    expect(stepHead({ layer: 0, head: 7 }, 1, 6, 8)).toEqual({ layer: 1, head: 0 });
    expect(stepHead({ layer: 0, head: 0 }, -1, 6, 8)).toEqual({ layer: 5, head: 7 });
    expect(stepHead({ layer: 5, head: 7 }, 1, 6, 8)).toEqual({ layer: 0, head: 0 });
  });
});

describe('metric names', () => {
  it('gives known metrics a readable label, a hint and a group', () => {
    expect(metricInfo('attention.entropy_normalised')).toMatchObject({
      label: 'attention entropy (normalised)',
      group: 'behaviour',
    });
    expect(metricInfo('distance_dot_correlation.tsne-2d')).toMatchObject({
      label: 'closeness ranks keys as attention · t-SNE 2D',
      group: 'faithfulness',
    });
    expect(metricInfo('distance_dot_correlation.raw').label).toBe(
      'closeness ranks keys as attention · raw vectors',
    );
    expect(metricInfo('seconds.umap-3d')).toMatchObject({ label: 'time (s) · UMAP 3D', group: 'timing' });
    expect(metricInfo('tsne-2d.kl')).toMatchObject({
      label: 't-SNE KL divergence · t-SNE 2D',
      group: 'faithfulness',
    });
    expect(metricInfo('attention.entropy').hint.length).toBeGreaterThan(10);
  });
  it('keeps an unknown metric as it is, in "other"', () => {
    expect(metricInfo('custom.thing')).toEqual({
      label: 'custom.thing',
      hint: 'custom.thing',
      group: 'other',
    });
    expect(metricInfo('plain')).toEqual({ label: 'plain', hint: 'plain', group: 'other' });
  });
});
