import type { Clock, TimerHandle } from './clock.js';

/**
 * Named one-shot timers of one owner (a transaction, a proxy branch…).
 * Starting a running timer restarts it; {@link clear} stops them all, so an
 * owner's `dispose()` leaves no timer behind (STYLE.md habit 6).
 */
export class TimerSet<N extends string = string> {
  readonly #clock: Clock;
  readonly #handles = new Map<N, TimerHandle>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  start(name: N, ms: number, fn: () => void): void {
    this.stop(name);
    const handle = this.#clock.setTimeout(() => {
      this.#handles.delete(name);
      fn();
    }, ms);
    this.#handles.set(name, handle);
  }

  stop(name: N): void {
    const h = this.#handles.get(name);
    if (h !== undefined) {
      this.#clock.clearTimeout(h);
      this.#handles.delete(name);
    }
  }

  has(name: N): boolean {
    return this.#handles.has(name);
  }

  get size(): number {
    return this.#handles.size;
  }

  clear(): void {
    for (const h of this.#handles.values()) this.#clock.clearTimeout(h);
    this.#handles.clear();
  }
}
