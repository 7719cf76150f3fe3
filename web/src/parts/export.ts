// Export: "PNG" saves the canvas (matrix or single view) at 2× its resolution; "SVG" (shown while the sentence
// view is open) saves the sentence view. Files are named after the run, the head and the layout:
// `brown-gpt_L3H5_tsne-2d.png`, `brown-gpt_L3H5_input7.svg`, `brown-gpt_matrix_pca-3d.png`.
import type { Context } from '../context';
import { $, download } from '../dom';
import { fileStem } from '../data/names';
import { pointToken } from '../data/tokens';
import type { AppPart, Keys, Reads } from '../state';

const KEYS = [
  'view',
  'layer',
  'head',
  'method',
  'shown',
  'dim',
  'selected',
  'sideTab',
] as const satisfies Keys;
type State = Reads<typeof KEYS>;
const PNG_SCALE = 2;

export class Export implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private state: State | null = null;

  constructor(private ctx: Context) {
    $('save-png').addEventListener('click', () => void this.savePng());
    $('save-svg').addEventListener('click', () => this.saveSvg());
  }

  update(s: State): void {
    this.state = s;
    $('save-svg').hidden = !(s.view === 'single' && s.selected !== null && s.sideTab === 'input');
  }

  private async savePng(): Promise<void> {
    const s = this.state;
    if (!s) return;
    const name = `${this.prefix(s)}_${s.shown ?? s.method}-${s.dim}d.png`;
    const png = await this.ctx.activity.track(this.ctx.canvas.capture(PNG_SCALE));
    download(png, name);
  }

  private saveSvg(): void {
    const s = this.state;
    const svg = $('sentence-view').querySelector('svg');
    if (!s || !svg || s.selected === null) return;
    const copy = svg.cloneNode(true) as SVGSVGElement;
    copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
    inlineStyles(svg, copy);
    const sequence = this.ctx.data.tokens.sequence[pointToken(s.selected, this.ctx.data.n).token];
    const text = new XMLSerializer().serializeToString(copy);
    download(new Blob([text], { type: 'image/svg+xml' }), `${this.prefix(s)}_input${sequence}.svg`);
  }

  // "brown-gpt_L3H5" in the single view, "brown-gpt_matrix" in the matrix.
  private prefix(s: State): string {
    const run = fileStem(this.ctx.data.info.manifest.model);
    return s.view === 'single' ? `${run}_L${s.layer}H${s.head}` : `${run}_${s.view}`;
  }
}

// The computed colours and fonts of the page (CSS variables, classes) written onto the copy's elements, so
// the file looks the same outside the page.
function inlineStyles(source: SVGSVGElement, copy: SVGSVGElement): void {
  const from = source.querySelectorAll('*');
  const to = copy.querySelectorAll('*');
  from.forEach((node, k) => {
    const style = getComputedStyle(node);
    const target = to[k] as SVGElement;
    for (const prop of [
      'fill',
      'stroke',
      'font-family',
      'font-size',
      'font-weight',
      'text-decoration',
      'display',
    ])
      target.style.setProperty(prop, style.getPropertyValue(prop));
  });
}
