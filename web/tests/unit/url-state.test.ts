import { describe, expect, it } from 'vitest';
import { decodeState, encodeState, isNewView, urlLimits, type UrlLimits } from '../../src/data/url-state';
import { defaults, type AppState } from '../../src/state';

const limits: UrlLimits = {
  layers: 4,
  heads: 12,
  n: 100,
  colorModes: ['qk', 'position'],
  metrics: ['attention.entropy'],
  values: true,
  headScores: ['previous_token', 'sink'],
};

describe('url state', () => {
  it('round-trips every key it holds', () => {
    const state: AppState = {
      ...defaults,
      view: 'single',
      method: 'pca',
      dim: 3,
      layer: 3,
      head: 11,
      colorMode: 'position',
      cellMetric: 'attention.entropy',
      searchQuery: '/^th(e|is)$/i & more',
      searchMode: { match: 'substring', literal: true },
      selected: 199,
      sideTab: 'aggregate',
      hiddenTokens: [0, 17, 99],
      hideSpecial: true,
      neighbours: true,
      headsColor: 'type',
      headsSize: 'previous_token',
    };
    const search = encodeState(state, defaults);
    expect({ ...defaults, ...decodeState(search, limits) }).toEqual(state);
    expect(decodeState('?view=heads', limits)).toEqual({ view: 'heads' });
  });
  it('leaves defaults out', () => {
    expect(encodeState(defaults, defaults)).toBe('');
    expect(encodeState({ ...defaults, layer: 2 }, defaults)).toBe('?l=2');
  });
  it('ignores malformed or out-of-range parameters one by one', () => {
    const patch = decodeState(
      '?view=grid&hcolor=size&hsize=Bad-1&l=4&h=-1&dim=4&color=nope&metric=x&p=200&hide=1,x&qm=regex&tab=zz&method=umap&q=ok&%zz',
      limits,
    );
    expect(patch).toEqual({ method: 'umap', searchQuery: 'ok' });
    expect(decodeState('?l=1e3&h=0x1&p=99999999999999&q=' + 'a'.repeat(201), limits)).toEqual({});
    expect(decodeState('?hide=5,3,5', limits)).toEqual({ hiddenTokens: [3, 5] });
    expect(decodeState('?hide=' + '1,'.repeat(1000) + '1', limits)).toEqual({});
  });
  it('ignores what the run cannot show: value-norm without values, heads view and size without a heads map', () => {
    const bare: UrlLimits = { ...limits, values: false, headScores: null };
    const asked = '?weight=value-norm&view=heads&hsize=previous_token&l=1';
    expect(decodeState(asked, bare)).toEqual({ layer: 1 });
    expect(decodeState(asked, limits)).toEqual({
      attentionWeight: 'value-norm',
      view: 'heads',
      headsSize: 'previous_token',
      layer: 1,
    });
    expect(decodeState('?hsize=induction', limits)).toEqual({}); // a score the heads map does not have
    expect(decodeState('?view=single&weight=attention', bare)).toEqual({
      view: 'single',
      attentionWeight: 'attention',
    });
  });
  it("takes its limits from the run: the toolbar's colour modes, values, the heads map's scores", () => {
    const run = (hasValues: boolean, scores: string[] | null) =>
      urlLimits({
        layers: 2,
        heads: 4,
        n: 30,
        modality: 'text',
        hasValues,
        headsMap: scores
          ? {
              heads: [
                {
                  layer: 0,
                  head: 0,
                  scores: Object.fromEntries(scores.map((k) => [k, 0.5])),
                  type: null,
                  map: [0, 0],
                },
              ],
              order: [0],
              divergence: [[0]],
            }
          : null,
        metrics: { names: [], values: new Map() },
      });
    expect(decodeState('?color=value-norm', run(true, null))).toEqual({ colorMode: 'value-norm' });
    expect(decodeState('?color=value-norm&weight=value-norm', run(false, null))).toEqual({});
    expect(run(false, null).headScores).toBeNull();
    expect(decodeState('?view=heads&hsize=sink', run(false, ['sink']))).toEqual({
      view: 'heads',
      headsSize: 'sink',
    });
  });
  it('makes a history entry for a new view, replaces for smaller changes', () => {
    expect(isNewView('?l=1', '?l=2')).toBe(true);
    expect(isNewView('?view=single&l=1', '?l=1')).toBe(true);
    expect(isNewView('?l=1', '?l=1&color=position&p=4')).toBe(false);
    expect(isNewView('?q=a', '')).toBe(false);
  });
});

// A small seeded fuzz: random query strings built from the characters URLs and these values use.
describe('url state on random input', () => {
  it('never throws and only returns values within the run', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = 'viewlhpqmtabcdsor=&,%?/()[]+*|^$\\-0123456789 ';
    const names = [
      'view',
      'method',
      'dim',
      'l',
      'h',
      'color',
      'metric',
      'q',
      'qm',
      'p',
      'tab',
      'special',
      'hide',
    ];
    for (let k = 0; k < 3000; k++) {
      const text = Array.from({ length: Math.floor(random() * 40) }, () =>
        random() < 0.3
          ? names[Math.floor(random() * names.length)] + '='
          : alphabet[Math.floor(random() * alphabet.length)],
      ).join('');
      const patch = decodeState(text, limits);
      if (patch.layer !== undefined) expect(patch.layer).toBeLessThan(limits.layers);
      if (patch.head !== undefined) expect(patch.head).toBeLessThan(limits.heads);
      if (patch.selected !== undefined && patch.selected !== null)
        expect(patch.selected).toBeLessThan(2 * limits.n);
      for (const t of patch.hiddenTokens ?? []) expect(t).toBeLessThan(limits.n);
    }
  });
});
