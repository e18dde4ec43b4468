import { createHmac, timingSafeEqual } from 'node:crypto';
import { randomInto } from '../message/random.js';

/** What {@link NonceManager.check} says of a nonce. */
export type NonceStatus = 'valid' | 'stale' | 'invalid';

/** {@link NonceManager.inspect}: the status, with the times a caller needs for replay tracking. */
export type NonceInspection =
  | { readonly status: 'valid'; readonly issuedAt: number; readonly expiresAt: number }
  | { readonly status: 'stale'; readonly issuedAt: number }
  | { readonly status: 'invalid' };

export interface NonceManagerOptions {
  /** HMAC key, the same on every front end of a pool; at least 16 bytes of randomness. */
  readonly secret: Buffer;
  /**
   * Former secrets, still accepted when checking (never used to create).
   * Rotating a secret then costs no one a re-prompt: nonces made with the old
   * one are good until they expire.
   */
  readonly previousSecrets?: readonly Buffer[];
  /** How long a nonce is good for, in milliseconds. Default 300 000 (5 minutes). */
  readonly lifetimeMs?: number;
  /**
   * How far in the future a nonce's timestamp may be, for front ends whose
   * clocks differ slightly. Default 30 000 ms.
   */
  readonly maxClockSkewMs?: number;
  /** Milliseconds since the epoch; `Date.now` by default. Tests pass a fake. */
  readonly clock?: () => number;
}

const TIME_BYTES = 8;
const RANDOM_BYTES = 8;
const MAC_BYTES = 16;
const NONCE_BYTES = TIME_BYTES + RANDOM_BYTES + MAC_BYTES;
/** 32 bytes in unpadded base64url. */
const NONCE_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** How many of the nonces this manager issued last it remembers (see {@link NonceManager.inspect}). */
const RECENT_NONCES = 4096;

/**
 * Stateless nonces that any front end of a pool can check.
 *
 * ```
 * nonce = base64url( time (ms, 8 bytes BE) | random (8 bytes)
 *                    | HMAC-SHA256(secret, time | random | realm)[0..16) )
 * ```
 *
 * Why stateless: in a pool (DESIGN.md §1) the 401 may come from one front
 * end and the retried request reach another. A nonce that carries its own
 * issue time and a MAC over it needs no shared table; RFC 7616 §3.3 suggests
 * this construction (a timestamp and a keyed hash in the nonce) and §5.4
 * explains the limited lifetime.
 *
 * Why the realm is in the MAC: a nonce issued for one realm (domain) cannot
 * be spent on another hosted by the same servers.
 *
 * Status:
 *  - `valid`: our MAC, issued less than `lifetimeMs` ago;
 *  - `stale`: our MAC but expired (or dated further ahead than the allowed
 *    clock skew, which only a clock step makes). The server answers with
 *    `stale=TRUE` and the client retries with the new nonce without asking
 *    the user (RFC 7616 §3.3);
 *  - `invalid`: not ours: forged, garbled, or for another realm.
 *
 * A nonce alone does not stop replay within its lifetime; pair it with a
 * nonce-count tracker (`NonceCountTracker`).
 */
export class NonceManager {
  readonly lifetimeMs: number;
  readonly #secret: Buffer;
  readonly #secrets: readonly Buffer[];
  readonly #maxSkewMs: number;
  readonly #clock: () => number;
  /**
   * The last nonces this manager issued ("nonce\0realm" → issue time), oldest
   * first: the usual answer to a challenge comes back within milliseconds, and
   * a nonce found here is ours by construction, so its MAC need not be
   * computed again. Bounded; anything else is checked by its MAC.
   */
  readonly #recent = new Map<string, number>();
  /**
   * The keys of `#recent` in issue order, as a ring: the oldest is dropped
   * by position. (Taking a Map's first key again and again after deletions
   * walks every deleted slot before it until V8 compacts the table.)
   */
  readonly #ring: Array<string | undefined> = new Array<string | undefined>(RECENT_NONCES).fill(undefined);
  #ringNext = 0;

  constructor(options: NonceManagerOptions) {
    const { secret, previousSecrets = [], lifetimeMs = 300_000, maxClockSkewMs = 30_000 } = options;
    for (const s of [secret, ...previousSecrets]) {
      if (!Buffer.isBuffer(s) || s.length < 16) throw new TypeError('nonce secret must be a Buffer of at least 16 bytes');
    }
    if (!Number.isFinite(lifetimeMs) || lifetimeMs <= 0) throw new TypeError('lifetimeMs must be a positive number');
    if (!Number.isFinite(maxClockSkewMs) || maxClockSkewMs < 0) throw new TypeError('maxClockSkewMs must be >= 0');
    this.#secret = Buffer.from(secret);
    this.#secrets = [this.#secret, ...previousSecrets.map((s) => Buffer.from(s))];
    this.lifetimeMs = lifetimeMs;
    this.#maxSkewMs = maxClockSkewMs;
    this.#clock = options.clock ?? Date.now;
  }

  /** A fresh nonce for `realm`. */
  create(realm: string): string {
    const raw = Buffer.allocUnsafe(NONCE_BYTES);
    const head = raw.subarray(0, TIME_BYTES + RANDOM_BYTES);
    const issuedAt = Math.max(0, Math.floor(this.#clock()));
    head.writeBigUInt64BE(BigInt(issuedAt), 0);
    randomInto(head, TIME_BYTES, RANDOM_BYTES);
    mac(this.#secret, head, realm).copy(raw, TIME_BYTES + RANDOM_BYTES);
    const nonce = raw.toString('base64url');
    const key = `${nonce}\0${realm}`;
    const oldest = this.#ring[this.#ringNext];
    if (oldest !== undefined) this.#recent.delete(oldest);
    this.#ring[this.#ringNext] = key;
    this.#ringNext = (this.#ringNext + 1) % RECENT_NONCES;
    this.#recent.set(key, issuedAt);
    return nonce;
  }

  /** Whether `nonce` is one of ours for `realm`, and still fresh. */
  check(nonce: string, realm: string): NonceStatus {
    return this.inspect(nonce, realm).status;
  }

  /** Like {@link check}, with the issue and expiry times. */
  inspect(nonce: string, realm: string): NonceInspection {
    if (typeof nonce !== 'string') return { status: 'invalid' };
    const known = this.#recent.get(`${nonce}\0${realm}`);
    if (known !== undefined) return this.#dated(known);
    if (!NONCE_SHAPE.test(nonce)) return { status: 'invalid' };
    const raw = Buffer.from(nonce, 'base64url');
    // Refuse non-canonical spellings (other values in the last character's
    // two spare bits): they decode to the same bytes, so without this check
    // one nonce would have four names and a replay tracker keyed by the
    // string could be walked around.
    if (raw.length !== NONCE_BYTES || raw.toString('base64url') !== nonce) return { status: 'invalid' };
    const head = raw.subarray(0, TIME_BYTES + RANDOM_BYTES);
    const tag = raw.subarray(TIME_BYTES + RANDOM_BYTES);
    let ours = false;
    // Every secret is tried, even after a match, so the time does not tell which one matched.
    for (const secret of this.#secrets) {
      if (timingSafeEqual(mac(secret, head, realm), tag)) ours = true;
    }
    if (!ours) return { status: 'invalid' };
    return this.#dated(Number(raw.readBigUInt64BE(0)));
  }

  /** Valid or stale by the issue time of a nonce known to be ours. */
  #dated(issuedAt: number): NonceInspection {
    const now = this.#clock();
    const expiresAt = issuedAt + this.lifetimeMs;
    if (now >= expiresAt || issuedAt > now + this.#maxSkewMs) return { status: 'stale', issuedAt };
    return { status: 'valid', issuedAt, expiresAt };
  }
}

function mac(secret: Buffer, head: Buffer, realm: string): Buffer {
  return createHmac('sha256', secret).update(head).update(realm, 'utf8').digest().subarray(0, MAC_BYTES);
}
