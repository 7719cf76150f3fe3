// The side panel of the single view, open while a point is selected: the selected point's input with this
// head's attention (sentence view for text, image view for ViT), or the head's mean attention by relative
// position; with no point selected, the same for the active probe (an input of the user's own). It owns the
// panel's tabs and options.
import { api } from '../api';
import { aggregateByOffset, hiddenTokens, hideAndRenormalize } from '../data/attention';
import { headLabel } from '../data/names';
import { matchTokens } from '../data/search';
import { probeSummary, type Probe } from '../data/probe';
import { pointToken } from '../data/tokens';
import type { Context } from '../context';
import { $, loadImage } from '../dom';
import { Latest } from '../latest';
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
  'probes',
  'activeProbe',
  'attentionWeight',
] as const satisfies Keys;
type State = Reads<typeof KEYS>;

export class SidePanel implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private sentence: SentenceView;
  private renders = new Latest(); // an older render that finishes later is dropped

  constructor(private ctx: Context) {
    const { store, data } = ctx;
    this.sentence = new SentenceView($('sentence-view'), (position) => this.toggleKey(position));
    $('show-all').addEventListener('click', () => store.set({ hiddenTokens: [], hideSpecial: false }));
    $('side-close').addEventListener('click', () => store.set({ selected: null, activeProbe: null }));
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
    const request = this.renders.start();
    const probe = s.selected === null ? s.probes.find((p) => p.id === s.activeProbe) : undefined;
    const open = s.view === 'single' && (s.selected !== null || probe !== undefined);
    $('side').hidden = !open;
    $<HTMLInputElement>('hide-special').checked = s.hideSpecial;
    $<HTMLInputElement>('arrows').checked = s.arrows;
    if (open) void (probe ? this.renderProbe(s, probe, request) : this.render(s, request));
  }

  // Which of the panel's views and options the tab and the run's modality show.
  private showTab(s: State): { image: boolean; input: boolean } {
    const image = this.ctx.data.modality === 'image';
    const input = s.sideTab === 'input';
    $('tab-input').classList.toggle('active', input);
    $('tab-aggregate').classList.toggle('active', !input);
    $('hide-special-label').hidden = image || !input;
    $('arrows-label').hidden = !image || !input;
    $('sentence-view').hidden = image || !input;
    $('hide-hint').hidden = image || !input;
    $('image-view').hidden = !image || !input;
    $('aggregate-view').hidden = input;
    return { image, input };
  }

  private async render(s: State, request: number): Promise<void> {
    const { data, activity } = this.ctx;
    const { image, input } = this.showTab(s);
    const { token } = pointToken(s.selected!, data.n);
    const sequence = data.tokens.sequence[token];
    const position = data.tokens.position[token];
    $('side-title').textContent =
      `${headLabel(s)} · input ${sequence} · token ${position + 1} of ${data.tokens.sequenceLength[token]}`;
    // The aggregate compares this input with the dataset's unweighted mean: it stays unweighted too.
    const weight = input ? s.attentionWeight : 'attention';
    const { att, T } = await activity.track(api.attention(s.layer, s.head, sequence, weight));
    if (!this.renders.isLatest(request)) return;
    if (!input) return this.showAggregate(s, att, T, request);
    if (image) {
      const side = Math.round(Math.sqrt(T - 1)); // ViT: a square of patches and the class token
      const [rows, cols] = data.info.manifest.sequences[sequence].grid ?? [side, side];
      const { first } = data.sequenceTokens(sequence);
      const { patchRow, patchCol } = data.tokens;
      return this.showImage(
        s,
        api.imageUrl(sequence),
        { rows, cols, clicked: position, att, T },
        request,
        (p) => (patchRow![first + p] < 0 ? null : [patchRow![first + p], patchCol![first + p]]),
      );
    }
    const { first, texts } = data.sequenceTokens(sequence);
    this.showSentence(s, texts, data.tokens.special.subarray(first, first + T), att, position, first);
  }

  // The active probe with this head's attention (GET /api/probe/{id}/attention/...).
  private async renderProbe(s: State, probe: Probe, request: number): Promise<void> {
    const { image, input } = this.showTab(s);
    $('side-title').textContent = `${headLabel(s)} · your input “${probe.label}” · ${probeSummary(probe)}`;
    const { att, T } = await this.ctx.activity.track(api.probeAttention(probe.id, s, s.attentionWeight));
    if (!this.renders.isLatest(request)) return;
    if (!input) return this.showAggregate(s, att, T, request);
    if (image && probe.image) {
      // A ViT probe: the class token (whose attention is shown), then the patches in reading order.
      const side = Math.round(Math.sqrt(T - 1));
      const grid = { rows: side, cols: side, clicked: 0, att, T };
      return this.showImage(s, probe.image, grid, request, (p) =>
        p === 0 ? null : [Math.floor((p - 1) / side), (p - 1) % side],
      );
    }
    this.showSentence(s, probe.tokens, Uint8Array.from(probe.special), att, null, null);
  }

  // Sentence view of tokens with this head's attention, special tokens hidden if asked and the tokens the user
  // hid (`first`: the dataset index of the input's first token; null for a probe), the rest renormalised.
  private showSentence(
    s: State,
    texts: string[],
    special: Uint8Array,
    att: Float32Array,
    marked: number | null,
    first: number | null,
  ) {
    const T = texts.length;
    const causal = this.ctx.data.info.manifest.model.causal;
    const hidden = s.hideSpecial ? hiddenTokens(special, T, causal) : new Uint8Array(T);
    if (first !== null)
      for (const t of s.hiddenTokens) if (t >= first && t < first + T) hidden[t - first] = 1;
    const shown = hidden.includes(1) ? hideAndRenormalize(att, T, hidden) : att;
    $('show-all').hidden = !hidden.includes(1);
    this.sentence.show(texts, shown, T, hidden, marked, matchTokens(texts, s.searchQuery, s.searchMode));
  }

  // Hides the selected input's key at `position`, or shows it again (dataset inputs only, not probes).
  private toggleKey(position: number): void {
    const { store, data } = this.ctx;
    const s = store.get();
    if (s.selected === null || s.activeProbe !== null) return;
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
    if (!this.renders.isLatest(request)) return;
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
    url: string,
    grid: { rows: number; cols: number; clicked: number; att: Float32Array; T: number },
    request: number,
    patchOfToken: (p: number) => [number, number] | null,
  ): Promise<void> {
    const img = await this.ctx.activity.track(loadImage(url));
    if (!this.renders.isLatest(request)) return;
    drawImageView($<HTMLCanvasElement>('image-canvas'), $('cls-weight'), {
      image: img,
      ...grid,
      arrows: s.arrows,
      patchOfToken,
    });
  }
}
