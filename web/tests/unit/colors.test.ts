import { describe, expect, it } from 'vitest';
import {
  colorModesFor,
  computeColors,
  fadeExcept,
  KEY_COLOR,
  perHeadLegend,
  QUERY_COLOR,
  type ColorMode,
} from '../../src/data/colors';
import { makeTokens } from '../../src/data/tokens';

const text = makeTokens(
  {
    token: ['<|endoftext|>', 'The', ' cat', '.', ' The'],
    token_id: [0, 10, 11, 12, 10],
    sequence: [0, 0, 0, 0, 1],
    position: [0, 1, 2, 3, 0],
    special: [1, 0, 0, 0, 0],
  },
  [
    { first_token: 0, token_count: 4 },
    { first_token: 4, token_count: 1 },
  ],
);
const rgb = (c: Uint8Array, p: number) => Array.from(c.subarray(p * 4, p * 4 + 3));

describe('colour modes', () => {
  it('colours queries green and keys pink', () => {
    const { colors, legend } = computeColors('qk', text, null);
    expect(rgb(colors, 0)).toEqual(QUERY_COLOR);
    expect(rgb(colors, 5)).toEqual(KEY_COLOR);
    expect(legend.kind).toBe('categorical');
  });
  it('normalises position by input length, same for query and key', () => {
    const { colors } = computeColors('position', text, null);
    expect(rgb(colors, 0)).not.toEqual(rgb(colors, 3));
    expect(rgb(colors, 3)).toEqual(rgb(colors, 8));
    expect(rgb(colors, 0)).toEqual(rgb(colors, 4)); // first token of each input
  });
  it('cycles position mod 5', () => {
    const { colors, legend } = computeColors('position-mod-5', text, null);
    expect(legend.kind === 'categorical' && legend.items.length).toBe(5);
    expect(rgb(colors, 0)).toEqual(rgb(colors, 4));
    expect(rgb(colors, 1)).not.toEqual(rgb(colors, 2));
  });
  it('separates special tokens, punctuation and the rest', () => {
    const { colors } = computeColors('punctuation', text, null);
    const [special, the, cat, dot] = [0, 1, 2, 3].map((p) => rgb(colors, p).join());
    expect(new Set([special, the, dot]).size).toBe(3);
    expect(the).toBe(cat);
  });
  it('maps norms, token length, input length and frequency onto ramps', () => {
    const norms = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const byNorm = computeColors('norm', text, norms);
    expect(byNorm.legend.kind === 'continuous' && [byNorm.legend.min, byNorm.legend.max]).toEqual([
      '1',
      '10',
    ]);
    expect(rgb(byNorm.colors, 0)).not.toEqual(rgb(byNorm.colors, 9));
    expect(() => computeColors('norm', text, null)).toThrow();
    const len = computeColors('token-length', text, null).colors;
    expect(rgb(len, 1)).toEqual(rgb(len, 2)); // 'The' and ' cat' both 3 characters trimmed
    const inputLen = computeColors('input-length', text, null).colors;
    expect(rgb(inputLen, 0)).not.toEqual(rgb(inputLen, 4));
    const freq = computeColors('frequency', text, null).colors;
    expect(rgb(freq, 1)).toEqual(rgb(freq, 4)); // token id 10 twice
    expect(rgb(freq, 1)).not.toEqual(rgb(freq, 2));
  });
  it('colours image patches by row and column, class token apart', () => {
    const img = makeTokens(
      {
        token: ['[CLS]', 'p0', 'p1', 'p2', 'p3'],
        sequence: [0, 0, 0, 0, 0],
        position: [0, 1, 2, 3, 4],
        patch_row: [-1, 0, 0, 1, 1],
        patch_col: [-1, 0, 1, 0, 1],
      },
      [{ first_token: 0, token_count: 5 }],
    );
    const rows = computeColors('patch-row', img, null).colors;
    expect(rgb(rows, 1)).toEqual(rgb(rows, 2));
    expect(rgb(rows, 1)).not.toEqual(rgb(rows, 3));
    expect(rgb(rows, 0)).not.toEqual(rgb(rows, 1));
    const cols = computeColors('patch-col', img, null).colors;
    expect(rgb(cols, 1)).toEqual(rgb(cols, 3));
    expect(() => computeColors('patch-row', text, null)).toThrow(/image/);
  });
  it('offers every mode of the modality, each producing full alpha', () => {
    for (const mode of colorModesFor({ modality: 'text', hasValues: false }) as ColorMode[]) {
      const { colors } = computeColors(
        mode,
        text,
        Float32Array.from({ length: 10 }, (_, i) => i),
      );
      for (let p = 0; p < 10; p++) expect(colors[p * 4 + 3]).toBe(255);
    }
    expect(colorModesFor({ modality: 'image', hasValues: false })).toContain('patch-col');
  });
  it('colours keys by value norm and leaves queries one neutral grey', () => {
    const values = Float32Array.from([1, 4, 2, 4, 0]); // ‖v‖ of the 5 keys
    const { colors, legend } = computeColors('value-norm', text, values);
    for (let q = 1; q < 5; q++) expect(rgb(colors, q)).toEqual(rgb(colors, 0));
    expect(rgb(colors, 0)).not.toEqual(rgb(colors, 5 + 1));
    expect(rgb(colors, 5 + 1)).toEqual(rgb(colors, 5 + 3)); // equal norms, equal colours
    expect(rgb(colors, 5 + 1)).not.toEqual(rgb(colors, 5 + 4)); // the ends of the range
    expect(legend).toMatchObject({ kind: 'continuous', min: '0', max: '4' });
    expect(() => computeColors('value-norm', text, new Float32Array(10))).toThrow(/N value norms/);
  });
  it('offers value norm only for runs with values, after vector norm', () => {
    expect(colorModesFor({ modality: 'text', hasValues: false })).not.toContain('value-norm');
    const modes = colorModesFor({ modality: 'text', hasValues: true });
    expect(modes[modes.indexOf('norm') + 1]).toBe('value-norm');
    expect(colorModesFor({ modality: 'image', hasValues: true })).toContain('value-norm');
  });
  it('fades all but the kept tokens', () => {
    const { colors } = computeColors('qk', text, null);
    const faded = fadeExcept(colors, Uint8Array.from([0, 1, 0, 0, 0]), 20);
    expect([faded[3], faded[7], faded[27]]).toEqual([20, 255, 255]);
  });
  it('a legend for heads scaled each to its own range names no numbers', () => {
    const norms = Float32Array.from({ length: 10 }, (_, i) => i);
    const legend = perHeadLegend(computeColors('norm', text, norms).legend);
    expect(legend).toMatchObject({
      kind: 'continuous',
      title: 'vector norm',
      min: 'head min',
      max: 'head max',
    });
    const qk = computeColors('qk', text, null).legend;
    expect(perHeadLegend(qk)).toEqual(qk);
  });
});
