/**
 * The error catalogue of the digest module.
 *
 * Two kinds of failure reach a caller:
 *  - {@link DigestParseError}: a header value received from the network is not
 *    a well-formed Digest challenge or credentials value. The caller answers
 *    the peer (400 Bad Request for credentials, or treats a challenge as
 *    unusable); it never crashes on hostile input.
 *  - {@link DigestError}: the client cannot answer a challenge (no algorithm or
 *    qop it supports).
 *
 * Misuse by the calling code (a password containing CR/LF, a counter out of
 * range, an HA1 of the wrong length) is a `TypeError`, as everywhere in Parley
 * (STYLE.md, "Errors").
 *
 * Codes are stable strings; `DIGEST_ERROR_CODES` lists them all so a test can
 * check that this comment and the code agree.
 */

/** Codes of {@link DigestParseError}. */
export type DigestParseErrorCode =
  /** Nothing but whitespace. */
  | 'empty'
  /** Longer than {@link MAX_AUTH_VALUE_LENGTH}: refused before any work. */
  | 'too-long'
  /** A scheme other than Digest (Basic, Bearer, NTLM, …). */
  | 'unsupported-scheme'
  /** A character where the RFC 3261 §25.1 grammar allows none. */
  | 'syntax'
  /** A quoted-string without its closing DQUOTE. */
  | 'unterminated-quote'
  /** The same parameter twice: ambiguous, so refused (two parsers could read different values). */
  | 'duplicate-param'
  /** realm, nonce, username, uri, response, or (with qop) cnonce / nc is absent. */
  | 'missing-param'
  /** A known parameter with a value its grammar forbids (stale=maybe, nc=12). */
  | 'invalid-value';

/** Codes of {@link DigestError} (client side). */
export type DigestErrorCode =
  /** None of the challenges offers an algorithm and qop this client can answer. */
  | 'no-usable-challenge'
  /** The algorithm named by a challenge is not MD5, SHA-256 or SHA-512-256. */
  | 'unsupported-algorithm'
  /** The challenge lists only qop values other than auth / auth-int. */
  | 'unsupported-qop';

/** Every code of the module, for documentation tests. */
export const DIGEST_ERROR_CODES: readonly (DigestParseErrorCode | DigestErrorCode)[] = [
  'empty',
  'too-long',
  'unsupported-scheme',
  'syntax',
  'unterminated-quote',
  'duplicate-param',
  'missing-param',
  'invalid-value',
  'no-usable-challenge',
  'unsupported-algorithm',
  'unsupported-qop',
];

/** Longest header value the parsers look at. SIP itself has no limit; 8 KiB is far above any real Authorization value. */
export const MAX_AUTH_VALUE_LENGTH = 8192;

/** Base class: every error this module throws on purpose is a `DigestError` (or a `TypeError` for misuse). */
export class DigestError extends Error {
  readonly code: DigestErrorCode | DigestParseErrorCode;

  constructor(code: DigestErrorCode | DigestParseErrorCode, message: string) {
    super(message);
    this.name = 'DigestError';
    this.code = code;
  }
}

/** A received header value is not a well-formed Digest challenge or credentials value. */
export class DigestParseError extends DigestError {
  declare readonly code: DigestParseErrorCode;
  /** Offset in the input where the problem was seen, when there is one. */
  readonly position: number | undefined;

  constructor(code: DigestParseErrorCode, message: string, position?: number) {
    super(code, position === undefined ? message : `${message} (at offset ${position})`);
    this.name = 'DigestParseError';
    this.position = position;
  }
}
