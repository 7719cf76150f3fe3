import { describe, expect, it } from 'vitest';
import { nearestOfOtherKind, overlap } from '../../src/data/neighbours';

describe('nearestOfOtherKind', () => {
  // n = 3: queries 0..2 at x = 0, 1, 2; keys 3..5 at x = 2.5, -1, 0.5 (y = 0).
  const coords = Float32Array.from([0, 0, 1, 0, 2, 0, 2.5, 0, -1, 0, 0.5, 0]);

  it('gives a query its nearest keys, nearest first', () => {
    expect(Array.from(nearestOfOtherKind(coords, 2, 0, 3, 3))).toEqual([5, 4, 3]);
    expect(Array.from(nearestOfOtherKind(coords, 2, 2, 3, 2))).toEqual([3, 5]);
  });

  it('gives a key its nearest queries and breaks ties by the lower index', () => {
    // Key 5 at 0.5: queries 0 and 1 are both 0.5 away.
    expect(Array.from(nearestOfOtherKind(coords, 2, 5, 3, 2))).toEqual([0, 1]);
  });

  it('works in 3D and never gives more than n', () => {
    const two = Float32Array.from([0, 0, 0, 9, 9, 9, 0, 0, 1, 0, 0, 4]); // n = 2
    expect(Array.from(nearestOfOtherKind(two, 3, 0, 2, 10))).toEqual([2, 3]);
    expect(Array.from(nearestOfOtherKind(two, 3, 3, 2, 1))).toEqual([0]);
  });
});

describe('overlap', () => {
  it('is the share of the first set found in the second', () => {
    expect(overlap([1, 2, 3, 4], [4, 9, 1, 7])).toBe(0.5);
    expect(overlap([1], [1])).toBe(1);
    expect(overlap([1, 2], [3])).toBe(0);
    expect(overlap([], [1])).toBe(0);
  });
});
