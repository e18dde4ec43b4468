/**
 * A small map whose entries expire after their DNS time to live, with a size
 * cap. Least recently used entries go first when the cap is reached.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; expires: number }>();
  readonly #maxSize: number;
  readonly #now: () => number;

  /**
   * @param maxSize entries kept at most; 0 disables caching.
   * @param now clock in milliseconds, injectable for tests.
   */
  constructor(maxSize: number, now: () => number = Date.now) {
    if (!Number.isInteger(maxSize) || maxSize < 0) throw new TypeError('maxSize must be an integer >= 0');
    this.#maxSize = maxSize;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The live value under `key`, or `undefined` when absent or expired. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    // Re-insert so that Map order is least recently used first.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value` for `ttlMs` milliseconds; a TTL of 0 or less stores nothing. */
  set(key: string, value: V, ttlMs: number): void {
    if (this.#maxSize === 0 || !(ttlMs > 0)) return;
    this.#entries.delete(key);
    while (this.#entries.size >= this.#maxSize) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, { value, expires: this.#now() + ttlMs });
  }

  clear(): void {
    this.#entries.clear();
  }
}
