import { describe, expect, it } from 'vitest';
import { float32WithShape, parseShape } from '../../src/data/binary';

describe('binary payloads', () => {
  it('parses the shape header', () => {
    expect(parseShape('6,2')).toEqual([6, 2]);
    expect(parseShape('4, 6 ,3')).toEqual([4, 6, 3]);
  });
  it('rejects missing or malformed shapes', () => {
    expect(() => parseShape(null)).toThrow(/no X-Attnviz-Shape/);
    expect(() => parseShape('6,x')).toThrow(/malformed/);
    expect(() => parseShape('-1,2')).toThrow(/malformed/);
  });
  it('reads little-endian float32 matching the shape', () => {
    const buf = new ArrayBuffer(16);
    const view = new DataView(buf);
    [1.5, -2, 3.25, 0].forEach((v, i) => view.setFloat32(i * 4, v, true));
    expect(Array.from(float32WithShape(buf, [2, 2]))).toEqual([1.5, -2, 3.25, 0]);
    expect(() => float32WithShape(buf, [3, 2])).toThrow(/16 bytes/);
  });
});
