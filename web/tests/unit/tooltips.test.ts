import { describe, expect, it } from 'vitest';
import { parseMetrics } from '../../src/data/metrics';
import { makeTokens } from '../../src/data/tokens';
import { cellText, pointText } from '../../src/parts/tooltips';

describe('tooltip texts', () => {
  it('names a cell by its head, then the metrics it has', () => {
    const metrics = parseMetrics({ 'l1.h0': { entropy: 1.23456 }, 'l0.h1': { other: 2 } }, 2, 2);
    expect(cellText({ layer: 1, head: 0 }, 2, metrics)).toBe('L1 H0\nentropy: 1.235');
  });
  it('describes a point: token and side, position, input (shortened), patch, norm', () => {
    const long = 'x'.repeat(100);
    const sequences = [
      { first_token: 0, token_count: 2, text: 'The cat' },
      { first_token: 2, token_count: 1, text: long },
    ];
    const tokens = makeTokens(
      { token: ['The', ' cat', 'x'], sequence: [0, 0, 1], position: [0, 1, 0] },
      sequences,
    );
    const norms = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(pointText(4, tokens, sequences, norms)).toBe(
      '" cat" · key\nposition 2 of 2\ninput 0: The cat\nnorm 5.000',
    );
    expect(pointText(2, tokens, sequences, null)).toBe(
      `"x" · query\nposition 1 of 1\ninput 1: ${'x'.repeat(90)}…`,
    );
  });
  it('gives the patch of an image token', () => {
    const sequences = [
      { first_token: 0, token_count: 2, image: 'digit.png', grid: [1, 1] as [number, number] },
    ];
    const tokens = makeTokens(
      { token: ['[CLS]', 'p0'], sequence: [0, 0], position: [0, 1], patch_row: [-1, 0], patch_col: [-1, 0] },
      sequences,
    );
    expect(pointText(1, tokens, sequences, null)).toContain('input 0: digit.png\npatch row 0, column 0');
    expect(pointText(0, tokens, sequences, null)).not.toContain('patch');
  });
});
