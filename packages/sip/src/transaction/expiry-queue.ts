import type { Clock, TimerHandle } from './clock.js';

/**
 * Entries that all wait the same delay, each until its own deadline: the
 * non-INVITE server transactions in Completed (Timer J, RFC 3261 §17.2.2)
 * and the keys of the non-INVITE client transactions that completed (Timer
 * K, §17.1.2.2).
 *
 * Why not one clock timer per entry: at thousands of transactions a second,
 * each would own a timer object, a closure and its context for 5 s or 32 s
 * — long enough to be promoted to the old generation and die there, which
 * is what major GCs are made of. Here the entries live in one Map (entry →
 * deadline, a small integer), and since every entry waits the same delay on
 * a monotonic clock, the Map's insertion order is also deadline order: the
 * Map is the lookup table and the FIFO at once, and one clock timer, armed
 * for the oldest entry, serves them all. An entry costs one slot of the
 * Map's table.
 *
 * Under load the oldest deadline is always a fraction of a millisecond away,
 * so the timer is re-armed no sooner than `granularity` ms after it last
 * fired: an entry may expire up to that much late. {@link has} is exact.
 */
export class ExpiryQueue<K> {
  readonly #clock: Clock;
  readonly #delay: number;
  readonly #granularity: number;
  readonly #onExpire: (key: K) => void;
  /** Entry → deadline (ms on the clock, rounded up), in insertion = deadline order. */
  readonly #deadlines = new Map<K, number>();
  #timer: TimerHandle | undefined;
  #lastFired = -Infinity;

  /**
   * `onExpire` is called once per entry whose deadline passed, after the
   * entry was removed; it may add and delete entries.
   */
  constructor(clock: Clock, delay: number, onExpire: (key: K) => void, granularity = 100) {
    if (!(delay >= 0) || !(granularity >= 0)) throw new TypeError('delay and granularity must be non-negative');
    this.#clock = clock;
    this.#delay = delay;
    this.#granularity = granularity;
    this.#onExpire = onExpire;
  }

  get size(): number {
    return this.#deadlines.size;
  }

  /** The wait every entry gets. */
  get delay(): number {
    return this.#delay;
  }

  /** Adds `key` with a deadline of now + delay (moved to the back if present); returns the deadline. */
  add(key: K): number {
    const deadline = Math.ceil(this.#clock.now() + this.#delay);
    // Delete first: a re-added key must go to the back to keep deadline order.
    this.#deadlines.delete(key);
    this.#deadlines.set(key, deadline);
    if (this.#timer === undefined) this.#arm(deadline);
    return deadline;
  }

  /** True while `key` is queued and its deadline has not passed. */
  has(key: K): boolean {
    const deadline = this.#deadlines.get(key);
    return deadline !== undefined && deadline > this.#clock.now();
  }

  /** The deadline of `key`, if queued. */
  deadline(key: K): number | undefined {
    return this.#deadlines.get(key);
  }

  /** Removes `key` without calling `onExpire`; true if it was queued. */
  delete(key: K): boolean {
    if (!this.#deadlines.delete(key)) return false;
    if (this.#deadlines.size === 0) this.#disarm();
    return true;
  }

  /** The entry queued longest (the next to expire), if any. */
  oldest(): K | undefined {
    for (const key of this.#deadlines.keys()) return key;
    return undefined;
  }

  /** Removes every entry without calling `onExpire`, and stops the timer. */
  clear(): void {
    this.#deadlines.clear();
    this.#disarm();
  }

  #arm(deadline: number): void {
    const now = this.#clock.now();
    const at = Math.max(deadline, this.#lastFired + this.#granularity);
    this.#timer = this.#clock.setTimeout(() => this.#fire(), Math.max(0, Math.ceil(at - now)));
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #fire(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    this.#lastFired = now;
    try {
      for (const key of this.#deadlines.keys()) {
        if (this.#deadlines.get(key)! > now) break;
        this.#deadlines.delete(key);
        this.#onExpire(key);
      }
    } finally {
      // onExpire may have armed the timer already (an add into an empty queue).
      if (this.#timer === undefined) {
        const next = this.oldest();
        if (next !== undefined) this.#arm(this.#deadlines.get(next)!);
      }
    }
  }
}
