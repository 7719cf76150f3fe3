import { describe, expect, it } from 'vitest';
import {
  aggregateByOffset,
  argmaxOver,
  hiddenTokens,
  hideAndRenormalize,
  topKeyLines,
} from '../../src/data/attention';

// Causal 3x3 attention.
const att = Float32Array.from([1, 0, 0, 0.7, 0.3, 0, 0.5, 0.46, 0.04]);

describe('attention transforms', () => {
  it('keeps the top-2 keys of each query with weight >= 0.05', () => {
    const lines = topKeyLines(att, 3);
    expect(Array.from(lines.query)).toEqual([0, 1, 1, 2, 2]);
    expect(Array.from(lines.key)).toEqual([0, 0, 1, 0, 1]);
    expect(lines.weight[4]).toBeCloseTo(0.46);
    expect(topKeyLines(att, 3, 1, 0.6).query.length).toBe(2);
  });
  it('hides the first token and renormalises', () => {
    const hidden = hiddenTokens([0, 0, 0], 3, true);
    expect(Array.from(hidden)).toEqual([1, 0, 0]);
    const r = hideAndRenormalize(att, 3, hidden);
    expect(Array.from(r.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(r[4]).toBeCloseTo(1);
    expect(r[7]).toBeCloseTo(0.46 / 0.5);
    expect(r[8]).toBeCloseTo(0.04 / 0.5);
  });
  it('hides special tokens of bidirectional models', () => {
    expect(Array.from(hiddenTokens([1, 0, 1], 3, false))).toEqual([1, 0, 1]);
    const r = hideAndRenormalize(
      Float32Array.from([0.2, 0.3, 0.5, 0.25, 0.5, 0.25, 0.1, 0.1, 0.8]),
      3,
      Uint8Array.from([1, 0, 1]),
    );
    expect(Array.from(r)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });
  it('averages by relative position', () => {
    const { offsets, mean } = aggregateByOffset([{ att, T: 3 }], 2);
    expect(offsets).toEqual([-2, -1, 0, 1, 2]);
    expect(mean[0]).toBeCloseTo(0.5); // (2,0)
    expect(mean[1]).toBeCloseTo((0.7 + 0.46) / 2);
    expect(mean[2]).toBeCloseTo((1 + 0.3 + 0.04) / 3);
    expect(mean[3]).toBe(0);
  });
  it("finds each query's most-attended candidate", () => {
    expect(Array.from(argmaxOver(att, 3, [1, 2]))).toEqual([1, 1, 1]);
  });
});
