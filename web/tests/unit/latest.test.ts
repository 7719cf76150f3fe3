import { describe, expect, it } from 'vitest';
import { Latest } from '../../src/latest';

describe('latest wins', () => {
  it('an older start finishing after a newer one is no longer the latest', async () => {
    const styling = new Latest();
    const shown: string[] = [];
    const restyle = async (mode: string, delay: number) => {
      const token = styling.start();
      await new Promise((done) => setTimeout(done, delay));
      if (styling.isLatest(token)) shown.push(mode);
    };
    await Promise.all([restyle('norm', 30), restyle('qk', 0)]); // the older reply arrives last
    expect(shown).toEqual(['qk']);
    const token = styling.start();
    expect(styling.isLatest(token)).toBe(true);
  });
});
