import { describe, expect, it } from 'vitest';
import type { HeadsAcrossRuns, HeadsInfo } from '../../src/api';
import { acrossRunsPoints, runColor } from '../../src/data/heads-across';
import { headsPoints, typeColor } from '../../src/data/heads-map';

const own: HeadsInfo = {
  heads: [
    { layer: 0, head: 0, scores: { broad: 0.9 }, type: 'broad', map: [0, 0] },
    { layer: 1, head: 0, scores: { broad: 0.2 }, type: null, map: [1, 0] },
  ],
  order: [0, 1],
  divergence: [],
};
const across: HeadsAcrossRuns = {
  runs: [
    { name: 'gpt', heads: 2 },
    { name: 'bert', heads: 3 },
  ],
  skipped: [],
  heads: [
    { run: 'gpt', layer: 0, head: 0, type: 'broad', map: [0, 0] },
    { run: 'gpt', layer: 1, head: 0, type: null, map: [4, 0] },
    { run: 'bert', layer: 0, head: 0, type: 'next_token', map: [2, 2] },
    { run: 'bert', layer: 0, head: 1, type: 'broad', map: [0, 0] },
    { run: 'bert', layer: 2, head: 0, type: null, map: [4, 4] },
  ],
};

describe('heads across runs', () => {
  const points = acrossRunsPoints(across, 'gpt', headsPoints(own, 'type', 'broad', 2, null), 'type');
  it("draws the other runs' heads first and the run shown's last, on top", () => {
    expect(points.heads.map((h) => `${h.run}${h.layer}${h.head}`)).toEqual([
      'bert00',
      'bert01',
      'bert20',
      'gpt00',
      'gpt10',
    ]);
    expect(points.others).toBe(3);
  });
  it('places all heads in one frame: twins coincide', () => {
    const at = (k: number) => [points.positions[3 * k], points.positions[3 * k + 1]];
    expect(at(1)).toEqual(at(3)); // bert L0 H1 and gpt L0 H0 share a fingerprint place
    expect(at(2)).not.toEqual(at(4));
  });
  it("outlines other runs in their run's colour; keeps the run shown's colours and sizes", () => {
    expect(Array.from(points.outlines.subarray(0, 4))).toEqual(runColor(1));
    expect(Array.from(points.colors.subarray(0, 4))).toEqual(typeColor('next_token'));
    expect(Array.from(points.colors.subarray(12, 16))).toEqual(typeColor('broad'));
    expect(points.radii[3]).toBeGreaterThan(points.radii[4]); // sized by broad: 0.9 over 0.2
    expect(points.legend.kind === 'categorical' && points.legend.items.map((i) => i.label)).toEqual([
      'next token',
      'broad',
      'no type',
    ]); // every run's types
  });
  it('colours other runs by their own depth when colouring by layer', () => {
    const byLayer = acrossRunsPoints(across, 'gpt', headsPoints(own, 'layer', '', 2, null), 'layer');
    // bert's last layer (2) and gpt's last layer (1) get the same colour: the end of the ramp.
    expect(Array.from(byLayer.colors.subarray(8, 12))).toEqual(Array.from(byLayer.colors.subarray(16, 20)));
  });
});
