// The compact encoding of every head's layout (GET /api/layouts/{method}/{dim}?encoding=u16, docs/api.md):
// per head a block of float32 min[dim], float32 max[dim], then uint16 codes [points x dim], a coordinate
// being min + code * (max - min) / 65535. Blocks arrive in a byte stream cut anywhere; this reassembles them
// one at a time and decodes each into float32, so no more than one head's block is held besides its output.

export const COMPACT_STEPS = 65535;

// Bytes of one head's block.
export function compactBlockBytes(points: number, dim: number): number {
  return 8 * dim + 2 * points * dim;
}

// One block (its own buffer, starting at byte 0) as float32 coordinates [points x dim].
export function decodeCompactBlock(block: ArrayBuffer, points: number, dim: number): Float32Array {
  const min = new Float32Array(block, 0, dim);
  const max = new Float32Array(block, 4 * dim, dim);
  const codes = new Uint16Array(block, 8 * dim, points * dim);
  const out = new Float32Array(points * dim);
  for (let d = 0; d < dim; d++) {
    const lo = min[d];
    const step = (max[d] - lo) / COMPACT_STEPS;
    for (let i = d; i < out.length; i += dim) out[i] = lo + codes[i] * step;
  }
  return out;
}

// Feeds chunks of the body; calls `onHead(k, coords)` as each of `heads` blocks completes. `finish` throws
// when the body ended early, `push` when it has more bytes than the blocks.
export class CompactBlocks {
  private readonly size: number;
  private block: Uint8Array<ArrayBuffer>;
  private filled = 0;
  private head = 0;

  constructor(
    private readonly heads: number,
    private readonly points: number,
    private readonly dim: number,
    private readonly onHead: (head: number, coords: Float32Array) => void,
  ) {
    this.size = compactBlockBytes(points, dim);
    this.block = new Uint8Array(this.size);
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.head >= this.heads) throw new Error(`compact layouts: more than ${this.heads} heads' bytes`);
      const take = Math.min(chunk.length - at, this.size - this.filled);
      this.block.set(chunk.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === this.size) {
        this.onHead(this.head, decodeCompactBlock(this.block.buffer, this.points, this.dim));
        this.head++;
        this.filled = 0;
      }
    }
  }

  finish(): void {
    if (this.head !== this.heads || this.filled !== 0) {
      throw new Error(`compact layouts: the body ended after ${this.head} of ${this.heads} heads`);
    }
  }
}
