import { describe, expect, it } from 'vitest';
import {
  BUDGET_MS,
  MAX_PATTERN,
  findTokens,
  groupByInput,
  matchTokens,
  backtrackingRisk,
  MAX_REPETITIONS,
  searchRadii,
  tokenMask,
} from '../../src/data/search';

const exact = { match: 'exact', literal: false } as const;
const substring = { match: 'substring', literal: false } as const;
const hits = (texts: string[], q: string, mode: { match: 'exact' | 'substring'; literal: boolean } = exact) =>
  Array.from(findTokens(texts, q, mode).indices ?? []);

describe('search', () => {
  it('matches display strings trimmed and case-insensitively', () => {
    expect(Array.from(matchTokens(['The', ' the', 'theme', ' THE ', 'a'], ' the'))).toEqual([0, 1, 3]);
    expect(matchTokens(['a'], '   ').length).toBe(0);
  });
  it('ignores WordPiece and BPE markers unless told to match them literally', () => {
    const texts = ['##ing', 'Ġing', '▁ing', 'ing', 'sing', '##s'];
    expect(hits(texts, 'ing')).toEqual([0, 1, 2, 3]);
    expect(hits(texts, 'ing', { match: 'exact', literal: true })).toEqual([3]);
    expect(hits(texts, '##ing', { match: 'exact', literal: true })).toEqual([0]);
    expect(hits(texts, '##ing')).toEqual([0, 1, 2, 3]); // a typed marker is ignored too
  });
  it('finds substrings', () => {
    expect(hits(['Running', 'ran', '##ning', 'n'], 'NING', substring)).toEqual([0, 2]);
  });
  it('reads /…/ as a regular expression, case-sensitive unless i', () => {
    const texts = ['The', 'the', 'then', '##ed', 'walked'];
    expect(hits(texts, '/^th/')).toEqual([1, 2]);
    expect(hits(texts, '/^th/i')).toEqual([0, 1, 2]);
    expect(hits(texts, '/^ed$/')).toEqual([3]);
    expect(hits(texts, '/ed$/', { match: 'exact', literal: true })).toEqual([3, 4]);
  });
  it('says in one line why a query is invalid, without throwing', () => {
    expect(findTokens(['a'], '/(/', exact).error).toMatch(/^bad regular expression: /);
    expect(findTokens(['a'], '/a/g', exact).error).toMatch(/only i is allowed/);
    expect(findTokens(['a'], 'x'.repeat(MAX_PATTERN + 1), exact).error).toMatch(/longer than/);
    for (const bad of ['/(a+)+$/', '/(a|aa)*b/', '/((ab)*c)+/', '/(x{2,})*/']) {
      expect(findTokens(['aaaa'], bad, exact).error).toMatch(/repeated group/);
    }
  });
  it('allows the safe shapes of repetition', () => {
    for (const ok of [
      '(ing|ed)?',
      'a+b*',
      '(ab){1}',
      '[(+]+',
      '\\(a+\\)+',
      '(ab)+',
      '(a)+b*c+',
      '[*+]*x+y+',
    ]) {
      expect(backtrackingRisk(ok)).toBeNull();
    }
  });
  it('refuses more repetitions than MAX_REPETITIONS: in a row they backtrack polynomially', () => {
    expect(MAX_REPETITIONS).toBe(3);
    for (const bad of ['\\w*\\w*\\w*\\w*!', 'a+b+c+d+', '(a)+(b)+(c)+(d)+', '\\(+\\)+x*y*']) {
      expect(backtrackingRisk(bad)).toMatch(/at most 3 repetitions/);
    }
    // The one that froze the tab: eight in a row against 64-character tokens.
    expect(findTokens(['a'.repeat(64)], '/\\w*\\w*\\w*\\w*\\w*\\w*\\w*\\w*!/', exact).error).toMatch(
      /repetitions/,
    );
  });
  it('stops after its time budget', () => {
    let t = 0;
    const clock = () => (t += BUDGET_MS / 100);
    const result = findTokens(new Array(100000).fill('a'), 'a', exact, clock);
    expect(result.error).toMatch(/stopped after/);
  });
  it('groups matches by input in token order', () => {
    expect(groupByInput([0, 3, 4], [0, 0, 1, 2, 2])).toEqual([
      { sequence: 0, tokens: [0] },
      { sequence: 2, tokens: [3, 4] },
    ]);
  });
  it('enlarges both the query and the key of each match', () => {
    expect(Array.from(searchRadii([1], 3, 1, 4))).toEqual([1, 4, 1, 1, 4, 1]);
    expect(() => searchRadii([3], 3, 1, 4)).toThrow(/outside/);
    expect(Array.from(tokenMask([0, 2], 3))).toEqual([1, 0, 1]);
  });
});

describe('search on random patterns', () => {
  it('answers every pattern with matches or a message, never an exception', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = 'ab()[]{}+*?|^$\\/.,1i#Ġ';
    const texts = ['a', 'ab', '##ab', 'Ġb', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaab', '(', ''];
    for (let k = 0; k < 2000; k++) {
      const q = Array.from(
        { length: Math.floor(random() * 16) },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join('');
      for (const mode of [exact, substring]) {
        const result = findTokens(texts, q, mode);
        expect(result.indices !== null || typeof result.error === 'string').toBe(true);
      }
    }
  });
});
