// The tooltip over the canvas: a cell's head and its metrics in the matrix view, a point's token, input and
// norm in the single view. It hides when the picture under the pointer changes: in the matrix on any change
// of what is drawn, in the single view when the points move (a restyle keeps the hovered point's tooltip).
import type { HeadMetrics } from '../data/metrics';
import { headIndex, type HeadId } from '../data/heads';
import { headLabel } from '../data/names';
import { pointToken, type SequenceInfo, type Tokens } from '../data/tokens';
import type { Context } from '../context';
import { $ } from '../dom';
import type { AppPart, Changed, Keys, Reads } from '../state';
import { anyChanged } from '../store';

const KEYS = [
  'view',
  'method',
  'dim',
  'layer',
  'head',
  'colorMode',
  'searchIndices',
  'theme',
  'cellMetric',
  'sortCells',
] as const satisfies Keys;
const MAX_METRICS = 14;
const MAX_INPUT_CHARS = 90;

// Lines of a cell's tooltip: the head, then its metrics (those it has).
export function cellText(head: HeadId, heads: number, metrics: HeadMetrics): string {
  const k = headIndex(head, heads);
  const lines = [headLabel(head)];
  for (const name of metrics.names.slice(0, MAX_METRICS)) {
    const v = metrics.values.get(name)![k];
    if (!Number.isNaN(v)) lines.push(`${name}: ${v.toFixed(3)}`);
  }
  return lines.join('\n');
}

// Lines of a point's tooltip: token and side, position in its input, the input, the patch, the norm.
export function pointText(
  point: number,
  t: Tokens,
  sequences: SequenceInfo[],
  norms: Float32Array | null,
): string {
  const { token, isKey } = pointToken(point, t.n);
  const seq = sequences[t.sequence[token]];
  const input = seq.text !== undefined ? seq.text : (seq.image ?? '');
  const lines = [
    `"${t.text[token]}" · ${isKey ? 'key' : 'query'}`,
    `position ${t.position[token] + 1} of ${t.sequenceLength[token]}`,
    `input ${t.sequence[token]}: ${input.length > MAX_INPUT_CHARS ? input.slice(0, MAX_INPUT_CHARS) + '…' : input}`,
  ];
  if (t.patchRow && t.patchRow[token] >= 0)
    lines.push(`patch row ${t.patchRow[token]}, column ${t.patchCol![token]}`);
  if (norms) lines.push(`norm ${norms[point].toFixed(3)}`);
  return lines.join('\n');
}

export class Tooltips implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private tip = $('tooltip');

  // `headAt`: the head in a matrix cell; `norms`: those of the single view's head.
  constructor(
    private ctx: Context,
    headAt: (cell: [number, number]) => HeadId,
    norms: () => Float32Array | null,
  ) {
    const { canvas, data } = ctx;
    canvas.listen({
      onCellHover: (cell, x, y) => this.show(cell && cellText(headAt(cell), data.heads, data.metrics), x, y),
      onPointHover: (point, x, y) =>
        this.show(
          point === null ? null : pointText(point, data.tokens, data.info.manifest.sequences, norms()),
          x,
          y,
        ),
    });
  }

  update(s: Reads<typeof KEYS>, changed: Changed<typeof KEYS>): void {
    if (s.view === 'matrix' || anyChanged(changed, ['view', 'method', 'dim', 'layer', 'head']))
      this.show(null, 0, 0);
  }

  private show(text: string | null, x: number, y: number): void {
    this.tip.hidden = text === null;
    if (text === null) return;
    this.tip.textContent = text;
    const [w] = this.ctx.canvas.size();
    this.tip.style.left = `${Math.min(x + 14, w - 330)}px`;
    this.tip.style.top = `${y + 14}px`;
  }
}
