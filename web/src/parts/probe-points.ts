// Where the probes' points go in the view shown: fetched from the server (GET /api/probe/{id}/layout/...: the
// server places them into the stored layout) and fitted into the frame of their head's dataset points. The
// matrix and single controllers ask for them whenever they place the dataset's points or the probes change.
// A probe that cannot be placed (a head computed on demand, not on disk: 409) is left out, with the server's
// reason in the status line.
import { api, HttpError, type Dim, type Method } from '../api';
import type { Context } from '../context';
import { fitIntoUnitBox, type Bounds } from '../data/grid';
import type { HeadId } from '../data/heads';
import {
  concatPoints,
  placeInCells,
  probeColors,
  probeLabels,
  type Probe,
  type ProbePoints,
} from '../data/probe';
import type { MatrixOverlay } from '../views/matrix-raster';
import type { SingleScene } from '../views/scenes';

export class ProbePlacer {
  private cache = new Map<string, Promise<Float32Array>>(); // by probe id and layout (and head)

  constructor(private ctx: Context) {}

  // Every probe in every cell of the matrix: one overlay a probe. `frames[k]` is head k's frame in its cell.
  async matrix(
    probes: Probe[],
    method: Method,
    dim: Dim,
    frames: Bounds[],
    slotOfHead: Int32Array,
    outline: Uint8Array,
  ): Promise<MatrixOverlay[]> {
    const { data } = this.ctx;
    const count = data.layers * data.heads;
    const placed = await this.fetchAll(probes, `${method}/${dim}`, (p) =>
      api.probeLayouts(p.id, method, dim, count, p.token_count),
    );
    return placed.map(({ probe, coords }) => ({
      perHead: 2 * probe.token_count,
      positions: placeInCells(coords, dim, probe.token_count, frames, slotOfHead, data.heads),
      colors: probeColors(probe.token_count),
      outline,
    }));
  }

  // Every probe in one head of the single view (x,y,z a point in the unit box of `frame`), and the token
  // labels of the active probe.
  async single(
    probes: Probe[],
    active: string | null,
    method: Method,
    dim: Dim,
    head: HeadId,
    frame: Bounds,
  ): Promise<SingleScene['probes']> {
    const placed = await this.fetchAll(probes, `${method}/${dim}/${head.layer}/${head.head}`, (p) =>
      api.probeLayout(p.id, method, dim, head, p.token_count),
    );
    if (placed.length === 0) return null;
    const parts = placed.map(({ probe, coords }) => ({
      probe,
      positions: fitIntoUnitBox(coords, dim, frame),
      T: probe.token_count,
    }));
    const points: ProbePoints = concatPoints(parts, 3);
    const labelled = parts.find((p) => p.probe.id === active) ?? parts.at(-1)!;
    return { ...points, labels: probeLabels(labelled.probe.tokens, labelled.positions) };
  }

  // The probes' coordinates in one layout, from the cache or the server; those the server cannot place are
  // left out (its reason in the status line), as are those removed meanwhile.
  private async fetchAll(
    probes: Probe[],
    layout: string,
    fetchOne: (p: Probe) => Promise<Float32Array>,
  ): Promise<{ probe: Probe; coords: Float32Array }[]> {
    this.forgetAllBut(probes);
    const placed = await Promise.all(
      probes.map(async (probe) => {
        const key = `${probe.id}/${layout}`;
        let coords = this.cache.get(key);
        if (!coords) {
          coords = fetchOne(probe);
          this.cache.set(key, coords);
          coords.catch(() => this.cache.delete(key));
        }
        const result = await this.ctx.activity.track(coords.catch((e: unknown) => e as Error));
        if (result instanceof Float32Array) return { probe, coords: result };
        // 409: not placeable in this layout; 404: the server no longer has the probe (restarted, evicted).
        if (result instanceof HttpError && (result.status === 409 || result.status === 404)) {
          this.ctx.activity.note(`“${probe.label}” is not placed here: ${result.reason}`);
        } else this.ctx.activity.fail(result);
        return null;
      }),
    );
    return placed.filter((p) => p !== null);
  }

  private forgetAllBut(probes: Probe[]): void {
    const ids = new Set(probes.map((p) => p.id));
    for (const key of this.cache.keys()) if (!ids.has(key.split('/')[0])) this.cache.delete(key);
  }
}
