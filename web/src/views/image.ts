// Image view (ViT): the input image with the clicked patch outlined, that patch's attention over the other
// patches as a heat overlay, the class token's weight shown apart, and optional arrows from every patch to
// the patch it attends to most.
import { argmaxOver } from '../data/attention';

export interface ImageInput {
  image: HTMLImageElement;
  rows: number;
  cols: number;
  att: Float32Array; // T x T over this image's tokens
  T: number;
  patchOfToken: (position: number) => [number, number] | null; // null for the class token
  clicked: number; // position of the clicked token in the image
  arrows: boolean;
}

export function drawImageView(canvas: HTMLCanvasElement, clsLabel: HTMLElement, input: ImageInput): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  const cw = width / input.cols;
  const ch = height / input.rows;
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, width, height);
  ctx.drawImage(input.image, 0, 0, width, height);

  const row = input.att.subarray(input.clicked * input.T, (input.clicked + 1) * input.T);
  let top = 0;
  let clsWeight = 0;
  const patches: number[] = [];
  for (let j = 0; j < input.T; j++) {
    if (input.patchOfToken(j)) {
      patches.push(j);
      top = Math.max(top, row[j]);
    } else clsWeight += row[j];
  }
  for (const j of patches) {
    const [r, c] = input.patchOfToken(j)!;
    ctx.fillStyle = `rgba(255, 60, 0, ${(0.75 * row[j]) / (top || 1)})`;
    ctx.fillRect(c * cw, r * ch, cw, ch);
  }
  clsLabel.textContent = `class token weight: ${clsWeight.toFixed(3)} · top patch weight: ${top.toFixed(3)}`;

  const here = input.patchOfToken(input.clicked);
  ctx.lineWidth = 2;
  ctx.strokeStyle = '#2f8cff';
  if (here) ctx.strokeRect(here[1] * cw + 1, here[0] * ch + 1, cw - 2, ch - 2);
  else ctx.strokeRect(1, 1, width - 2, height - 2); // the class token stands for the whole image

  if (!input.arrows) return;
  const best = argmaxOver(input.att, input.T, patches);
  ctx.strokeStyle = 'rgba(40, 200, 255, 0.8)';
  ctx.fillStyle = 'rgba(40, 200, 255, 0.8)';
  ctx.lineWidth = 1;
  for (const i of patches) {
    const from = input.patchOfToken(i)!;
    const to = input.patchOfToken(best[i]);
    if (!to || (to[0] === from[0] && to[1] === from[1])) continue;
    arrow(ctx, (from[1] + 0.5) * cw, (from[0] + 0.5) * ch, (to[1] + 0.5) * cw, (to[0] + 0.5) * ch);
  }
}

function arrow(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number): void {
  const angle = Math.atan2(y1 - y0, x1 - x0);
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - 6 * Math.cos(angle - 0.4), y1 - 6 * Math.sin(angle - 0.4));
  ctx.lineTo(x1 - 6 * Math.cos(angle + 0.4), y1 - 6 * Math.sin(angle + 0.4));
  ctx.closePath();
  ctx.fill();
}
