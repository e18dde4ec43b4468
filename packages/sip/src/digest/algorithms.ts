import { createHash } from 'node:crypto';

/**
 * The digest hash algorithms SIP uses (RFC 8760 §2, which registers SHA-256
 * and SHA-512-256 for SIP next to the MD5 of RFC 3261 §22.4).
 *
 * The `-sess` variants of RFC 7616 §3.4.2 are not supported: RFC 8760 does
 * not bring them to SIP and no SIP peer Parley targets uses them.
 *
 * `SHA-512-256` is SHA-512/256 of FIPS 180-4 (its own initial values, then
 * truncated), which is not the first 256 bits of SHA-512; node's
 * `createHash('sha512-256')` is the former (see the RFC 7616 §3.9.2 note in
 * compute.test.ts).
 */
export type DigestAlgorithm = 'MD5' | 'SHA-256' | 'SHA-512-256';

/** All supported algorithms, strongest first. */
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-512-256', 'SHA-256', 'MD5'];

const NODE_HASH: Readonly<Record<DigestAlgorithm, string>> = {
  MD5: 'md5',
  'SHA-256': 'sha256',
  'SHA-512-256': 'sha512-256',
};

const HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = {
  MD5: 32,
  'SHA-256': 64,
  'SHA-512-256': 64,
};

/**
 * Strength classes used when a client chooses among challenges: any SHA-2
 * variant beats MD5; between equals the server's order decides (RFC 8760 §2:
 * challenges are listed in the server's order of preference).
 */
const STRENGTH: Readonly<Record<DigestAlgorithm, number>> = {
  MD5: 1,
  'SHA-256': 2,
  'SHA-512-256': 2,
};

/**
 * The algorithm a challenge or credentials value names.
 *
 * An absent `algorithm` parameter means MD5 (RFC 3261 §22.4, RFC 7616 §3.3).
 * Tokens compare case-insensitively (`sha-256` is SHA-256). Anything else,
 * including the `-sess` variants, gives `undefined`.
 */
export function toDigestAlgorithm(token: string | undefined): DigestAlgorithm | undefined {
  if (token === undefined) return 'MD5';
  switch (token.toUpperCase()) {
    case 'MD5':
      return 'MD5';
    case 'SHA-256':
      return 'SHA-256';
    case 'SHA-512-256':
      return 'SHA-512-256';
    default:
      return undefined;
  }
}

/** Whether `value` is one of the supported algorithm names, spelled canonically. */
export function isDigestAlgorithm(value: unknown): value is DigestAlgorithm {
  return value === 'MD5' || value === 'SHA-256' || value === 'SHA-512-256';
}

/** Length in lowercase hex characters of one digest of `algorithm`. */
export function digestHexLength(algorithm: DigestAlgorithm): number {
  return HEX_LENGTH[algorithm];
}

/** Strength class of `algorithm` (higher is stronger); see {@link STRENGTH}. */
export function algorithmStrength(algorithm: DigestAlgorithm): number {
  return STRENGTH[algorithm];
}

let hashOperations = 0;

/**
 * H(data) of RFC 7616 §3.2: the digest of `data` (strings as UTF-8) as
 * lowercase hex.
 */
export function digestHex(algorithm: DigestAlgorithm, data: string | Uint8Array): string {
  hashOperations++;
  const hash = createHash(NODE_HASH[algorithm]);
  if (typeof data === 'string') hash.update(data, 'utf8');
  else hash.update(data);
  return hash.digest('hex');
}

/**
 * Number of digests computed by this module since it was loaded.
 *
 * Not part of the public API: tests use it to show that verifying an unknown
 * user does exactly the hashing work of verifying a wrong password.
 */
export function hashOperationCount(): number {
  return hashOperations;
}
