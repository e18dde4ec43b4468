import { algorithmStrength, DIGEST_ALGORITHMS, type DigestAlgorithm, toDigestAlgorithm } from './algorithms.js';
import { type DigestChallenge, parseChallenge } from './challenge.js';
import { DigestParseError } from './errors.js';

export interface PickOptions {
  /** Algorithms the client can answer. Default: all of MD5, SHA-256, SHA-512-256. */
  readonly algorithms?: readonly DigestAlgorithm[];
  /** Only consider challenges of this realm. */
  readonly realm?: string;
}

/**
 * Whether a client of this module can answer `challenge` with one of
 * `algorithms`: a known algorithm, and qop absent (RFC 2069) or listing auth
 * or auth-int.
 */
export function canAnswer(challenge: DigestChallenge, algorithms: readonly DigestAlgorithm[] = DIGEST_ALGORITHMS): boolean {
  const algorithm = toDigestAlgorithm(challenge.algorithm);
  if (algorithm === undefined || !algorithms.includes(algorithm)) return false;
  return challenge.qop === undefined || challenge.qop.includes('auth') || challenge.qop.includes('auth-int');
}

/**
 * Chooses the challenge to answer among the WWW-Authenticate (or
 * Proxy-Authenticate) values of one response.
 *
 * Rule: the strongest algorithm class this client supports wins (any SHA-2
 * over MD5, so a man in the middle who adds an MD5 challenge cannot pull a
 * client down to MD5 while a SHA-2 one is there); among equals, the first in
 * the response wins, which is the server's order of preference (RFC 8760 §2).
 * Values that are not Digest or do not parse are skipped: a response may
 * carry other schemes, and one bad value must not hide a good one.
 *
 * @returns the chosen challenge, or `undefined` when none can be answered.
 */
export function pickChallenge(
  values: readonly (string | DigestChallenge)[],
  options: PickOptions = {},
): DigestChallenge | undefined {
  const algorithms = options.algorithms ?? DIGEST_ALGORITHMS;
  let best: DigestChallenge | undefined;
  let bestStrength = 0;
  for (const value of values) {
    let challenge: DigestChallenge;
    if (typeof value === 'string') {
      try {
        challenge = parseChallenge(value);
      } catch (error) {
        if (error instanceof DigestParseError) continue;
        throw error;
      }
    } else {
      challenge = value;
    }
    if (options.realm !== undefined && challenge.realm !== options.realm) continue;
    if (!canAnswer(challenge, algorithms)) continue;
    const strength = algorithmStrength(toDigestAlgorithm(challenge.algorithm) as DigestAlgorithm);
    if (strength > bestStrength) {
      best = challenge;
      bestStrength = strength;
    }
  }
  return best;
}
