import { describe, expect, it } from 'vitest';
import { tilesWanted } from '../../src/views/matrix-raster';

describe('matrix tiles', () => {
  const grid = { rows: 6, cols: 8 };
  it('wants none while the atlas is sharp enough', () => {
    expect(tilesWanted(grid, 128, 160, [4, 3], [4, 3]).size).toBe(0);
  });
  it('wants the cells on screen at the next power of two, at most 1024', () => {
    const wanted = tilesWanted(grid, 128, 300, [2.5, 1.5], [0.6, 0.4]);
    expect([...wanted.keys()].sort((a, b) => a - b)).toEqual([9, 10, 11]);
    expect([...wanted.values()]).toEqual([512, 512, 512]);
    expect([...tilesWanted(grid, 128, 5000, [0.5, 0.5], [0.1, 0.1]).values()]).toEqual([1024]);
  });
});
