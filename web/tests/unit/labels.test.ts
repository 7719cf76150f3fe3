import { describe, expect, it } from 'vitest';
import { placeLabels } from '../../src/data/labels';

describe('label placement', () => {
  it('accepts labels in priority order and never overlaps', () => {
    const c = {
      x: Float32Array.from([10, 12, 10, 200, 395]),
      y: Float32Array.from([10, 12, 40, 10, 10]),
      width: Float32Array.from([50, 50, 50, 50, 50]),
      height: 12,
    };
    const placed = placeLabels(c, [0, 1, 2, 3, 4], 400, 300, 10);
    expect(placed).toEqual([0, 2, 3]); // 1 overlaps 0; 4 runs off screen
    expect(placeLabels(c, [1, 0], 400, 300, 10)).toEqual([1]);
    expect(placeLabels(c, [0, 2, 3], 400, 300, 2)).toEqual([0, 2]);
  });
  it('stays non-overlapping on many random labels', () => {
    const n = 2000;
    let seed = 1;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const c = {
      x: Float32Array.from({ length: n }, () => rand() * 800),
      y: Float32Array.from({ length: n }, () => rand() * 600),
      width: Float32Array.from({ length: n }, () => 20 + rand() * 60),
      height: 12,
    };
    const placed = placeLabels(
      c,
      Array.from({ length: n }, (_, i) => i),
      900,
      600,
      500,
    );
    expect(placed.length).toBeGreaterThan(50);
    for (let a = 0; a < placed.length; a++) {
      for (let b = a + 1; b < placed.length; b++) {
        const i = placed[a];
        const j = placed[b];
        const overlap =
          c.x[i] < c.x[j] + c.width[j] && c.x[j] < c.x[i] + c.width[i] && Math.abs(c.y[i] - c.y[j]) < 12;
        expect(overlap).toBe(false);
      }
    }
  });
});
