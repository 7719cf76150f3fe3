import { describe, expect, it } from 'vitest';
import { bounds, fitIntoCell, fitIntoUnitBox, flatForCell } from '../../src/data/grid';
import {
  MAX_PROBES,
  PROBE_KEY,
  PROBE_QUERY,
  concatPoints,
  placeInCells,
  probeColors,
  probeLabels,
  probeSummary,
  toBase64,
  withProbe,
  withoutProbe,
  type Probe,
} from '../../src/data/probe';
import { makeTarget, rasterizeMarkers } from '../../src/data/raster';

const probe = (id: string, T = 2): Probe => ({
  id,
  tokens: Array.from({ length: T }, (_, i) => `t${i}`),
  positions: Array.from({ length: T }, (_, i) => i),
  special: new Array<number>(T).fill(0),
  token_count: T,
  truncated: false,
  label: `probe ${id}`,
  image: null,
});

describe('the list of probes', () => {
  it('adds at the end and keeps only the latest MAX_PROBES', () => {
    let list: Probe[] = [];
    for (let i = 0; i < MAX_PROBES + 3; i++) list = withProbe(list, probe(String(i)));
    expect(list.length).toBe(MAX_PROBES);
    expect(list[0].id).toBe('3');
    expect(list.at(-1)!.id).toBe(String(MAX_PROBES + 2));
  });
  it('removes one, keeping the active probe unless it was the one removed', () => {
    const list = [probe('a'), probe('b'), probe('c')];
    expect(withoutProbe(list, 'a', 'b')).toEqual({ probes: [list[0], list[2]], activeProbe: 'a' });
    expect(withoutProbe(list, 'b', 'b').activeProbe).toBe('c'); // then the latest
    expect(withoutProbe(list, null, 'c').activeProbe).toBe('b');
    expect(withoutProbe([list[0]], 'a', 'a')).toEqual({ probes: [], activeProbe: null });
    expect(withoutProbe(list, 'a', 'unknown').probes.length).toBe(3);
  });
  it('says how many tokens, and when the model cut the input', () => {
    expect(probeSummary({ token_count: 1, truncated: false })).toBe('1 token');
    expect(probeSummary({ token_count: 12, truncated: false })).toBe('12 tokens');
    expect(probeSummary({ token_count: 1024, truncated: true })).toBe('1024 tokens, truncated');
  });
});

describe('the image a probe sends', () => {
  it('is base64 of its bytes, also beyond one chunk', () => {
    expect(toBase64(Uint8Array.from([]))).toBe('');
    expect(toBase64(new TextEncoder().encode('attnviz'))).toBe('YXR0bnZpeg==');
    const big = Uint8Array.from({ length: 100000 }, (_, i) => (i * 7) % 256);
    expect(Buffer.from(toBase64(big), 'base64').equals(Buffer.from(big))).toBe(true);
  });
});

describe('drawing probes', () => {
  it('colours queries and keys with their own pair, apart from the dataset', () => {
    const c = probeColors(2);
    expect(Array.from(c.subarray(0, 8))).toEqual([...PROBE_QUERY, ...PROBE_QUERY]);
    expect(Array.from(c.subarray(8, 16))).toEqual([...PROBE_KEY, ...PROBE_KEY]);
  });
  it('concatenates several probes', () => {
    const p = concatPoints(
      [
        { positions: Float32Array.from([1, 1, 1, 2, 2, 2]), T: 1 },
        { positions: new Float32Array(12).fill(5), T: 2 },
      ],
      3,
    );
    expect(p.count).toBe(6);
    expect(Array.from(p.positions.subarray(0, 6))).toEqual([1, 1, 1, 2, 2, 2]);
    expect(p.positions[17]).toBe(5);
    expect(Array.from(p.colors.subarray(4, 8))).toEqual(PROBE_KEY); // probe 1's key
    expect(Array.from(p.colors.subarray(8, 12))).toEqual(PROBE_QUERY); // probe 2's first query
  });
  it('places a point equal to a dataset point exactly on it, in the single view and in every cell', () => {
    // Two heads of 3 dataset points in 2D; the probe (T = 1) repeats dataset points 1 and 2 of each head.
    const data = [Float32Array.from([0, 0, 4, 2, 2, 1]), Float32Array.from([-1, 3, 1, 5, 0, 4])];
    const probeCoords = Float32Array.from([4, 2, 2, 1, 1, 5, 0, 4]);
    for (const [k, head] of data.entries()) {
      const frame = bounds(head, 2, 0, 3);
      const datasetBox = fitIntoUnitBox(head, 2);
      const probeBox = fitIntoUnitBox(probeCoords.subarray(k * 4, k * 4 + 4), 2, frame);
      expect(Array.from(probeBox)).toEqual(Array.from(datasetBox.subarray(3, 9)));
    }
    const slotOfHead = Int32Array.from([1, 0]); // head 1 is drawn first
    const frames = data.map((head) => bounds(head, 2, 0, 3));
    const cells = placeInCells(probeCoords, 2, 1, frames, slotOfHead, 2);
    for (const [k, head] of data.entries()) {
      const expected = new Float32Array(6);
      fitIntoCell(head, 2, 0, 3, expected, 0, slotOfHead[k], 0, 0.06);
      expect(Array.from(cells.subarray(k * 4, k * 4 + 4))).toEqual(Array.from(expected.subarray(2, 6)));
    }
  });
  it('sees 3D probes in their cells as the matrix sees the dataset', () => {
    const head = Float32Array.from([0, 0, 0, 1, 2, 3, -2, 1, 0.5]);
    const frame = bounds(flatForCell(head, 3), 2, 0, 3);
    const cells = placeInCells(head.subarray(3, 9), 3, 1, [frame], Int32Array.from([0]), 1);
    const expected = new Float32Array(6);
    fitIntoCell(flatForCell(head, 3), 2, 0, 3, expected, 0, 0, 0, 0.06);
    for (let i = 0; i < 4; i++) expect(cells[i]).toBeCloseTo(expected[2 + i], 6);
  });
  it('labels each query and key with its token in its colour', () => {
    const labels = probeLabels(
      ['a', 'b'],
      Float32Array.from({ length: 12 }, (_, i) => i),
    );
    expect(labels.map((l) => l.text)).toEqual(['a', 'b', 'a', 'b']);
    expect(labels[3].position).toEqual([9, 10, 11]);
    expect(labels[0].color).toEqual(PROBE_QUERY);
    expect(labels[2].color).toEqual(PROBE_KEY);
  });
  it('rasterises markers outlined, over what is drawn, with colours shared by every head', () => {
    const t = makeTarget(20, 10);
    t.pixels.fill(7);
    // Head 1's one point (first = 1) at the centre of cell (1, 0), drawn 10 px wide at left 10.
    const positions = Float32Array.from([0.5, 0.5, 1.5, 0.5]);
    const outline = Uint8Array.from([0, 0, 0, 255]);
    rasterizeMarkers(t, 10, 0, 10, positions, Uint8Array.from(PROBE_QUERY), outline, 1, 1, 1, 0, 2);
    const rgba = (x: number, y: number) =>
      Array.from(t.pixels.subarray((y * 20 + x) * 4, (y * 20 + x) * 4 + 4));
    expect(rgba(14, 4)).toEqual(PROBE_QUERY);
    expect(rgba(15, 5)).toEqual(PROBE_QUERY);
    expect(rgba(13, 3)).toEqual([0, 0, 0, 255]); // the outline
    expect(rgba(16, 6)).toEqual([0, 0, 0, 255]);
    expect(rgba(17, 7)).toEqual([7, 7, 7, 7]); // untouched beyond it
    expect(rgba(5, 5)).toEqual([7, 7, 7, 7]); // head 0's point is not drawn
  });
});
