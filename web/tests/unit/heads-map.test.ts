import { describe, expect, it } from 'vitest';
import type { HeadsInfo } from '../../src/api';
import { headColors, headMapText, headRadii, headsPoints, mapPositions } from '../../src/data/heads-map';

const scores = (prev: number, induction: number | null) => ({ previous_token: prev, induction });
const info: HeadsInfo = {
  heads: [
    { layer: 0, head: 0, scores: scores(0.9, null), type: 'previous_token', map: [10, 0] },
    { layer: 0, head: 1, scores: scores(0.1, 0.2), type: null, map: [14, 2] },
    { layer: 1, head: 0, scores: scores(0.0, 0.8), type: 'induction', map: [12, 1] },
  ],
  order: [0, 2, 1],
  divergence: [],
};

describe('heads map', () => {
  it('scales the map into [-1, 1], centred, keeping its aspect', () => {
    const p = mapPositions(info.heads.map((h) => h.map));
    expect(Array.from(p)).toEqual([-1, -0.5, 0, 1, 0.5, 0, 0, 0, 0]);
    expect(Array.from(mapPositions([[3, 3]]))).toEqual([0, 0, 0]); // one head: the centre
  });
  it('colours by layer from the first to the last layer', () => {
    const { colors, legend } = headColors(info, 'layer', 2, null);
    expect(colors[0]).toEqual(colors[1]);
    expect(colors[0]).not.toEqual(colors[2]);
    expect(legend).toMatchObject({ kind: 'continuous', title: 'layer', min: '0', max: '1' });
  });
  it('colours by type, one colour a type, grey for none; the legend lists the types present', () => {
    const { colors, legend } = headColors(info, 'type', 2, null);
    expect(new Set(colors.map(String)).size).toBe(3);
    expect(colors[1]).toEqual([170, 170, 170, 255]);
    expect(legend.kind === 'categorical' && legend.items.map((i) => i.label)).toEqual([
      'previous token',
      'induction',
      'no type',
    ]);
  });
  it('colours by a metric over its range, grey where a head has none; without one, by layer', () => {
    const values = Float32Array.from([1, NaN, 3]);
    const { colors, legend } = headColors(info, 'metric', 2, { name: 'kl', values });
    expect(colors[1]).toEqual([170, 170, 170, 255]);
    expect(colors[0]).not.toEqual(colors[2]);
    expect(legend).toMatchObject({ title: 'kl', min: '1', max: '3' });
    expect(headColors(info, 'metric', 2, null).legend).toMatchObject({ title: 'layer' });
  });
  it('sizes by a score (a score that does not apply: smallest), or all alike', () => {
    expect(Array.from(headRadii(info, 'induction'))).toEqual(
      [3, 3 + 13 * 0.2, 3 + 13 * 0.8].map(Math.fround),
    );
    expect(new Set(headRadii(info, '')).size).toBe(1);
    const points = headsPoints(info, 'type', 'previous_token', 2, null);
    expect(points.colors.length).toBe(12);
    expect(points.radii[0]).toBeGreaterThan(points.radii[2]);
  });
  it('names a head, its type and every score in its tooltip', () => {
    expect(headMapText(info, 0)).toBe('L0 H0 · previous token\nprevious token: 0.900\ninduction: n/a');
    expect(headMapText(info, 1).split('\n')[0]).toBe('L0 H1 · no type');
  });
});
