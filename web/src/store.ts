// One state object for the whole page, and the parts of the page that react to it. A part declares the keys
// of the state it reads (in the spirit of deck.gl's updateTriggers); the store calls its update only when one
// of those keys changed, with the set of them that did. A part added to the store is updated at once with
// all its keys "changed", so start-up and later changes take the same path.
//
// Changes made while parts are being updated (a part setting the state) are applied at once (get() sees
// them) and delivered in a further round once the current round is over, so every part sees every change
// in order and none sees a state newer than the one it is being updated with.

// A part of the page that reads the keys K of the state S.
export interface Part<S, K extends keyof S = keyof S> {
  readonly keys: readonly K[];
  update(state: Pick<S, K>, changed: ReadonlySet<K>): void;
}

// Whether any of `keys` (which must be among the keys `changed` can hold) is among the changed ones.
export function anyChanged<K>(changed: ReadonlySet<K>, keys: readonly NoInfer<K>[]): boolean {
  return keys.some((key) => changed.has(key));
}

export type Listener<S> = (state: S, previous: S) => void;

export class Store<S extends object> {
  private state: S;
  private listeners = new Set<Listener<S>>();
  private delivered: S; // the state every listener has been called with
  private delivering = false;

  constructor(initial: S) {
    this.state = initial;
    this.delivered = initial;
  }

  get(): S {
    return this.state;
  }

  set(patch: Partial<S>): void {
    this.state = { ...this.state, ...patch };
    this.deliver();
  }

  // Calls `listener` with every new state and the one before it; returns a function that stops it.
  subscribe(listener: Listener<S>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // Adds a part: updates it at once with every key it reads, then whenever some of them change.
  add<K extends keyof S>(part: Part<S, K>): () => void {
    part.update(this.delivered, new Set(part.keys));
    return this.subscribe((state, previous) => {
      const changed = part.keys.filter((key) => !Object.is(state[key], previous[key]));
      if (changed.length > 0) part.update(state, new Set(changed));
    });
  }

  // Rounds of calls until every listener has seen the latest state. A listener that throws does not keep
  // the others from their call; the first error is thrown once the state is delivered.
  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    let failure: unknown = null;
    try {
      while (this.delivered !== this.state) {
        const previous = this.delivered;
        const next = this.state;
        this.delivered = next;
        for (const listener of [...this.listeners]) {
          try {
            listener(next, previous);
          } catch (e) {
            failure ??= e;
          }
        }
      }
    } finally {
      this.delivering = false;
    }
    if (failure !== null) throw failure;
  }
}
