import { describe, expect, it } from 'vitest';
import { CompactBlocks, compactBlockBytes, decodeCompactBlock } from '../../src/data/compact';

// A block as the server writes it (src/server/compact_layouts.cpp): box, then the nearest codes.
function encode(coords: number[], dim: number): Uint8Array {
  const points = coords.length / dim;
  const buffer = new ArrayBuffer(compactBlockBytes(points, dim));
  const min = new Float32Array(buffer, 0, dim);
  const max = new Float32Array(buffer, 4 * dim, dim);
  const codes = new Uint16Array(buffer, 8 * dim, coords.length);
  for (let d = 0; d < dim; d++) {
    const axis = coords.filter((_, i) => i % dim === d);
    min[d] = Math.min(...axis);
    max[d] = Math.max(...axis);
  }
  coords.forEach((v, i) => {
    const span = max[i % dim] - min[i % dim];
    codes[i] = span > 0 ? Math.round(((v - min[i % dim]) / span) * 65535) : 0;
  });
  return new Uint8Array(buffer);
}

const head = (k: number, points: number) =>
  Array.from({ length: points * 2 }, (_, i) => Math.sin(i * 0.7 + k) * (k + 1) * 100);

describe('compact layouts', () => {
  it('takes 4 bytes a 2D point and 6 a 3D one, plus the box', () => {
    expect(compactBlockBytes(1000, 2)).toBe(16 + 4000);
    expect(compactBlockBytes(1000, 3)).toBe(24 + 6000);
  });

  it('decodes within half a step of the coordinates', () => {
    const coords = head(3, 500);
    const block = encode(coords, 2);
    const out = decodeCompactBlock(block.buffer as ArrayBuffer, 500, 2);
    const step = (2 * 4 * 100) / 65535;
    coords.forEach((v, i) => expect(Math.abs(out[i] - v)).toBeLessThanOrEqual(step / 2 + 1e-4));
  });

  it('a constant axis decodes to its value', () => {
    const out = decodeCompactBlock(encode([2, 5, 2, 6, 2, 7], 2).buffer as ArrayBuffer, 3, 2);
    expect([out[0], out[2], out[4]]).toEqual([2, 2, 2]);
    expect([out[1], out[5]]).toEqual([5, 7]);
  });

  it('reassembles blocks from chunks cut anywhere, in order', () => {
    const points = 37;
    const heads = [0, 1, 2].map((k) => head(k, points));
    const body = new Uint8Array(3 * compactBlockBytes(points, 2));
    heads.forEach((h, k) => body.set(encode(h, 2), k * compactBlockBytes(points, 2)));
    const seen: number[] = [];
    const blocks = new CompactBlocks(3, points, 2, (k, coords) => {
      seen.push(k);
      expect(Math.abs(coords[5] - heads[k][5])).toBeLessThan(0.01 * (k + 1));
    });
    for (let at = 0; at < body.length; at += 13) blocks.push(body.subarray(at, at + 13));
    blocks.finish();
    expect(seen).toEqual([0, 1, 2]);
  });

  it('refuses a body that is short or too long', () => {
    const size = compactBlockBytes(4, 2);
    const short = new CompactBlocks(2, 4, 2, () => {});
    short.push(new Uint8Array(size + 3));
    expect(() => short.finish()).toThrow(/after 1 of 2 heads/);
    const long = new CompactBlocks(1, 4, 2, () => {});
    expect(() => long.push(new Uint8Array(size + 1))).toThrow(/more than 1 heads/);
  });
});
