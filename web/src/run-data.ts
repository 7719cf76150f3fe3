// What the page knows about the run: manifest, token table, metrics, and caches of layouts and norms.
import { api, type Dim, type HeadsInfo, type LayoutAvailability, type Method, type RunInfo } from './api';
import type { ColorMode } from './data/colors';
import { headId, headIndex, type HeadId } from './data/heads';
import { parseMetrics, type HeadMetrics } from './data/metrics';
import { makeTokens, pointToken, type Tokens } from './data/tokens';

// How many heads' layouts RunData keeps (those the single view and head-by-head loading fetched last).
const LAYOUT_CACHE_HEADS = 32;

export class RunData {
  readonly layers: number;
  readonly heads: number;
  readonly n: number; // tokens; every head has 2n points
  metrics: HeadMetrics;
  private layoutCache = new Map<string, Float32Array>();
  private normCache = new Map<string, Promise<Float32Array>>(); // norms and value norms, by route and head

  constructor(
    public info: RunInfo,
    readonly tokens: Tokens,
    readonly headsMap: HeadsInfo | null = null, // null: the run has no heads map yet
  ) {
    this.layers = info.manifest.model.num_layers;
    this.heads = info.manifest.model.num_heads;
    this.n = tokens.n;
    this.metrics = parseMetrics(info.metrics, this.layers, this.heads);
  }

  static async load(): Promise<RunData> {
    const [info, tokens, heads] = await Promise.all([api.run(), api.tokens(), api.heads()]);
    return new RunData(info, makeTokens(tokens, info.manifest.sequences), heads);
  }

  async refresh(): Promise<void> {
    this.info = await api.run();
    this.metrics = parseMetrics(this.info.metrics, this.layers, this.heads);
  }

  get modality(): 'text' | 'image' {
    return this.info.manifest.model.modality;
  }

  // The run holds value vectors (extract --values): value-norm weighting and colouring are offered.
  get hasValues(): boolean {
    return this.info.manifest.qk?.values === true;
  }

  availability(method: Method, dim: Dim): LayoutAvailability {
    return (
      this.info.layouts.find((l) => l.method === method && l.dim === dim) ?? {
        method,
        dim,
        heads_ready: 0,
        heads_total: this.layers * this.heads,
      }
    );
  }

  complete(method: Method, dim: Dim): boolean {
    const a = this.availability(method, dim);
    return a.heads_total > 0 && a.heads_ready >= a.heads_total;
  }

  // Why the method's file for `dim` is unusable (the server's one line), or undefined.
  problem(method: Method, dim: Dim): string | undefined {
    return this.availability(method, dim).problem;
  }

  // The method the matrix draws for `method`: itself once every head's layout is on disk; until then PCA
  // (quick for the server to compute) stands in.
  shownFor(method: Method, dim: Dim): Method {
    return method === 'pca' || this.complete(method, dim) ? method : 'pca';
  }

  // Every head's layout: the bulk route when all heads are on disk, else head by head (computed on demand by
  // the server). `onHead` sees each head as it arrives.
  async loadAll(
    method: Method,
    dim: Dim,
    onHead: (head: number, coords: Float32Array) => void,
  ): Promise<void> {
    const points = 2 * this.n;
    const count = this.layers * this.heads;
    // The bulk heads are not cached: a big run's every head would stay in memory twice (here and drawn).
    if (this.complete(method, dim) && (await api.layouts(method, dim, count, points, onHead))) return;
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const k = next++;
        onHead(k, await this.layout(method, dim, headId(k, this.heads)));
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
  }

  // [2N x dim] of one head.
  async layout(method: Method, dim: Dim, { layer, head }: HeadId): Promise<Float32Array> {
    const key = `${method}/${dim}/${headIndex({ layer, head }, this.heads)}`;
    let coords = this.layoutCache.get(key);
    if (!coords) {
      coords = await api.layout(method, dim, layer, head, 2 * this.n);
      this.layoutCache.set(key, coords);
      // The most recent heads only (Map keeps insertion order): memory stays bounded on a big run.
      if (this.layoutCache.size > LAYOUT_CACHE_HEADS)
        this.layoutCache.delete(this.layoutCache.keys().next().value!);
    }
    return coords;
  }

  // |q| then |k| of one head (2N values).
  norms({ layer, head }: HeadId): Promise<Float32Array> {
    return this.cachedNorms(`norms/${layer}/${head}`, () => api.norms(layer, head, 2 * this.n));
  }

  // ‖v‖ of one head's values (N values); only for runs with values.
  valueNorms({ layer, head }: HeadId): Promise<Float32Array> {
    return this.cachedNorms(`value-norms/${layer}/${head}`, () => api.valueNorms(layer, head, this.n));
  }

  // What colour mode `mode` colours one head by (computeColors' `values`), or null when it needs nothing.
  async colorValues(mode: ColorMode, head: HeadId): Promise<Float32Array | null> {
    if (mode === 'norm') return this.norms(head);
    if (mode === 'value-norm') return this.valueNorms(head);
    return null;
  }

  private cachedNorms(key: string, load: () => Promise<Float32Array>): Promise<Float32Array> {
    let norms = this.normCache.get(key);
    if (!norms) {
      norms = load();
      norms.catch(() => this.normCache.delete(key));
      this.normCache.set(key, norms);
    }
    return norms;
  }

  // 0/1 over the tokens: those of the input that point `point` (0..2N-1) belongs to.
  inputMask(point: number): Uint8Array {
    const { first, count } = this.sequenceTokens(this.tokens.sequence[pointToken(point, this.n).token]);
    const mask = new Uint8Array(this.n);
    mask.fill(1, first, first + count);
    return mask;
  }

  sequenceTokens(sequence: number): { first: number; count: number; texts: string[] } {
    const s = this.info.manifest.sequences[sequence];
    return {
      first: s.first_token,
      count: s.token_count,
      texts: this.tokens.text.slice(s.first_token, s.first_token + s.token_count),
    };
  }
}
