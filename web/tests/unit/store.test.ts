import { describe, expect, it } from 'vitest';
import { anyChanged, Store, type Part } from '../../src/store';

type S = { a: number; b: string; c: boolean };

// A part that records every update it gets: the values of its keys and which of them changed.
function recorder<K extends keyof S>(keys: K[], onUpdate?: (s: Pick<S, K>) => void) {
  const seen: { state: Partial<S>; changed: K[] }[] = [];
  const part: Part<S, K> = {
    keys,
    update(state, changed) {
      seen.push({ state: Object.fromEntries(keys.map((k) => [k, state[k]])), changed: [...changed].sort() });
      onUpdate?.(state);
    },
  };
  return { part, seen };
}

describe('store: parts declare the keys they read', () => {
  it('updates a part at once with all its keys, then only when one of them changes', () => {
    const store = new Store<S>({ a: 1, b: 'x', c: false });
    const { part, seen } = recorder(['a', 'c']);
    store.add(part);
    expect(seen).toEqual([{ state: { a: 1, c: false }, changed: ['a', 'c'] }]);
    store.set({ b: 'y' }); // not read
    store.set({ a: 1 }); // same value
    expect(seen.length).toBe(1);
    store.set({ a: 2, b: 'z' });
    expect(seen[1]).toEqual({ state: { a: 2, c: false }, changed: ['a'] });
    store.set({ a: 3, c: true });
    expect(seen[2].changed).toEqual(['a', 'c']);
  });

  it('compares with Object.is: a new array is a change, NaN is not', () => {
    const store = new Store({ list: [1], x: NaN });
    const seen: string[][] = [];
    store.add({ keys: ['list', 'x'], update: (_, changed) => seen.push([...changed]) });
    store.set({ list: [1], x: NaN });
    expect(seen).toEqual([['list', 'x'], ['list']]);
  });

  it('delivers a change made during an update after the current round, in order', () => {
    const store = new Store<S>({ a: 0, b: '', c: false });
    const order: string[] = [];
    // The first part answers a change of `a` by setting `b`; the second reads both.
    store.add({
      keys: ['a'],
      update: (s) => {
        order.push(`first a=${s.a}`);
        if (s.a === 1) store.set({ b: 'from first' });
      },
    });
    const second = recorder(['a', 'b'], (s) => order.push(`second a=${s.a} b=${s.b}`));
    store.add(second.part);
    order.length = 0;
    store.set({ a: 1 });
    // The second part sees a=1 with the old b first, then the change of b: never b before a.
    expect(order).toEqual(['first a=1', 'second a=1 b=', 'second a=1 b=from first']);
    expect(second.seen.slice(1).map((u) => u.changed)).toEqual([['a'], ['b']]);
    expect(store.get()).toEqual({ a: 1, b: 'from first', c: false });
  });

  it('a part that throws does not keep the others from their update', () => {
    const store = new Store<S>({ a: 0, b: '', c: false });
    store.add({
      keys: ['a'],
      update: (s) => {
        if (s.a === 1) throw new Error('broken part');
      },
    });
    const { part, seen } = recorder(['a']);
    store.add(part);
    expect(() => store.set({ a: 1 })).toThrow('broken part');
    expect(seen.at(-1)).toEqual({ state: { a: 1 }, changed: ['a'] });
    store.set({ a: 2 }); // the store still delivers afterwards
    expect(seen.at(-1)?.state).toEqual({ a: 2 });
  });

  it('stops updating a part once removed', () => {
    const store = new Store<S>({ a: 0, b: '', c: false });
    const { part, seen } = recorder(['a']);
    const remove = store.add(part);
    remove();
    store.set({ a: 5 });
    expect(seen.length).toBe(1);
  });

  it('gives a part only the keys it declared (checked by tsc)', () => {
    const part: Part<S, 'a'> = {
      keys: ['a'],
      update: (s) => {
        // @ts-expect-error `b` is not among the part's keys
        void s.b;
      },
    };
    expect(part.keys).toEqual(['a']);
  });

  it('tells whether any of some keys changed', () => {
    expect(anyChanged(new Set(['a', 'b']), ['c', 'b'])).toBe(true);
    expect(anyChanged(new Set(['a', 'c']), ['c'])).toBe(true);
    const changed: ReadonlySet<'a' | 'b'> = new Set(['a'] as const);
    expect(anyChanged(changed, ['b'])).toBe(false);
    // @ts-expect-error `c` can never be among the changed keys
    anyChanged(changed, ['c']);
  });
});
