// The tooltip over the canvas: a cell's head, how far to trust its drawn layout and its other metrics in the
// matrix view, a point's token, input and norm in the single view, a head's type and scores in the heads view. It hides when the picture under the pointer changes: in the matrix on any change
// of what is drawn, in the single view when the points move (a restyle keeps the hovered point's tooltip).
import type { HeadMetrics } from '../data/metrics';
import { headIndex, type HeadId } from '../data/heads';
import { headLabel, layoutFile, metricInfo } from '../data/names';
import { pointToken, type SequenceInfo, type Tokens } from '../data/tokens';
import type { Context } from '../context';
import { $ } from '../dom';
import type { AppPart, Changed, Keys, Reads } from '../state';
import { anyChanged } from '../store';

const KEYS = [
  'view',
  'method',
  'shown',
  'dim',
  'layer',
  'head',
  'colorMode',
  'searchIndices',
  'searchQuery',
  'theme',
  'cellMetric',
  'sortCells',
] as const satisfies Keys;
const MAX_METRICS = 14;
const MAX_INPUT_CHARS = 90;

// metrics.json's figures of one layout file ("tsne-2d"), named "{figure}.{file}"; other files' are left out
// of a cell's tooltip (they are not what is drawn).
const LAYOUT_FILE = /\.(pca|tsne|umap)-[23]d$/;
const QUALITY = ['trustworthiness', 'kl', 'iterations', 'converged', 'cross_entropy', 'epochs'];

// How far to trust a head's layout in `file` and where its optimiser stopped: "tsne-2d: trustworthiness
// 0.936 · KL 1.880 after 425 iterations (converged)", "umap-2d: trustworthiness 0.951 · cross-entropy 1.23e+5
// after 500 epochs"; null when metrics.json has none of it.
export function layoutQualityText(metrics: HeadMetrics, k: number, file: string): string | null {
  const get = (figure: string) => metrics.values.get(`${figure}.${file}`)?.[k] ?? NaN;
  const parts: string[] = [];
  const trust = get('trustworthiness');
  if (!Number.isNaN(trust)) parts.push(`trustworthiness ${trust.toFixed(3)}`);
  const [kl, iterations, converged] = [get('kl'), get('iterations'), get('converged')];
  if (!Number.isNaN(kl)) {
    const stop = Number.isNaN(converged) ? '' : converged ? ' (converged)' : ' (stopped at the cap)';
    parts.push(
      `KL ${kl.toFixed(3)}` + (Number.isNaN(iterations) ? '' : ` after ${iterations} iterations${stop}`),
    );
  }
  const [crossEntropy, epochs] = [get('cross_entropy'), get('epochs')];
  if (!Number.isNaN(crossEntropy))
    parts.push(
      `cross-entropy ${crossEntropy.toPrecision(3)}` +
        (Number.isNaN(epochs) ? '' : ` after ${epochs} epochs`),
    );
  return parts.length ? `${file}: ${parts.join(' · ')}` : null;
}

// Lines of a cell's tooltip: the head, the quality of its layout in `file` (the one drawn), then its other
// metrics (those it has, other layout files' left out).
export function cellText(head: HeadId, heads: number, metrics: HeadMetrics, file: string): string {
  const k = headIndex(head, heads);
  const lines = [headLabel(head)];
  const quality = layoutQualityText(metrics, k, file);
  if (quality) lines.push(quality);
  const shown = (name: string) =>
    name.endsWith(`.${file}`) ? !QUALITY.includes(name.slice(0, -file.length - 1)) : !LAYOUT_FILE.test(name);
  for (const name of metrics.names.filter(shown).slice(0, MAX_METRICS)) {
    const v = metrics.values.get(name)![k];
    if (!Number.isNaN(v)) lines.push(`${metricInfo(name).label}: ${v.toFixed(3)}`);
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

// `text` with `line` (when not empty) after its first line.
function withLine(text: string, line: string): string {
  const [first, ...rest] = text.split('\n');
  return [first, ...(line ? [line] : []), ...rest].join('\n');
}

export class Tooltips implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private tip = $('tooltip');
  private file = ''; // the layout file drawn, whose figures a cell's tooltip shows
  private searchLine = ''; // the search's count, under a cell's head (the matrix enlarges its matches)

  // `headAt`: the head in a matrix cell; `norms`: those of the single view's head; `headText`: the tooltip
  // of the heads view's point k.
  constructor(
    private ctx: Context,
    headAt: (cell: [number, number]) => HeadId,
    norms: () => Float32Array | null,
    headText: (k: number) => string,
  ) {
    const { canvas, data } = ctx;
    canvas.listen({
      onCellHover: (cell, x, y) =>
        this.show(
          cell && withLine(cellText(headAt(cell), data.heads, data.metrics, this.file), this.searchLine),
          x,
          y,
        ),
      onHeadHover: (k, x, y) => this.show(k === null ? null : headText(k), x, y),
      onPointHover: (point, x, y) =>
        this.show(
          point === null ? null : pointText(point, data.tokens, data.info.manifest.sequences, norms()),
          x,
          y,
        ),
    });
  }

  update(s: Reads<typeof KEYS>, changed: Changed<typeof KEYS>): void {
    this.file = layoutFile(s.shown ?? s.method, s.dim);
    const count = s.searchIndices?.length;
    this.searchLine =
      count === undefined ? '' : `search ${s.searchQuery.trim()}: ${count} tokens (${2 * count} points)`;
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
