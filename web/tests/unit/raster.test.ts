import { describe, expect, it } from 'vitest';
import { makeTarget, rasterizeCell } from '../../src/data/raster';

const rgba = (t: ReturnType<typeof makeTarget>, x: number, y: number) =>
  Array.from(t.pixels.subarray((y * t.width + x) * 4, (y * t.width + x) * 4 + 4));

describe('cell rasterisation', () => {
  it('draws each point as a square at its place in the cell region', () => {
    const t = makeTarget(20, 10);
    // Cell (1, 0) drawn 10 px wide at left 10: the point at the cell's centre lands at pixel (15, 5).
    rasterizeCell(
      t,
      10,
      0,
      10,
      Float32Array.from([1.5, 0.5]),
      Uint8Array.from([255, 0, 0, 255]),
      null,
      0,
      1,
      1,
      0,
      2,
    );
    expect(rgba(t, 14, 4)).toEqual([255, 0, 0, 255]);
    expect(rgba(t, 15, 5)).toEqual([255, 0, 0, 255]);
    expect(rgba(t, 16, 5)).toEqual([0, 0, 0, 0]);
    expect(rgba(t, 13, 4)).toEqual([0, 0, 0, 0]);
  });
  it('clips at the cell border and never writes outside its region', () => {
    const t = makeTarget(20, 10);
    rasterizeCell(
      t,
      10,
      0,
      10,
      Float32Array.from([1.0, 0.0, 2.2, 0.5]),
      Uint8Array.from([9, 9, 9, 255, 9, 9, 9, 255]),
      null,
      0,
      2,
      1,
      0,
      4,
    );
    expect(rgba(t, 10, 0)).toEqual([9, 9, 9, 255]);
    expect(rgba(t, 9, 0)).toEqual([0, 0, 0, 0]);
    let painted = 0;
    for (let i = 3; i < t.pixels.length; i += 4) if (t.pixels[i]) painted++;
    expect(painted).toBe(4); // 2x2 visible quarter of the first square; the second lies outside
  });
  it('composites translucent points over opaque ones and draws emphasised points last', () => {
    const t = makeTarget(10, 10);
    const pos = Float32Array.from([0.5, 0.5, 0.5, 0.5]);
    const colors = Uint8Array.from([0, 0, 255, 255, 255, 0, 0, 51]);
    rasterizeCell(t, 0, 0, 10, pos, colors, null, 0, 2, 0, 0, 1);
    expect(rgba(t, 4, 4)).toEqual([51, 0, 204, 255]); // a 1-pixel dot centred at 5 covers pixel 4
    const u = makeTarget(10, 10);
    // The first point is emphasised (radius 3): drawn after the second, so it covers it.
    rasterizeCell(
      u,
      0,
      0,
      10,
      pos,
      Uint8Array.from([0, 0, 255, 255, 255, 0, 0, 255]),
      Float32Array.from([3, 1]),
      0,
      2,
      0,
      0,
      1,
    );
    expect(rgba(u, 4, 4)).toEqual([0, 0, 255, 255]);
    expect(rgba(u, 3, 5)).toEqual([0, 0, 255, 255]);
  });
});
