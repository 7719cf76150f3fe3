// The side panel of the single view, open while a point is selected: the selected point's input with this
// head's attention (sentence view for text, image view for ViT), or the head's mean attention by relative
// position. It owns the panel's tabs and options.
import { api } from '../api';
import { aggregateByOffset, hiddenTokens, hideAndRenormalize } from '../data/attention';
import { headLabel } from '../data/names';
import { matchTokens } from '../data/search';
import { pointToken } from '../data/tokens';
import type { Context } from '../context';
import { $, loadImage } from '../dom';
import type { AppPart, Keys, Reads } from '../state';
import { drawImageView } from '../views/image';
import { SentenceView, renderAggregate } from '../views/sentence';

const KEYS = [
  'view',
  'layer',
  'head',
  'selected',
  'sideTab',
  'hideSpecial',
  'arrows',
  'searchQuery',
  'searchMode',
  'hiddenTokens',
] as const satisfies Keys;
type State = Reads<typeof KEYS>;

export class SidePanel implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private sentence: SentenceView;
  private request = 0; // the latest render; an older one that finishes later is dropped

  constructor(private ctx: Context) {
    const { store, data } = ctx;
    this.sentence = new SentenceView($('sentence-view'), (position) => this.toggleKey(position));
    $('show-all').addEventListener('click', () => store.set({ hiddenTokens: [], hideSpecial: false }));
    $('side-close').addEventListener('click', () => store.set({ selected: null }));
    $('tab-input').addEventListener('click', () => store.set({ sideTab: 'input' }));
    $('tab-aggregate').addEventListener('click', () => store.set({ sideTab: 'aggregate' }));
    const hide = $<HTMLInputElement>('hide-special');
    hide.addEventListener('change', () => store.set({ hideSpecial: hide.checked }));
    const arrows = $<HTMLInputElement>('arrows');
    arrows.addEventListener('change', () => store.set({ arrows: arrows.checked }));
    $('hide-special-text').textContent = data.info.manifest.model.causal
      ? 'hide first token (renormalise)'
      : 'hide [CLS] / [SEP] (renormalise)';
  }

  update(s: State): void {
    const request = ++this.request;
    const open = s.view === 'single' && s.selected !== null;
    $('side').hidden = !open;
    $<HTMLInputElement>('hide-special').checked = s.hideSpecial;
    $<HTMLInputElement>('arrows').checked = s.arrows;
    if (open) void this.render(s, request);
  }

  private async render(s: State, request: number): Promise<void> {
    const { data, activity } = this.ctx;
    const image = data.modality === 'image';
    const input = s.sideTab === 'input';
    $('tab-input').classList.toggle('active', input);
    $('tab-aggregate').classList.toggle('active', !input);
    $('hide-special-label').hidden = image || !input;
    $('arrows-label').hidden = !image || !input;
    $('sentence-view').hidden = image || !input;
    $('hide-hint').hidden = image || !input;
    $('image-view').hidden = !image || !input;
    $('aggregate-view').hidden = input;
    const { token } = pointToken(s.selected!, data.n);
    const sequence = data.tokens.sequence[token];
    const position = data.tokens.position[token];
    $('side-title').textContent =
      `${headLabel(s)} · input ${sequence} · token ${position + 1} of ${data.tokens.sequenceLength[token]}`;
    const { att, T } = await activity.track(api.attention(s.layer, s.head, sequence));
    if (request !== this.request) return;
    if (!input) return this.showAggregate(s, att, T, request);
    if (image) return this.showImage(s, sequence, position, att, T, request);
    const { first, texts } = data.sequenceTokens(sequence);
    const causal = data.info.manifest.model.causal;
    const hidden = s.hideSpecial
      ? hiddenTokens(data.tokens.special.subarray(first, first + T), T, causal)
      : new Uint8Array(T);
    for (const t of s.hiddenTokens) if (t >= first && t < first + T) hidden[t - first] = 1;
    const shown = hidden.includes(1) ? hideAndRenormalize(att, T, hidden) : att;
    $('show-all').hidden = !hidden.includes(1);
    this.sentence.show(texts, shown, T, hidden, position, matchTokens(texts, s.searchQuery, s.searchMode));
  }

  // Hides the selected input's key at `position`, or shows it again.
  private toggleKey(position: number): void {
    const { store, data } = this.ctx;
    const s = store.get();
    if (s.selected === null) return;
    const sequence = data.tokens.sequence[pointToken(s.selected, data.n).token];
    const token = data.sequenceTokens(sequence).first + position;
    const hidden = s.hiddenTokens.includes(token)
      ? s.hiddenTokens.filter((t) => t !== token)
      : [...s.hiddenTokens, token].sort((a, b) => a - b);
    store.set({ hiddenTokens: hidden });
  }

  // The head's mean weight by key - query position over the whole dataset, and over this input.
  private async showAggregate(s: State, att: Float32Array, T: number, request: number): Promise<void> {
    const agg = await this.ctx.activity.track(api.aggregate(s.layer, s.head));
    if (request !== this.request) return;
    const view = $('aggregate-view');
    view.replaceChildren();
    const whole = document.createElement('div');
    const input = document.createElement('div');
    view.append(whole, input);
    const title = `${headLabel(s)}: mean weight by key − query position, whole dataset`;
    renderAggregate(whole, agg.offsets, agg.mean, title);
    const here = aggregateByOffset([{ att, T }], T - 1);
    renderAggregate(input, here.offsets, here.mean, `this input (${T} tokens)`);
  }

  private async showImage(
    s: State,
    sequence: number,
    position: number,
    att: Float32Array,
    T: number,
    request: number,
  ): Promise<void> {
    const { data, activity } = this.ctx;
    const img = await activity.track(loadImage(api.imageUrl(sequence)));
    if (request !== this.request) return;
    const side = Math.round(Math.sqrt(T - 1)); // ViT: a square of patches and the class token
    const [rows, cols] = data.info.manifest.sequences[sequence].grid ?? [side, side];
    const { first } = data.sequenceTokens(sequence);
    const { patchRow, patchCol } = data.tokens;
    drawImageView($<HTMLCanvasElement>('image-canvas'), $('cls-weight'), {
      image: img,
      rows,
      cols,
      att,
      T,
      clicked: position,
      arrows: s.arrows,
      patchOfToken: (p) => (patchRow![first + p] < 0 ? null : [patchRow![first + p], patchCol![first + p]]),
    });
  }
}
