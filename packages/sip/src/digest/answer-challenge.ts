import { randomBytes } from 'node:crypto';
import { toDigestAlgorithm } from './algorithms.js';
import { type DigestChallenge, parseChallenge } from './challenge.js';
import { computeHa1, computeResponse, computeUserhash, formatNc, hashBody, type Qop } from './compute.js';
import { serializeCredentials } from './credentials.js';
import { DigestError } from './errors.js';

export interface AnswerInput {
  /** One WWW-Authenticate / Proxy-Authenticate value, or its parsed form. Use `pickChallenge` to choose among several. */
  readonly challenge: string | DigestChallenge;
  /** The method of the request being sent. */
  readonly method: string;
  /** The Request-URI of the request being sent (digest-uri, RFC 3261 §22.4). */
  readonly uri: string;
  readonly username: string;
  /** The password; or give `ha1` instead. */
  readonly password?: string;
  /** HA1 for the challenge's algorithm and realm, instead of the password. */
  readonly ha1?: string;
  /** The request body, for qop=auth-int. Absent = empty. */
  readonly body?: string | Uint8Array;
  /** Client nonce; random by default. Tests pass the RFC's. */
  readonly cnonce?: string;
  /** Nonce count, 1 for the first request on this nonce. Default 1. */
  readonly nc?: number;
}

/** The qop this client answers with: auth when offered, else auth-int, else none (RFC 2069 challenge). */
export function chooseQop(challenge: DigestChallenge): Qop | undefined {
  if (challenge.qop === undefined) return undefined;
  if (challenge.qop.includes('auth')) return 'auth';
  if (challenge.qop.includes('auth-int')) return 'auth-int';
  throw new DigestError('unsupported-qop', `no supported qop in ${challenge.qop.join(',')}`);
}

/**
 * Answers one Digest challenge: returns the Authorization (for a 401) or
 * Proxy-Authorization (for a 407) value for the request about to be sent
 * (RFC 3261 §22.2–22.4, RFC 7616 §3.4).
 *
 * The response's algorithm, opaque and realm come from the challenge; with
 * userhash=true the username is sent hashed (RFC 7616 §3.4.4).
 *
 * @throws DigestParseError if `challenge` is a malformed string;
 *   DigestError if its algorithm or qop is not supported;
 *   TypeError if neither password nor ha1 is given.
 */
export function answerChallenge(input: AnswerInput): string {
  const challenge = typeof input.challenge === 'string' ? parseChallenge(input.challenge) : input.challenge;
  const algorithm = toDigestAlgorithm(challenge.algorithm);
  if (algorithm === undefined) {
    throw new DigestError('unsupported-algorithm', `unsupported digest algorithm ${String(challenge.algorithm)}`);
  }
  const qop = chooseQop(challenge);
  let ha1: string;
  if (input.ha1 !== undefined) ha1 = input.ha1;
  else if (input.password !== undefined) ha1 = computeHa1(algorithm, input.username, challenge.realm, input.password);
  else throw new TypeError('answerChallenge needs a password or an ha1');

  const nc = formatNc(input.nc ?? 1);
  const cnonce = input.cnonce ?? randomBytes(12).toString('base64url');
  const response = computeResponse({
    algorithm,
    ha1,
    method: input.method,
    uri: input.uri,
    nonce: challenge.nonce,
    ...(qop === undefined ? {} : { qop, nc, cnonce }),
    ...(qop === 'auth-int' ? { bodyHash: hashBody(algorithm, input.body ?? '') } : {}),
  });
  return serializeCredentials({
    username: challenge.userhash ? computeUserhash(algorithm, input.username, challenge.realm) : input.username,
    realm: challenge.realm,
    nonce: challenge.nonce,
    uri: input.uri,
    response,
    // Echo the server's token as written: some servers compare it as a string.
    ...(challenge.algorithm === undefined ? {} : { algorithm: challenge.algorithm }),
    ...(qop === undefined ? {} : { cnonce, qop, nc }),
    ...(challenge.opaque === undefined ? {} : { opaque: challenge.opaque }),
    ...(challenge.userhash ? { userhash: true } : {}),
  });
}
