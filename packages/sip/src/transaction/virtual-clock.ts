/**
 * A {@link Clock} that only moves when told to: tests advance it by minutes
 * in a few milliseconds of real time. Promise callbacks (a transport's
 * `send()` resolving, an in-memory wire delivering) run between timers, so
 * asynchronous code behaves as it would in real time.
 */
import type { Clock, TimerHandle } from './clock.js';

interface Entry {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/** Lets pending promise callbacks and `setImmediate` work run. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  /** Ordered by (at, id): equal deadlines fire in scheduling order. */
  #queue: Entry[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const entry: Entry = { id: ++this.#seq, at: this.#now + Math.max(0, ms), fn };
    let i = this.#queue.length;
    while (i > 0 && this.#queue[i - 1].at > entry.at) i--;
    this.#queue.splice(i, 0, entry);
    return entry.id;
  }

  clearTimeout(handle: TimerHandle): void {
    const i = this.#queue.findIndex((e) => e.id === handle);
    if (i >= 0) this.#queue.splice(i, 1);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await flush();
    for (;;) {
      const next = this.#queue[0];
      if (next === undefined || next.at > end) break;
      this.#queue.shift();
      this.#now = next.at;
      next.fn();
      await flush();
    }
    this.#now = end;
  }

  /** Advances in `step` increments until `done()` holds or `limit` ms have passed; returns `done()`. */
  async until(done: () => boolean, limit = 600_000, step = 10): Promise<boolean> {
    const end = this.#now + limit;
    await flush();
    while (!done() && this.#now < end) await this.advance(Math.min(step, end - this.#now));
    return done();
  }

  /** Fires everything (timers scheduled while running included), up to `limit` ms ahead. */
  async runAll(limit = 3_600_000): Promise<void> {
    const end = this.#now + limit;
    while (this.#queue.length > 0 && this.#queue[0].at <= end) await this.advance(this.#queue[0].at - this.#now);
  }
}
