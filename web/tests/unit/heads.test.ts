import { describe, expect, it } from 'vitest';
import { matrixCells } from '../../src/data/cells';
import { headId, headIndex, headOrder } from '../../src/data/heads';
import { headLabel, layoutLabel } from '../../src/data/names';

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
});
