import { randomBytes } from 'node:crypto';
import { type DigestAlgorithm, digestHexLength, isDigestAlgorithm, toDigestAlgorithm } from './algorithms.js';
import { serializeChallenge } from './challenge.js';
import { computeResponse, hashBody, isQop, type Qop } from './compute.js';
import { constantTimeEqual } from './constant-time.js';
import { type DigestCredentials, parseCredentials } from './credentials.js';
import { DigestParseError } from './errors.js';
import { NonceCountTracker, type NonceCountStore, type NonceCountVerdict } from './nonce-count-tracker.js';
import { NonceManager } from './nonce-manager.js';

/**
 * Why a request failed to authenticate. For logs and metrics only: see
 * {@link DigestServer.verify} on answering every failure the same way.
 */
export type DigestFailureReason =
  /** No Digest credentials value could be parsed (answer 400, or challenge again). */
  | 'malformed'
  /** Credentials parsed, none for this server's realm. */
  | 'unknown-realm'
  /** The algorithm is not one this server offers. */
  | 'unsupported-algorithm'
  /** The qop is not one this server offers, or absent while RFC 2069 mode is off, or nc is 0. */
  | 'unsupported-qop'
  /** digest-uri differs from the Request-URI. */
  | 'uri-mismatch'
  /** The nonce is not ours (forged, garbled, other realm). */
  | 'invalid-nonce'
  /** Good response on an expired (or forgotten) nonce: challenge again with stale=TRUE. */
  | 'stale'
  /** Good response, but this (nonce, nc) was used before. */
  | 'replay'
  /** lookupHa1 knows no such user. Must look exactly like 'bad-response' to the peer. */
  | 'unknown-user'
  /** Wrong response: wrong password, or a tampered request. */
  | 'bad-response';

/** The outcome of {@link DigestServer.verify}. */
export type DigestVerifyResult =
  | {
      readonly ok: true;
      readonly username: string;
      readonly realm: string;
      readonly algorithm: DigestAlgorithm;
      /** Absent for RFC 2069 style credentials. */
      readonly qop?: Qop;
      /** The nonce count, with qop. */
      readonly nc?: number;
    }
  | {
      readonly ok: false;
      readonly reason: DigestFailureReason;
      /** Pass to {@link DigestServer.challenge}: the client may retry without asking the user. */
      readonly stale: boolean;
      /** The claimed username, when the credentials parsed (for logs; never proof of anything). */
      readonly username?: string;
    };

/** Where the server finds the HA1 stored for a user and algorithm; `undefined` when there is none. */
export type Ha1Lookup = (
  username: string,
  realm: string,
  algorithm: DigestAlgorithm,
) => string | undefined | Promise<string | undefined>;

export interface VerifyInput {
  /**
   * The Authorization (or Proxy-Authorization) value, or all of them: the one
   * for this realm is used (RFC 3261 §22.3 has a proxy look through every
   * Proxy-Authorization value for its own realm).
   */
  readonly credentials: string | readonly string[];
  /** The request's method (RFC 3261 §22: ACK and CANCEL are not challenged; the caller keeps them away). */
  readonly method: string;
  readonly lookupHa1: Ha1Lookup;
  /** When given, digest-uri must equal it (compared as strings, trimmed; RFC 2617 §3.2.2.5). */
  readonly requestUri?: string;
  /** The message body, for qop=auth-int. Absent = empty body. */
  readonly body?: string | Uint8Array;
}

export interface DigestServerOptions {
  readonly realm: string;
  /** Nonce HMAC key, the same on every front end of a pool (see NonceManager). */
  readonly secret: Buffer;
  readonly previousSecrets?: readonly Buffer[];
  /** Offered algorithms, most preferred first. Default ['SHA-256', 'MD5']. */
  readonly algorithms?: readonly DigestAlgorithm[];
  /** Nonce lifetime in ms. Default 300 000. */
  readonly lifetimeMs?: number;
  readonly maxClockSkewMs?: number;
  /** Offered qop values. Default 'auth'. */
  readonly qop?: Qop | readonly Qop[];
  /**
   * Accept credentials without qop (RFC 2069 style), for old devices. Off by
   * default. Such credentials carry no nonce count, so each nonce is then
   * good for one request only (the client gets stale=TRUE and a new nonce for
   * the next): without that, a captured request could be replayed for the
   * whole nonce lifetime.
   */
  readonly allowNoQop?: boolean;
  readonly clock?: () => number;
  /** Replay tracker. Default: a `NonceCountTracker` of 10 000 nonces. */
  readonly nonceCounts?: NonceCountStore;
}

/**
 * The server (UAS, registrar or proxy) side of SIP digest authentication
 * (RFC 3261 §22.2–22.4, RFC 8760 §2).
 *
 * ```
 *   request without credentials ──► challenge() ──► 401/407 with one
 *                                                   WWW-/Proxy-Authenticate per value
 *   request with credentials ─────► verify() ─ ok ─► go on
 *                                        └──── fail ─► 401/407 with challenge({ stale })
 * ```
 *
 * Stateless across a pool: nonces are checked by HMAC (NonceManager); only
 * the replay tracker holds memory, bounded.
 */
export class DigestServer {
  readonly realm: string;
  readonly algorithms: readonly DigestAlgorithm[];
  readonly qop: readonly Qop[];
  readonly allowNoQop: boolean;
  readonly #nonces: NonceManager;
  readonly #counts: NonceCountStore;
  /** Random HA1 per algorithm, used when the user is unknown (see verify). */
  readonly #dummyHa1: Readonly<Record<DigestAlgorithm, string>>;

  constructor(options: DigestServerOptions) {
    const { realm, algorithms = ['SHA-256', 'MD5'], qop = 'auth', allowNoQop = false } = options;
    if (typeof realm !== 'string' || realm === '') throw new TypeError('realm must be a non-empty string');
    if (algorithms.length === 0 || !algorithms.every(isDigestAlgorithm)) {
      throw new TypeError('algorithms must list MD5, SHA-256 or SHA-512-256');
    }
    const qops: readonly Qop[] = typeof qop === 'string' ? [qop] : qop;
    if (qops.length === 0 || !qops.every(isQop)) throw new TypeError('qop must be auth and/or auth-int');
    this.realm = realm;
    this.algorithms = [...new Set(algorithms)];
    this.qop = [...new Set(qops)];
    this.allowNoQop = allowNoQop;
    this.#nonces = new NonceManager({
      secret: options.secret,
      ...(options.previousSecrets === undefined ? {} : { previousSecrets: options.previousSecrets }),
      ...(options.lifetimeMs === undefined ? {} : { lifetimeMs: options.lifetimeMs }),
      ...(options.maxClockSkewMs === undefined ? {} : { maxClockSkewMs: options.maxClockSkewMs }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    this.#counts = options.nonceCounts ?? new NonceCountTracker(options.clock ? { clock: options.clock } : {});
    const dummy = (a: DigestAlgorithm): string => randomBytes(digestHexLength(a) / 2).toString('hex');
    this.#dummyHa1 = { MD5: dummy('MD5'), 'SHA-256': dummy('SHA-256'), 'SHA-512-256': dummy('SHA-512-256') };
  }

  /**
   * The values for the WWW-Authenticate (401) or Proxy-Authenticate (407)
   * header fields: one per algorithm, most preferred first, all with the same
   * fresh nonce. RFC 8760 §2 has a server offer each algorithm it supports in
   * its own header field, in order of preference, so an MD5-only phone finds
   * the challenge it understands and a modern one takes the first.
   */
  challenge(options: { readonly stale?: boolean } = {}): string[] {
    const nonce = this.#nonces.create(this.realm);
    return this.algorithms.map((algorithm) =>
      serializeChallenge({ realm: this.realm, nonce, algorithm, qop: this.qop, stale: options.stale === true }),
    );
  }

  /**
   * Checks the credentials of a request.
   *
   * Order of the checks, and why: everything that needs no secret (syntax,
   * realm, algorithm, qop, uri) and the nonce MAC come first, so garbage and
   * forged nonces never reach `lookupHa1` (the store). Then the user is looked
   * up and the response computed and compared in constant time. The nonce
   * count is recorded last, only for a correct response: recording it before
   * would let anyone burn a legitimate client's counts with forged requests.
   *
   * Security: an unknown user costs the same as a wrong password. When
   * `lookupHa1` returns `undefined`, the response is still computed, against
   * a random HA1 of the right algorithm, and compared in constant time; the
   * two cases differ only in `reason`. Callers MUST answer 'unknown-user' and
   * 'bad-response' identically (same status, same headers, a fresh
   * challenge), or the difference tells an attacker which usernames exist.
   * (The latency of `lookupHa1` itself is the caller's to keep even.)
   *
   * `stale` is true only for a correct response on an expired, forgotten or
   * already-counted nonce (RFC 7616 §3.3: stale=TRUE says the client knows the
   * password), so the client retries with the new nonce on its own.
   *
   * Never throws for anything a peer sends. Rejects with a `TypeError` if
   * `lookupHa1` returns something that is not an HA1 of the algorithm (a
   * store bug), and with whatever `lookupHa1` itself throws.
   */
  async verify(input: VerifyInput): Promise<DigestVerifyResult> {
    const found = this.#select(input.credentials);
    if (typeof found === 'string') return fail(found);
    const c = found;
    const username = c.username;
    const algorithm = toDigestAlgorithm(c.algorithm);
    if (algorithm === undefined || !this.algorithms.includes(algorithm)) {
      return fail('unsupported-algorithm', username);
    }
    let qop: Qop | undefined;
    let nc: number | undefined;
    if (c.qop === undefined) {
      if (!this.allowNoQop) return fail('unsupported-qop', username);
    } else {
      if (!isQop(c.qop) || !this.qop.includes(c.qop)) return fail('unsupported-qop', username);
      qop = c.qop;
      nc = Number.parseInt(c.nc as string, 16);
      if (nc === 0) return fail('unsupported-qop', username);
    }
    if (input.requestUri !== undefined && c.uri.trim() !== input.requestUri.trim()) {
      return fail('uri-mismatch', username);
    }
    const nonce = this.#nonces.inspect(c.nonce, this.realm);
    if (nonce.status === 'invalid') return fail('invalid-nonce', username);

    const stored = await input.lookupHa1(username, this.realm, algorithm);
    const known = stored !== undefined;
    const expected = computeResponse({
      algorithm,
      ha1: known ? stored : this.#dummyHa1[algorithm],
      method: input.method,
      uri: c.uri,
      nonce: c.nonce,
      ...(qop === undefined ? {} : { qop, nc: c.nc as string, cnonce: c.cnonce as string }),
      ...(qop === 'auth-int' ? { bodyHash: hashBody(algorithm, input.body ?? '') } : {}),
    });
    const match = constantTimeEqual(expected, c.response.toLowerCase());
    if (!known) return fail('unknown-user', username);
    if (!match) return fail('bad-response', username);
    if (nonce.status === 'stale') return fail('stale', username, true);

    // RFC 2069 credentials carry no count: each nonce is then good once.
    const verdict: NonceCountVerdict = await this.#counts.accept({
      nonce: c.nonce,
      nc: nc ?? 1,
      issuedAt: nonce.issuedAt,
      expiresAt: nonce.expiresAt,
    });
    if (verdict === 'replay') return fail('replay', username, true);
    if (verdict === 'forgotten') return fail('stale', username, true);
    return {
      ok: true,
      username,
      realm: this.realm,
      algorithm,
      ...(qop === undefined ? {} : { qop, nc }),
    };
  }

  /** Picks the credentials for this realm, or says why there are none. */
  #select(values: string | readonly string[]): DigestCredentials | 'malformed' | 'unknown-realm' {
    const list = typeof values === 'string' ? [values] : values;
    let parsedAny = false;
    for (const value of list) {
      let c: DigestCredentials;
      try {
        c = parseCredentials(value);
      } catch (error) {
        if (error instanceof DigestParseError) continue;
        throw error;
      }
      if (c.realm === this.realm) return c;
      parsedAny = true;
    }
    return parsedAny ? 'unknown-realm' : 'malformed';
  }
}

function fail(reason: DigestFailureReason, username?: string, stale = false): DigestVerifyResult {
  return username === undefined ? { ok: false, reason, stale } : { ok: false, reason, stale, username };
}
