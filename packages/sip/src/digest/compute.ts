import { type DigestAlgorithm, digestHex, digestHexLength, isDigestAlgorithm } from './algorithms.js';

/** The quality-of-protection options Parley knows (RFC 7616 §3.3). */
export type Qop = 'auth' | 'auth-int';

/** Whether `value` is a qop this module can compute. */
export function isQop(value: unknown): value is Qop {
  return value === 'auth' || value === 'auth-int';
}

function checkAlgorithm(algorithm: DigestAlgorithm): void {
  if (!isDigestAlgorithm(algorithm)) throw new TypeError(`unsupported digest algorithm ${String(algorithm)}`);
}

/**
 * HA1 = H(username ":" realm ":" password), lowercase hex (RFC 7616 §3.4.2,
 * RFC 2617 §3.2.2.2).
 *
 * This is what the store keeps, one value per algorithm, instead of the
 * password (DESIGN.md §4): it lets the server check a response and nothing
 * else. It is still a password equivalent *for that realm*, so it deserves the
 * same care as a password hash.
 *
 * Strings are hashed as UTF-8 (RFC 7616 §3.4.2 with charset=UTF-8; SIP is
 * UTF-8 throughout, RFC 3261 §7.3.1). No Unicode normalisation is applied:
 * the client and the provisioning tool must agree on the form.
 */
export function computeHa1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  checkAlgorithm(algorithm);
  return digestHex(algorithm, `${username}:${realm}:${password}`);
}

/** The hashed username of RFC 7616 §3.4.4: H(username ":" realm). */
export function computeUserhash(algorithm: DigestAlgorithm, username: string, realm: string): string {
  checkAlgorithm(algorithm);
  return digestHex(algorithm, `${username}:${realm}`);
}

/** H(entity-body), the third field of A2 for qop=auth-int (RFC 7616 §3.4.3). An absent SIP body hashes as empty. */
export function hashBody(algorithm: DigestAlgorithm, body: string | Uint8Array): string {
  checkAlgorithm(algorithm);
  return digestHex(algorithm, body);
}

/** Writes a nonce count as the 8 lowercase hex digits of nc-value (RFC 3261 §25.1). */
export function formatNc(count: number): string {
  if (!Number.isInteger(count) || count < 1 || count > 0xffffffff) {
    throw new TypeError(`nonce count must be an integer from 1 to 2^32-1, got ${count}`);
  }
  return count.toString(16).padStart(8, '0');
}

/** Inputs of {@link computeResponse}. */
export interface ResponseInput {
  readonly algorithm: DigestAlgorithm;
  /** HA1 for this algorithm, hex (upper case is accepted and lowered). */
  readonly ha1: string;
  /** The SIP method (REGISTER, INVITE, …); A2 starts with it. */
  readonly method: string;
  /** digest-uri as it appears in the credentials. */
  readonly uri: string;
  readonly nonce: string;
  /**
   * nonce-count. A string is used exactly as sent (the peer hashed those
   * characters); a number is written with {@link formatNc}. Required with qop.
   */
  readonly nc?: string | number;
  /** Required with qop. */
  readonly cnonce?: string;
  /** Absent: the RFC 2069 form, response = H(HA1 ":" nonce ":" H(A2)). */
  readonly qop?: Qop;
  /** H(entity-body) from {@link hashBody}; required for qop=auth-int. */
  readonly bodyHash?: string;
}

/**
 * The request-digest (RFC 7616 §3.4.1, RFC 2617 §3.2.2.1, RFC 3261 §22.4):
 *
 * ```
 * A2       = Method ":" digest-uri               (qop=auth or absent)
 *          = Method ":" digest-uri ":" H(body)   (qop=auth-int)
 * response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" H(A2))   (qop present)
 *          = H(HA1 ":" nonce ":" H(A2))                              (RFC 2069)
 * ```
 *
 * Always two digest computations (H(A2) and the response), whatever the
 * inputs: the server relies on that to verify an unknown user at the cost of
 * a known one.
 *
 * @throws TypeError on misuse: unknown algorithm, HA1 of the wrong length,
 *   qop without nc/cnonce, auth-int without bodyHash.
 */
export function computeResponse(input: ResponseInput): string {
  const { algorithm, method, uri, nonce, qop } = input;
  checkAlgorithm(algorithm);
  const ha1 = input.ha1.toLowerCase();
  if (ha1.length !== digestHexLength(algorithm) || !/^[0-9a-f]+$/.test(ha1)) {
    throw new TypeError(`HA1 is not a ${algorithm} digest in hex`);
  }
  let a2 = `${method}:${uri}`;
  if (qop === 'auth-int') {
    if (input.bodyHash === undefined) throw new TypeError('qop=auth-int needs bodyHash');
    a2 += `:${input.bodyHash}`;
  } else if (qop !== undefined && qop !== 'auth') {
    throw new TypeError(`unsupported qop ${String(qop)}`);
  }
  const ha2 = digestHex(algorithm, a2);
  if (qop === undefined) return digestHex(algorithm, `${ha1}:${nonce}:${ha2}`);
  if (input.nc === undefined || input.cnonce === undefined) throw new TypeError('qop needs nc and cnonce');
  const nc = typeof input.nc === 'number' ? formatNc(input.nc) : input.nc;
  return digestHex(algorithm, `${ha1}:${nonce}:${nc}:${input.cnonce}:${qop}:${ha2}`);
}
