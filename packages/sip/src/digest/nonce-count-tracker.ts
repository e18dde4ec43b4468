/**
 * Nonce-count replay protection (RFC 7616 §3.4 and §5.5; RFC 3261 §22.4).
 *
 * With qop, every request made with one nonce carries a count `nc` that the
 * client raises by one each time, and the count is inside the response hash.
 * A server that remembers which counts it has seen for a nonce can refuse a
 * captured request sent again: same nonce, same nc.
 *
 * Requests on one nonce may arrive out of order (SIP over UDP, several
 * transactions in flight), so a strict "greater than the last" rule would
 * refuse good requests. The tracker keeps, per nonce, the highest count seen
 * and a bitmap of the `window` counts below it, as IPsec does for sequence
 * numbers (RFC 4303 §3.4.3): a count above the highest is fresh; one inside
 * the window is fresh once; one below the window is refused.
 *
 * ```
 *            window (32)            highest
 *   ... ─────[x . x x . . x x ... x x]─────►  nc
 *   refused   seen-once bits            fresh above
 * ```
 */

/** The verdict on one (nonce, nc). */
export type NonceCountVerdict =
  /** Not seen before: accept, now remembered. */
  | 'fresh'
  /** Seen before, or too far below the highest count to tell: refuse. */
  | 'replay'
  /**
   * The tracker no longer knows this nonce (it was evicted for room, or its
   * lifetime is over): refuse, and send a new nonce with stale=TRUE, which
   * the client follows without asking the user.
   */
  | 'forgotten';

/** One use of a nonce, as the server saw it. */
export interface NonceCountUse {
  readonly nonce: string;
  /** The count, 1 to 2^32-1. */
  readonly nc: number;
  /** When the nonce was issued (ms since the epoch), from `NonceManager.inspect`. */
  readonly issuedAt: number;
  /** When it expires; the tracker may forget it after that. */
  readonly expiresAt: number;
}

/**
 * What `DigestServer` needs to refuse replays. {@link NonceCountTracker} is
 * the in-memory implementation; a pool that wants replay protection across
 * front ends (a nonce made by one, its requests spread over several) can
 * supply one backed by shared state.
 */
export interface NonceCountStore {
  accept(use: NonceCountUse): NonceCountVerdict | Promise<NonceCountVerdict>;
}

export interface NonceCountTrackerOptions {
  /** Most nonces remembered at once; the least recently used goes first. Default 10 000. */
  readonly maxNonces?: number;
  /** How far below the highest count a late request is still accepted (once), 1 to 32. Default 32. */
  readonly window?: number;
  /** Milliseconds since the epoch; `Date.now` by default. */
  readonly clock?: () => number;
}

interface Entry {
  /** The nonce as stored: a copy of its own (see {@link ownCopy}). */
  readonly key: string;
  highest: number;
  /** Bit i set: count `highest - i` has been seen. */
  bitmap: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** Recency list: towards the least recently used, and towards the most recent. */
  older: Entry | undefined;
  newer: Entry | undefined;
}

/**
 * A string that holds only its own characters. A nonce taken from a parsed
 * header is a slice of the whole message text, and keeping the slice keeps
 * the whole message alive for the nonce's lifetime (seen: 6.9 MB of REGISTER
 * texts held by this table at 20,000 registrations). `' ' + s` is a cons
 * string; slicing it flattens it into a new string of s's length + 1.
 */
function ownCopy(s: string): string {
  return (' ' + s).slice(1);
}

/** How many expired entries one `accept` call may drop: keeps each call O(1). */
const SWEEP_PER_CALL = 4;

/**
 * A bounded, in-memory {@link NonceCountStore}.
 *
 * Memory is bounded by `maxNonces` entries of a few numbers each. Eviction is
 * where a naive tracker leaks: once a live nonce's entry is dropped, its
 * counts could be replayed as if new. So the tracker keeps a watermark, the
 * issue time of the newest nonce it evicted before expiry, and calls
 * `forgotten` any unknown nonce issued at or before it. The cost is one extra
 * round trip (stale=TRUE) for a client whose old nonce was evicted; the gain
 * is that memory pressure (or a flood meant to cause it) never opens a replay.
 *
 * The tracker is per process: in a pool, a request replayed to another front
 * end is not caught by this class (see {@link NonceCountStore}).
 */
export class NonceCountTracker implements NonceCountStore {
  readonly maxNonces: number;
  readonly window: number;
  readonly #clock: () => number;
  readonly #entries = new Map<string, Entry>();
  /**
   * Recency order as a doubly linked list (oldest = least recently used).
   * Not the Map's own order: taking its first entry again and again after
   * deletions walks over every deleted slot before it (V8 compacts the table
   * only when it grows), which made `accept` O(n) under a REGISTER load.
   */
  #oldest: Entry | undefined;
  #newest: Entry | undefined;
  #watermark = -Infinity;

  constructor(options: NonceCountTrackerOptions = {}) {
    const { maxNonces = 10_000, window = 32 } = options;
    if (!Number.isInteger(maxNonces) || maxNonces < 1) throw new TypeError('maxNonces must be a positive integer');
    if (!Number.isInteger(window) || window < 1 || window > 32) throw new TypeError('window must be 1 to 32');
    this.maxNonces = maxNonces;
    this.window = window;
    this.#clock = options.clock ?? Date.now;
  }

  /** Number of nonces remembered. */
  get size(): number {
    return this.#entries.size;
  }

  accept(use: NonceCountUse): NonceCountVerdict {
    const { nonce, nc } = use;
    if (!Number.isInteger(nc) || nc < 1 || nc > 0xffffffff) throw new TypeError('nc must be an integer from 1 to 2^32-1');
    const now = this.#clock();
    this.#sweep(now, SWEEP_PER_CALL);
    if (use.expiresAt <= now) return 'forgotten';

    const entry = this.#entries.get(nonce);
    if (entry === undefined) {
      if (use.issuedAt <= this.#watermark) return 'forgotten';
      const key = ownCopy(nonce);
      const created: Entry = { key, highest: nc, bitmap: 1, issuedAt: use.issuedAt, expiresAt: use.expiresAt, older: undefined, newer: undefined };
      this.#entries.set(key, created);
      this.#append(created);
      this.#evict(now);
      return 'fresh';
    }
    if (entry !== this.#newest) {
      this.#unlink(entry);
      this.#append(entry);
    }

    if (nc > entry.highest) {
      const shift = nc - entry.highest;
      entry.bitmap = shift >= 32 ? 1 : ((entry.bitmap << shift) | 1) >>> 0;
      entry.highest = nc;
      return 'fresh';
    }
    const behind = entry.highest - nc;
    if (behind >= this.window) return 'replay';
    const bit = (1 << behind) >>> 0;
    if ((entry.bitmap & bit) !== 0) return 'replay';
    entry.bitmap = (entry.bitmap | bit) >>> 0;
    return 'fresh';
  }

  /** Drops every entry whose nonce has expired; returns how many. Optional: `accept` sweeps a little each call. */
  sweep(): number {
    return this.#sweep(this.#clock(), Infinity);
  }

  /** Looks at up to `limit` of the least recently used entries and drops the expired ones. */
  #sweep(now: number, limit: number): number {
    let dropped = 0;
    let looked = 0;
    for (let e = this.#oldest; e !== undefined && looked < limit; looked++) {
      const next = e.newer;
      if (e.expiresAt <= now) {
        this.#remove(e);
        dropped++;
      }
      e = next;
    }
    return dropped;
  }

  #evict(now: number): void {
    while (this.#entries.size > this.maxNonces && this.#oldest !== undefined) {
      const entry = this.#oldest;
      this.#remove(entry);
      if (entry.expiresAt > now && entry.issuedAt > this.#watermark) this.#watermark = entry.issuedAt;
    }
  }

  #remove(e: Entry): void {
    this.#entries.delete(e.key);
    this.#unlink(e);
  }

  #append(e: Entry): void {
    e.older = this.#newest;
    e.newer = undefined;
    if (this.#newest) this.#newest.newer = e;
    else this.#oldest = e;
    this.#newest = e;
  }

  #unlink(e: Entry): void {
    if (e.older) e.older.newer = e.newer;
    else this.#oldest = e.newer;
    if (e.newer) e.newer.older = e.older;
    else this.#newest = e.older;
    e.older = e.newer = undefined;
  }
}
