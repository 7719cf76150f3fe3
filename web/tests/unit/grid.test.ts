import { describe, expect, it } from 'vitest';
import { blend, bounds, fitIntoCell, fitIntoUnitBox, obliqueProjection, slotCell } from '../../src/data/grid';

describe('grid placement', () => {
  it('fits a head into its cell keeping the aspect ratio', () => {
    // 3 points in 3D; only x, y are used; x spans 4, y spans 2.
    const src = Float32Array.from([0, 0, 9, 4, 2, 9, 2, 1, 9]);
    const out = new Float32Array(4 * 2);
    fitIntoCell(src, 3, 0, 3, out, 1, 2, 5, 0.1);
    expect(Array.from(out.subarray(0, 2))).toEqual([0, 0]);
    const xs = [out[2], out[4], out[6]];
    const ys = [out[3], out[5], out[7]];
    expect(Math.min(...xs)).toBeCloseTo(2.1);
    expect(Math.max(...xs)).toBeCloseTo(2.9);
    expect(Math.min(...ys)).toBeCloseTo(5.3); // y range 2 scaled by 0.8/4, centred at 5.5
    expect(Math.max(...ys)).toBeCloseTo(5.7);
  });
  it('handles a degenerate head (all points equal)', () => {
    const out = new Float32Array(4);
    fitIntoCell(Float32Array.from([3, 3, 3, 3]), 2, 0, 2, out, 0, 0, 0, 0.1);
    expect(Array.from(out)).toEqual([0.5, 0.5, 0.5, 0.5]);
  });
  it('fits the single view into [-1, 1] with z = 0 in 2D', () => {
    const out = fitIntoUnitBox(Float32Array.from([10, 0, 14, 1]), 2);
    expect(Array.from(out)).toEqual([-1, -0.25, 0, 1, 0.25, 0]);
    const b = bounds(fitIntoUnitBox(Float32Array.from([0, 0, 0, 1, 2, 8]), 3), 3, 0, 2);
    expect(b.max[2] - b.min[2]).toBeCloseTo(2);
  });
  it('maps slots to cells in reading order and blends', () => {
    expect(slotCell(0, 12)).toEqual([0, 0]);
    expect(slotCell(13, 12)).toEqual([1, 1]);
    expect(
      Array.from(blend(Float32Array.from([0, 2]), Float32Array.from([2, 4]), 0.25, new Float32Array(2))),
    ).toEqual([0.5, 2.5]);
  });
  it('projects 3D points obliquely, so depth shows in a flat cell', () => {
    expect(Array.from(obliqueProjection(Float32Array.from([1, 2, 3]), 0, 0))).toEqual([1, 2]);
    const [x, y] = obliqueProjection(Float32Array.from([0, 0, 1]), 30, 90); // turned 90 degrees: depth runs along x
    expect(x).toBeCloseTo(1);
    expect(y).toBeCloseTo(0);
    const [x2, y2] = obliqueProjection(Float32Array.from([0, 0, 1]), 30, 0);
    expect(x2).toBeCloseTo(0);
    expect(y2).toBeCloseTo(-0.5);
  });
});
