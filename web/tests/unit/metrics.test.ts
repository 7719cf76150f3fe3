import { describe, expect, it } from 'vitest';
import { parseMetrics, sortHeads } from '../../src/data/metrics';
import { Store } from '../../src/store';

describe('per-head metrics', () => {
  it('reads a list of head records with nested figures', () => {
    const m = parseMetrics(
      {
        heads: [
          { layer: 0, head: 1, entropy: 2, corr: { raw: 0.5 } },
          { layer: 1, head: 0, entropy: 1 },
        ],
      },
      2,
      2,
    );
    expect(m.names).toEqual(['corr.raw', 'entropy']);
    expect(Array.from(m.values.get('entropy')!)).toEqual([NaN, 2, 1, NaN]);
  });
  it('reads objects keyed by head and ignores heads out of range', () => {
    const m = parseMetrics(
      { 'l1.h1': { first_token: 0.9 }, '0:0': { first_token: 0.1 }, 'l5.h0': { first_token: 1 } },
      2,
      2,
    );
    expect(Array.from(m.values.get('first_token')!)).toEqual([0.1, NaN, NaN, 0.9].map(Math.fround));
    expect(parseMetrics(null, 2, 2).names).toEqual([]);
  });
  it('reads attnviz layout\'s {"heads": {"l0.h1": {...}}} with per-layout groups', () => {
    const m = parseMetrics(
      {
        heads: { 'l0.h1': { entropy: 1.5, trustworthiness: { 'tsne-2d': 0.9 } }, 'l1.h0': { entropy: 0.5 } },
      },
      2,
      2,
    );
    expect(m.names).toEqual(['entropy', 'trustworthiness.tsne-2d']);
    expect(Array.from(m.values.get('entropy')!)).toEqual([NaN, 1.5, 0.5, NaN]);
  });
  it('sorts heads descending, missing last', () => {
    expect(sortHeads(Float32Array.from([0.2, NaN, 0.9, 0.2]))).toEqual([2, 0, 3, 1]);
  });
});

describe('store', () => {
  it('merges patches and notifies with the previous state', () => {
    const store = new Store({ a: 1, b: 'x' });
    const seen: [number, number][] = [];
    const off = store.subscribe((s, p) => seen.push([s.a, p.a]));
    store.set({ a: 2 });
    off();
    store.set({ a: 3 });
    expect(seen).toEqual([[2, 1]]);
    expect(store.get()).toEqual({ a: 3, b: 'x' });
  });
});
