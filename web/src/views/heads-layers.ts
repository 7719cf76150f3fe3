// deck.gl layers of the heads view, a pure function of its scene: one dot a head (pickable: its id starts
// with 'points', as the canvas's picking expects), a ring around the head last opened, and the heads' names.
import { ScatterplotLayer, TextLayer } from '@deck.gl/layers';
import { point3 } from '../data/grid';
import type { HeadsScene } from './scenes';

export function headsLayers(s: HeadsScene) {
  const count = s.radii.length;
  const heads = Array.from({ length: count }, (_, k) => k);
  const v = s.version;
  const triggers = { getPosition: v, getFillColor: v, getRadius: v, getLineColor: v, getLineWidth: v };
  return [
    new ScatterplotLayer({
      id: 'points-heads',
      data: heads,
      getPosition: (k: number) => point3(s.positions, k),
      getFillColor: (k: number) => Array.from(s.colors.subarray(4 * k, 4 * k + 4)) as any,
      getRadius: (k: number) => s.radii[k],
      radiusUnits: 'pixels',
      stroked: true,
      getLineColor: (k: number) =>
        s.outlines ? (Array.from(s.outlines.subarray(4 * k, 4 * k + 4)) as any) : [255, 255, 255, 200],
      lineWidthUnits: 'pixels',
      getLineWidth: (k: number) => (k < s.others ? 2.5 : 1), // other runs' heads: a thick outline
      pickable: true,
      updateTriggers: triggers,
    }),
    s.outlined !== null &&
      new ScatterplotLayer({
        id: `heads-outlined-${s.version}`,
        data: [s.outlined],
        getPosition: (k: number) => point3(s.positions, k),
        getRadius: (k: number) => s.radii[k] + 4,
        radiusUnits: 'pixels',
        filled: false,
        stroked: true,
        getLineColor: s.textColor,
        lineWidthUnits: 'pixels',
        getLineWidth: 2,
      }),
    new TextLayer({
      id: 'heads-labels',
      data: heads,
      getPosition: (k: number) => point3(s.positions, k),
      getText: (k: number) => s.labels[k],
      getSize: 10,
      getColor: s.textColor,
      getPixelOffset: (k: number) => [s.radii[k] + 3, 0],
      getTextAnchor: 'start',
      getAlignmentBaseline: 'center',
      updateTriggers: { getPosition: s.version, getText: s.version, getColor: s.version },
    }),
  ].filter(Boolean) as any[];
}
