// deck.gl layers of the single view, a pure function of its scene: the points (dots, or patch thumbnails for
// image runs), attention lines of the selected input, a ring around the selected point, rings around its true
// and layout neighbours, token labels, and the probes' points and labels on top.
import { IconLayer, LineLayer, ScatterplotLayer, TextLayer } from '@deck.gl/layers';
import { point3 } from '../data/grid';
import type { SingleScene } from './scenes';
import { THUMB } from './thumbnails';

// Points as patch thumbnails (image runs are small: one object a point is affordable here).
function thumbnailLayer(s: SingleScene, t: NonNullable<SingleScene['thumbnails']>) {
  const mapping: Record<string, { x: number; y: number; width: number; height: number }> = {};
  for (let token = 0; token < t.tokens; token++) {
    mapping[token] = {
      x: (token % t.atlas.columns) * THUMB,
      y: Math.floor(token / t.atlas.columns) * THUMB,
      width: THUMB,
      height: THUMB,
    };
  }
  return new IconLayer({
    id: 'points-thumbnails',
    data: Array.from({ length: s.points }, (_, p) => p),
    iconAtlas: t.atlas.canvas as any,
    iconMapping: mapping,
    getIcon: (p: number) => String(p % t.tokens),
    getPosition: (p: number) => point3(s.positions, p),
    getSize: (p: number) => (s.radii ? 4 * s.radii[p] : 14),
    getColor: (p: number) => [255, 255, 255, s.colors[p * 4 + 3]],
    sizeUnits: 'pixels',
    billboard: true,
    pickable: true,
    updateTriggers: { getPosition: s.version, getSize: s.version, getColor: s.version },
  });
}

// The colours of the neighbour rings: true partners by q·k, nearest in the layout (docs/guide.md).
export const RING_COLORS = { partners: [230, 120, 0, 255], nearest: [40, 120, 220, 255] } as const;

// An unfilled ring of `radius` pixels around each of `points`.
function ringLayer(id: string, s: SingleScene, points: Int32Array, radius: number, color: readonly number[]) {
  return new ScatterplotLayer({
    id,
    data: Array.from(points, (p) => point3(s.positions, p)),
    getPosition: (d: [number, number, number]) => d,
    getRadius: radius,
    radiusUnits: 'pixels',
    billboard: true,
    stroked: true,
    filled: false,
    getLineColor: color as [number, number, number, number],
    lineWidthUnits: 'pixels',
    getLineWidth: 2,
    updateTriggers: { getPosition: s.version },
  });
}

export function singleLayers(s: SingleScene) {
  const layers: unknown[] = [
    s.thumbnails
      ? thumbnailLayer(s, s.thumbnails)
      : new ScatterplotLayer({
          id: 'points',
          data: {
            length: s.points,
            attributes: {
              getPosition: { value: s.positions, size: 3 },
              getFillColor: { value: s.colors, size: 4, normalized: true },
              ...(s.radii ? { getRadius: { value: s.radii, size: 1 } } : {}),
            },
          },
          getRadius: 3,
          radiusUnits: 'pixels',
          billboard: true,
          pickable: true,
          autoHighlight: true,
          highlightColor: [255, 200, 0, 255],
          updateTriggers: { getPosition: s.version, getFillColor: s.version, getRadius: s.version },
        }),
  ];
  if (s.lines && s.lines.count > 0) {
    layers.push(
      new LineLayer({
        id: 'attention-lines',
        data: {
          length: s.lines.count,
          attributes: {
            getSourcePosition: { value: s.lines.source, size: 3 },
            getTargetPosition: { value: s.lines.target, size: 3 },
            getColor: { value: s.lines.colors, size: 4, normalized: true },
          },
        },
        getWidth: 1.5,
        updateTriggers: { getSourcePosition: s.version, getColor: s.version },
      }),
    );
  }
  if (s.neighbours) {
    layers.push(ringLayer('layout-neighbours', s, s.neighbours.nearest, 9, RING_COLORS.nearest));
    layers.push(ringLayer('true-neighbours', s, s.neighbours.partners, 6, RING_COLORS.partners));
  }
  if (s.selected !== null) {
    layers.push(
      new ScatterplotLayer({
        id: 'selected',
        data: [{ position: point3(s.positions, s.selected) }],
        getPosition: (d: { position: [number, number, number] }) => d.position,
        getRadius: 7,
        radiusUnits: 'pixels',
        billboard: true,
        stroked: true,
        filled: false,
        getLineColor: s.textColor,
        lineWidthUnits: 'pixels',
        getLineWidth: 2,
        updateTriggers: { getPosition: s.version },
      }),
    );
  }
  if (s.labels.length > 0) {
    layers.push(
      new TextLayer({
        id: 'token-labels',
        data: s.labels,
        getPosition: (d: SingleScene['labels'][number]) => d.position,
        getText: (d: SingleScene['labels'][number]) => d.text,
        getSize: 12,
        getColor: s.textColor,
        getTextAnchor: 'start',
        getAlignmentBaseline: 'center',
        getPixelOffset: [5, 0],
        characterSet: 'auto',
        fontFamily: 'monospace',
        billboard: true,
        updateTriggers: { getColor: s.version },
      }),
    );
  }
  if (s.probes) layers.push(...probeLayers(s, s.probes));
  return layers as any[];
}

// The probes' points over everything else: larger, outlined in the text colour, with their token labels.
function probeLayers(s: SingleScene, p: NonNullable<SingleScene['probes']>) {
  return [
    new ScatterplotLayer({
      id: 'probe-points',
      data: {
        length: p.count,
        attributes: {
          getPosition: { value: p.positions, size: 3 },
          getFillColor: { value: p.colors, size: 4, normalized: true },
        },
      },
      getRadius: 6,
      radiusUnits: 'pixels',
      billboard: true,
      stroked: true,
      getLineColor: s.textColor,
      lineWidthUnits: 'pixels',
      getLineWidth: 1.5,
      updateTriggers: { getPosition: s.version, getFillColor: s.version, getLineColor: s.version },
    }),
    new TextLayer({
      id: 'probe-labels',
      data: p.labels,
      getPosition: (d: (typeof p.labels)[number]) => d.position,
      getText: (d: (typeof p.labels)[number]) => d.text,
      getSize: 13,
      getColor: (d: (typeof p.labels)[number]) => d.color,
      getTextAnchor: 'start',
      getAlignmentBaseline: 'center',
      getPixelOffset: [8, 0],
      characterSet: 'auto',
      fontFamily: 'monospace',
      fontWeight: 'bold',
      billboard: true,
      updateTriggers: { getPosition: s.version, getColor: s.version },
    }),
  ];
}
