import { describe, expect, it } from 'vitest';
import { matchTokens, searchRadii, tokenMask } from '../../src/data/search';

describe('search', () => {
  it('matches display strings trimmed and case-insensitively', () => {
    expect(Array.from(matchTokens(['The', ' the', 'theme', ' THE ', 'a'], ' the'))).toEqual([0, 1, 3]);
    expect(matchTokens(['a'], '   ').length).toBe(0);
  });
  it('enlarges both the query and the key of each match', () => {
    expect(Array.from(searchRadii([1], 3, 1, 4))).toEqual([1, 4, 1, 1, 4, 1]);
    expect(() => searchRadii([3], 3, 1, 4)).toThrow(/outside/);
    expect(Array.from(tokenMask([0, 2], 3))).toEqual([1, 0, 1]);
  });
});
