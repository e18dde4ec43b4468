import { DIGEST_ALGORITHMS, type DigestAlgorithm, isDigestAlgorithm, toDigestAlgorithm } from './algorithms.js';
import { answerChallenge } from './answer-challenge.js';
import { type DigestChallenge, parseChallenge } from './challenge.js';
import { DigestError, DigestParseError } from './errors.js';
import { pickChallenge } from './pick-challenge.js';

export interface DigestClientOptions {
  readonly username: string;
  /** The password; or `ha1`. */
  readonly password?: string;
  /**
   * Stored HA1 values per algorithm, instead of a password (a provisioned
   * device). Only challenges with an algorithm listed here are answered; an
   * HA1 is bound to one realm, so this suits a client of a single realm.
   */
  readonly ha1?: Partial<Record<DigestAlgorithm, string>>;
  /** Algorithms this client may use. Default: all it has credentials for. */
  readonly algorithms?: readonly DigestAlgorithm[];
  /** How many nonces' counts to remember. Default 64. */
  readonly maxNonces?: number;
  /** Client nonce source; random by default. */
  readonly cnonce?: () => string;
}

/** The request being authorised. */
export interface ClientRequest {
  readonly method: string;
  readonly uri: string;
  readonly body?: string | Uint8Array;
}

/**
 * A UAC's digest state: the challenge it last chose per realm and the nonce
 * count per nonce (RFC 7616 §3.4: nc counts the requests the client has sent
 * with that nonce, starting at 1).
 *
 * ```
 *   401/407 ──► answer(values, req) ──► one credentials value per realm
 *   next request ──► authorize(req) ──► same nonces, nc + 1 (no round trip)
 *   401 stale=TRUE ──► answer(...) again: new nonce, nc back to 1, no user prompt
 * ```
 */
export class DigestClient {
  readonly username: string;
  readonly #password: string | undefined;
  readonly #ha1: Partial<Record<DigestAlgorithm, string>>;
  readonly #algorithms: readonly DigestAlgorithm[];
  readonly #maxNonces: number;
  readonly #cnonce: (() => string) | undefined;
  /** Last challenge chosen, per realm, in the order realms were first challenged. */
  readonly #challenges = new Map<string, DigestChallenge>();
  /** Last nc used per nonce; map order is recency (first = oldest). */
  readonly #counts = new Map<string, number>();

  constructor(options: DigestClientOptions) {
    const { username, password, ha1 = {}, maxNonces = 64 } = options;
    if (password === undefined && Object.keys(ha1).length === 0) {
      throw new TypeError('DigestClient needs a password or HA1 values');
    }
    if (!Number.isInteger(maxNonces) || maxNonces < 1) throw new TypeError('maxNonces must be a positive integer');
    const usable = password !== undefined ? DIGEST_ALGORITHMS : DIGEST_ALGORITHMS.filter((a) => ha1[a] !== undefined);
    const wanted = options.algorithms ?? usable;
    if (!wanted.every(isDigestAlgorithm)) throw new TypeError('unknown algorithm in algorithms');
    this.username = username;
    this.#password = password;
    this.#ha1 = { ...ha1 };
    this.#algorithms = wanted.filter((a) => usable.includes(a));
    this.#maxNonces = maxNonces;
    this.#cnonce = options.cnonce;
  }

  /**
   * Answers the challenges of a 401 or 407: the best challenge of each realm
   * (see `pickChallenge`) is chosen and remembered, and one credentials value
   * per realm is returned, to send as that many Authorization (or
   * Proxy-Authorization) header fields (RFC 3261 §22.3: a forking proxy may
   * gather challenges from several realms into one response).
   *
   * @throws DigestError 'no-usable-challenge' when no value can be answered.
   */
  answer(values: readonly (string | DigestChallenge)[], request: ClientRequest): string[] {
    const parsed: DigestChallenge[] = [];
    for (const value of values) {
      if (typeof value !== 'string') {
        parsed.push(value);
        continue;
      }
      try {
        parsed.push(parseChallenge(value));
      } catch (error) {
        if (!(error instanceof DigestParseError)) throw error;
      }
    }
    const realms = [...new Set(parsed.map((c) => c.realm))];
    const answered: string[] = [];
    for (const realm of realms) {
      const chosen = pickChallenge(parsed, { realm, algorithms: this.#algorithms });
      if (chosen === undefined) continue;
      // A repeated challenge for the same nonce keeps its count going.
      this.#challenges.delete(realm);
      this.#challenges.set(realm, chosen);
      answered.push(realm);
    }
    if (answered.length === 0) throw new DigestError('no-usable-challenge', 'no challenge this client can answer');
    return this.#answerRealms(answered, request);
  }

  /**
   * Credentials for a new request on the nonces already held, with the next
   * nonce count: what a UA sends with its next REGISTER refresh or in-dialog
   * request to save the 401 round trip. Empty before any challenge.
   */
  authorize(request: ClientRequest): string[] {
    return this.#answerRealms([...this.#challenges.keys()], request);
  }

  /** Drops the remembered challenge of `realm`, or of every realm. */
  forget(realm?: string): void {
    if (realm === undefined) this.#challenges.clear();
    else this.#challenges.delete(realm);
  }

  #answerRealms(realms: readonly string[], request: ClientRequest): string[] {
    return realms.map((realm) => {
      const challenge = this.#challenges.get(realm) as DigestChallenge;
      const algorithm = toDigestAlgorithm(challenge.algorithm) as DigestAlgorithm;
      const ha1 = this.#ha1[algorithm];
      return answerChallenge({
        challenge,
        method: request.method,
        uri: request.uri,
        username: this.username,
        ...(ha1 !== undefined ? { ha1 } : { password: this.#password as string }),
        ...(request.body === undefined ? {} : { body: request.body }),
        ...(this.#cnonce === undefined ? {} : { cnonce: this.#cnonce() }),
        nc: this.#nextCount(challenge.nonce),
      });
    });
  }

  #nextCount(nonce: string): number {
    const last = this.#counts.get(nonce) ?? 0;
    // After 2^32-1 requests on one nonce the count would wrap; start again at 1
    // and let the server's replay check send a fresh nonce (stale=TRUE).
    const next = last >= 0xffffffff ? 1 : last + 1;
    this.#counts.delete(nonce);
    this.#counts.set(nonce, next);
    while (this.#counts.size > this.#maxNonces) {
      this.#counts.delete(this.#counts.keys().next().value as string);
    }
    return next;
  }
}
