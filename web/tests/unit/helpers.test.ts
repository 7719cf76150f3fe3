import { describe, expect, it } from 'vitest';
import { keyLineSegments } from '../../src/data/attention';
import { extent, unitScale } from '../../src/data/extent';
import { point3 } from '../../src/data/grid';
import { pointSizes } from '../../src/data/sizes';

describe('extents', () => {
  it('finds the smallest and largest value, skipping NaN', () => {
    expect(extent([3, NaN, -1, 2])).toEqual([-1, 3]);
    expect(extent(Float32Array.from([5]))).toEqual([5, 5]);
    expect(extent([])).toBeNull();
    expect(extent([NaN])).toBeNull();
  });
  it('maps a range onto [0, 1], an empty range to 0', () => {
    expect(unitScale(2, [1, 5])).toBe(0.25);
    expect(unitScale(7, [7, 7])).toBe(0);
  });
});

describe('point sizes of the single view', () => {
  it('keeps the default size without norms or matches', () => {
    expect(pointSizes(2, null, null)).toBeNull();
  });
  it('sizes by norm from 1.5 to 6.5 pixels over the range', () => {
    const radii = pointSizes(2, Float32Array.from([1, 2, 3, 5]), null)!;
    expect(Array.from(radii)).toEqual([1.5, 2.75, 4, 6.5]);
  });
  it('enlarges the query and key of every match by 4 pixels', () => {
    expect(Array.from(pointSizes(3, null, [1])!)).toEqual([3, 7, 3, 3, 7, 3]);
    expect(Array.from(pointSizes(1, Float32Array.from([0, 1]), [0])!)).toEqual([5.5, 10.5]);
  });
});

describe('key-line segments', () => {
  it('joins each query point to its key point, opacity by weight', () => {
    // Two tokens before this input (first = 2) of n = 4; points x,y,z: point p at (p, 10p, 0).
    const positions = Float32Array.from({ length: 8 * 3 }, (_, i) =>
      i % 3 === 0 ? i / 3 : i % 3 === 1 ? (10 * (i - 1)) / 3 : 0,
    );
    const lines = {
      query: Int32Array.from([1]),
      key: Int32Array.from([0]),
      weight: Float32Array.from([0.5]),
    };
    const s = keyLineSegments(lines, 2, 4, positions, [10, 20, 30]);
    expect(s.count).toBe(1);
    expect(Array.from(s.source)).toEqual(point3(positions, 3)); // query 2 + 1
    expect(Array.from(s.target)).toEqual(point3(positions, 6)); // key n + 2 + 0
    expect(Array.from(s.colors)).toEqual([10, 20, 30, 128]);
  });
});
