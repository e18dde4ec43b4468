import type { Clock, TimerHandle } from './clock.js';

/**
 * Named one-shot timers of one owner (a proxy transaction, a UA core…).
 * Starting a running timer restarts it; {@link clear} stops them all, so an
 * owner's `dispose()` leaves no timer behind (STYLE.md habit 6).
 *
 * The map of handles is made on the first start: many owners never start a
 * timer (a proxy transaction of a MESSAGE never runs Timer C). The
 * transactions themselves use two fixed slots instead (`Transaction`).
 */
export class TimerSet<N extends string = string> {
  readonly #clock: Clock;
  #handles: Map<N, TimerHandle> | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  start(name: N, ms: number, fn: () => void): void {
    this.stop(name);
    const handles = (this.#handles ??= new Map());
    const handle = this.#clock.setTimeout(() => {
      handles.delete(name);
      fn();
    }, ms);
    handles.set(name, handle);
  }

  stop(name: N): void {
    const h = this.#handles?.get(name);
    if (h !== undefined) {
      this.#clock.clearTimeout(h);
      this.#handles!.delete(name);
    }
  }

  has(name: N): boolean {
    return this.#handles?.has(name) ?? false;
  }

  get size(): number {
    return this.#handles?.size ?? 0;
  }

  clear(): void {
    if (this.#handles === undefined) return;
    for (const h of this.#handles.values()) this.#clock.clearTimeout(h);
    this.#handles.clear();
  }
}
