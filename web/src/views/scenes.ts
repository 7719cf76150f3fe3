// What the canvas draws: a scene for the matrix view (every head in its grid cell), for the single view
// (one head) or for the heads view (every head a point on the heads map). Controllers fill the buffers; `version` tells the canvas when their contents changed.
import type { Segments } from '../data/attention';
import type { Cell } from '../data/cells';
import type { Rgba } from '../data/colors';
import type { ProbePoints } from '../data/probe';
import type { MatrixPoints } from './matrix-raster';
import type { PatchAtlas } from './thumbnails';

export interface MatrixScene extends MatrixPoints {
  kind: 'matrix';
  cells: Cell[];
  textColor: Rgba;
  version: number; // bumped whenever a buffer's contents change
}

// Joint point indices: the selected point's true top-K partners by q·k, and its K nearest in the layout.
export interface NeighbourRings {
  partners: Int32Array;
  nearest: Int32Array;
}

export interface SingleScene {
  kind: 'single';
  dim: 2 | 3;
  points: number;
  positions: Float32Array; // x,y,z a point in [-1, 1]
  colors: Uint8Array;
  radii: Float32Array | null;
  lines: Segments | null;
  labels: { position: [number, number, number]; text: string }[];
  selected: number | null;
  neighbours: NeighbourRings | null; // rings around the selected point's true and layout neighbours
  thumbnails: { atlas: PatchAtlas; tokens: number } | null; // image runs: draw points as their patches
  // The probes' points over the dataset's (x,y,z a point), and the active probe's token labels.
  probes:
    (ProbePoints & { labels: { position: [number, number, number]; text: string; color: Rgba }[] }) | null;
  textColor: Rgba;
  version: number;
}

// Every head a point on the heads map (data/heads-map.ts; with several runs, every run's: data/heads-across.ts);
// `outlined` the head the single view last showed.
export interface HeadsScene {
  kind: 'heads';
  positions: Float32Array; // x,y,z a head in [-1, 1]
  colors: Uint8Array; // RGBA a head
  radii: Float32Array; // pixels a head
  outlines: Uint8Array | null; // RGBA a head: several runs, each outlined in its colour (null: one run)
  others: number; // heads of other runs, drawn first (the run shown's come after them)
  labels: string[]; // a head's name ("L3 H5"), drawn beside it ('' for none)
  outlined: number | null;
  textColor: Rgba;
  version: number;
}

export type Scene = MatrixScene | SingleScene | HeadsScene;
