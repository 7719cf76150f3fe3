// The heads view over several served runs (GET /api/heads/map): every run's heads at their place on the one
// map of behaviour fingerprints. The run shown keeps its colours and sizes (heads-map.ts) and is drawn last, on
// top; the other runs' heads are coloured by layer (their own depth) or type, grey for a metric they do not
// share, and outlined in their run's colour so the runs stay apart.
import { interpolateViridis } from 'd3-scale-chromatic';
import type { HeadsAcrossRuns, MapHead } from '../api';
import { parseCssColor, type Rgba } from './colors';
import { mapPositions, typeColor, typeLegend, type HeadsColor, type HeadsPoints } from './heads-map';

const OWN_OUTLINE: Rgba = [255, 255, 255, 200];
const OTHER_RADIUS = 6; // pixels

// Outline colours of the runs, none of them a type's fill (d3's schemeTableau10): near-black, magenta, cyan,
// lime, dark red.
const RUN_OUTLINES: Rgba[] = [
  [25, 25, 25, 255],
  [230, 0, 230, 255],
  [0, 200, 255, 255],
  [110, 230, 0, 255],
  [140, 0, 0, 255],
];

// A served run's outline colour, by its place among the runs of the map.
export function runColor(index: number): Rgba {
  return RUN_OUTLINES[index % RUN_OUTLINES.length];
}

export interface AcrossPoints extends HeadsPoints {
  heads: MapHead[]; // in drawing order: the other runs' first, the run shown last
  others: number; // how many heads of other runs come first
  outlines: Uint8Array; // RGBA a head
}

// `own`: the run shown's heads as heads-map.ts colours and sizes them (layer-major); `color`: the colour mode,
// which the other runs follow where they can.
export function acrossRunsPoints(
  across: HeadsAcrossRuns,
  run: string,
  own: HeadsPoints,
  color: HeadsColor,
): AcrossPoints {
  const others = across.heads.filter((h) => h.run !== run);
  const mine = across.heads.filter((h) => h.run === run);
  const heads = [...others, ...mine];
  const depth = new Map<string, number>();
  for (const h of across.heads) depth.set(h.run, Math.max(depth.get(h.run) ?? 0, h.layer));
  const runIndex = new Map(across.runs.map((r, i) => [r.name, i]));
  const colors = new Uint8Array(heads.length * 4);
  const outlines = new Uint8Array(heads.length * 4);
  const radii = new Float32Array(heads.length);
  others.forEach((h, i) => {
    const layers = depth.get(h.run)!;
    const fill: Rgba =
      color === 'type'
        ? typeColor(h.type)
        : color === 'layer'
          ? [...parseCssColor(interpolateViridis(layers > 0 ? h.layer / layers : 0)), 255]
          : [200, 200, 200, 255];
    colors.set(fill, 4 * i);
    outlines.set(runColor(runIndex.get(h.run)!), 4 * i);
    radii[i] = OTHER_RADIUS;
  });
  colors.set(own.colors.subarray(0, mine.length * 4), others.length * 4);
  radii.set(own.radii.subarray(0, mine.length), others.length);
  for (let i = others.length; i < heads.length; i++) outlines.set(OWN_OUTLINE, 4 * i);
  return {
    positions: mapPositions(heads.map((h) => h.map)),
    colors,
    radii,
    outlines,
    heads,
    others: others.length,
    // Colouring by type, the legend lists the types of every run's heads.
    legend: color === 'type' ? typeLegend(heads.map((h) => h.type)) : own.legend,
  };
}
