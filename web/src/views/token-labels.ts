// Token labels of the single view: for the points on screen, without overlaps, the `preferred` tokens (the
// selected input, or search matches) first.
import { point3 } from '../data/grid';
import { placeLabels } from '../data/labels';
import { pointToken } from '../data/tokens';
import type { CanvasView } from './canvas';
import type { SingleScene } from './scenes';

const MAX_LABELS = 150;

// `positions`: x,y,z of the 2N points; `texts`: the N token strings; `preferred`: 0/1 over tokens, or null.
export function tokenLabels(
  canvas: CanvasView,
  positions: Float32Array,
  texts: string[],
  preferred: Uint8Array | null,
): SingleScene['labels'] {
  const [w, h] = canvas.size();
  const n = texts.length;
  const first: number[] = [];
  const rest: number[] = [];
  const xs = new Float32Array(2 * n);
  const ys = new Float32Array(2 * n);
  const widths = new Float32Array(2 * n);
  for (let p = 0; p < 2 * n; p++) {
    const screen = canvas.projectOnScreen(point3(positions, p));
    if (!screen) continue;
    const { token } = pointToken(p, n);
    [xs[p], ys[p]] = screen;
    widths[p] = 7.2 * Math.max(1, texts[token].trim().length) + 6;
    (preferred?.[token] ? first : rest).push(p);
  }
  const accepted = placeLabels(
    { x: xs, y: ys, width: widths, height: 14 },
    first.concat(rest),
    w,
    h,
    MAX_LABELS,
  );
  return accepted.map((p) => ({
    position: point3(positions, p),
    text: texts[pointToken(p, n).token].trim() || '␣',
  }));
}
