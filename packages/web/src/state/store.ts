/**
 * A small observable store: state is replaced, never mutated, so components
 * re-render when the slice they select changes (compared with Object.is).
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export class Store<S> {
  #state: S;
  readonly #listeners = new Set<() => void>();

  constructor(initial: S) {
    this.#state = initial;
  }

  get state(): S {
    return this.#state;
  }

  update(fn: (s: S) => S): void {
    const next = fn(this.#state);
    if (next === this.#state) return;
    this.#state = next;
    for (const l of [...this.#listeners]) {
      try {
        l();
      } catch (e) {
        console.error(e);
      }
    }
  }

  subscribe(l: () => void): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
}

/** The selected slice of `store`, re-rendering the caller when it changes. */
export function useStore<S, T>(store: Store<S>, select: (s: S) => T): T {
  const [, force] = useState(0);
  const selected = useRef<T>(select(store.state));
  const selectRef = useRef(select);
  selectRef.current = select;
  selected.current = select(store.state);
  useEffect(() => {
    const check = (): void => {
      const v = selectRef.current(store.state);
      if (!Object.is(v, selected.current)) {
        selected.current = v;
        force((n) => n + 1);
      }
    };
    check();
    return store.subscribe(check);
  }, [store]);
  return selected.current;
}
