/**
 * Throttling of failed authentication (issue: "repeated failed authentication
 * is throttled per source and per user"). A sliding count of failures per key
 * over a window; past the limit the key is locked out for a while. Unknown
 * user names are counted exactly like known ones, so a lock-out reveals
 * nothing about which users exist. Memory is bounded (oldest keys dropped).
 */
export interface ThrottleOptions {
  /** Failures allowed per window before lock-out. */
  limit: number;
  windowMs: number;
  lockoutMs: number;
  /** Most keys tracked. */
  maxKeys?: number;
  now?: () => number;
}

interface Entry {
  count: number;
  windowStart: number;
  lockedUntil: number;
}

export class FailureThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly opts: ThrottleOptions) {
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? 100_000;
  }

  /** True while `key` is locked out. */
  isLocked(key: string): boolean {
    const e = this.entries.get(key);
    return e !== undefined && e.lockedUntil > this.now();
  }

  /** Count a failure; returns true when this failure locked the key out. */
  fail(key: string): boolean {
    const t = this.now();
    let e = this.entries.get(key);
    if (!e || t - e.windowStart > this.opts.windowMs) {
      if (!e && this.entries.size >= this.maxKeys) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      e = { count: 0, windowStart: t, lockedUntil: e?.lockedUntil ?? 0 };
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    e.count++;
    if (e.count > this.opts.limit && e.lockedUntil <= t) {
      e.lockedUntil = t + this.opts.lockoutMs;
      return true;
    }
    return false;
  }

  /** A success clears the key's failures (not an active lock-out). */
  succeed(key: string): void {
    const e = this.entries.get(key);
    if (e && e.lockedUntil <= this.now()) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Token bucket per key (requests per second per connection or source). */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Take one token; false when the key is over its rate. */
  take(key: string): boolean {
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      b = { tokens: this.burst, at: t };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.ratePerSec);
      b.at = t;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  forget(key: string): void {
    this.buckets.delete(key);
  }
}
