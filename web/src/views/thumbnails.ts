// Patch thumbnails for image runs: every token's patch (the whole image for the class token) cut from its
// input image into one atlas canvas, for drawing single-view points as the pixels they stand for.
import type { Tokens, SequenceInfo } from '../data/tokens';

export const THUMB = 16; // atlas cell, pixels

export interface PatchAtlas {
  canvas: HTMLCanvasElement;
  columns: number; // atlas cells a row; token t sits at cell t
}

export function buildPatchAtlas(
  images: HTMLImageElement[],
  tokens: Tokens,
  sequences: SequenceInfo[],
): PatchAtlas {
  const columns = Math.ceil(Math.sqrt(tokens.n));
  const canvas = document.createElement('canvas');
  canvas.width = columns * THUMB;
  canvas.height = Math.ceil(tokens.n / columns) * THUMB;
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  for (let t = 0; t < tokens.n; t++) {
    const s = tokens.sequence[t];
    const img = images[s];
    const [rows, cols] = sequences[s].grid ?? [1, 1];
    const r = tokens.patchRow![t];
    const c = tokens.patchCol![t];
    const [sx, sy, sw, sh] =
      r < 0
        ? [0, 0, img.width, img.height]
        : [(c * img.width) / cols, (r * img.height) / rows, img.width / cols, img.height / rows];
    ctx.drawImage(img, sx, sy, sw, sh, (t % columns) * THUMB, Math.floor(t / columns) * THUMB, THUMB, THUMB);
  }
  return { canvas, columns };
}
