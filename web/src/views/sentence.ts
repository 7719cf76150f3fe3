// Sentence view (BertViz-like): the input's tokens as queries on the left and keys on the right, one line per
// query-key pair whose opacity is the attention weight. Hovering a token keeps only its lines; a click pins it.
import { renderBars, svgElement as el } from './bars';

const ROW = 18;
const LEFT_X = 150;
const RIGHT_X = 270;
const MIN_SHOWN = 0.01; // weights below this draw nothing visible anyway

type Focus = { side: 'query' | 'key'; index: number } | null;

export class SentenceView {
  private lines: SVGLineElement[] = [];
  private pinned: Focus = null;

  constructor(private container: HTMLElement) {}

  // `att` is T x T (already renormalised if tokens are hidden); `hidden` marks tokens drawn struck through;
  // `marked` is the token of the clicked point; `matches` (positions) are underlined search matches.
  show(
    tokens: string[],
    att: Float32Array,
    T: number,
    hidden: Uint8Array,
    marked: number | null,
    matches: ArrayLike<number>,
  ): void {
    this.pinned = null;
    this.container.replaceChildren();
    const svg = el('svg', { width: 420, height: T * ROW + 28 });
    svg.append(el('text', { x: LEFT_X, y: 12, 'text-anchor': 'end' }), el('text', { x: RIGHT_X, y: 12 }));
    (svg.children[0] as SVGTextElement).textContent = 'queries';
    (svg.children[1] as SVGTextElement).textContent = 'keys';
    const y = (i: number) => 28 + i * ROW;
    this.lines = [];
    for (let i = 0; i < T; i++) {
      for (let j = 0; j < T; j++) {
        const w = att[i * T + j];
        if (w < MIN_SHOWN) continue;
        const line = el('line', {
          x1: LEFT_X + 6,
          y1: y(i) - 4,
          x2: RIGHT_X - 6,
          y2: y(j) - 4,
          stroke: 'var(--accent)',
          'stroke-width': 2,
          'stroke-opacity': w.toFixed(3),
        });
        line.dataset.query = String(i);
        line.dataset.key = String(j);
        this.lines.push(line);
        svg.append(line);
      }
    }
    for (const side of ['query', 'key'] as const) {
      tokens.forEach((text, i) => {
        const node = el(
          'text',
          side === 'query' ? { x: LEFT_X, y: y(i), 'text-anchor': 'end' } : { x: RIGHT_X, y: y(i) },
        );
        node.textContent = text.trim() === '' ? '␣' : text;
        node.dataset.testid = `${side}-token`;
        node.dataset.index = String(i);
        if (hidden[i]) node.classList.add('hidden-token');
        if (i === marked) node.setAttribute('font-weight', 'bold');
        if (Array.prototype.includes.call(matches, i)) node.setAttribute('text-decoration', 'underline');
        node.addEventListener('mouseenter', () => this.focus({ side, index: i }));
        node.addEventListener('mouseleave', () => this.focus(this.pinned));
        node.addEventListener('click', () => {
          const same = this.pinned?.side === side && this.pinned.index === i;
          this.pinned = same ? null : { side, index: i };
          svg.querySelectorAll('text.pinned').forEach((t) => t.classList.remove('pinned'));
          if (!same) node.classList.add('pinned');
          this.focus(this.pinned);
        });
        svg.append(node);
      });
    }
    this.container.append(svg);
  }

  private focus(focus: Focus): void {
    for (const line of this.lines) {
      const visible =
        !focus || Number(focus.side === 'query' ? line.dataset.query : line.dataset.key) === focus.index;
      line.style.display = visible ? '' : 'none';
    }
  }
}

// Bar chart of the mean attention weight by relative position (key position - query position).
export function renderAggregate(
  container: HTMLElement,
  offsets: number[],
  mean: number[],
  title: string,
): void {
  renderBars(container, offsets, mean, title, {
    width: 400,
    height: 180,
    tip: (d, m) => `offset ${d}: ${m.toFixed(4)}`,
  });
}
