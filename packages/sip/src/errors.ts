/**
 * The error catalogue of the SIP layer.
 *
 * - {@link SipParseError}: a message, header or URI that does not follow the
 *   grammar of RFC 3261 §25 (or a rule of §7, §8, §20). It carries the status
 *   code a server should answer with (400 in most cases; 505 for a version we
 *   do not speak, RFC 3261 §8.2.2/§21.5.6) and whether a response can be formed
 *   at all (when the mandatory headers are unreadable the message is dropped).
 * - {@link InvalidStateError}: an operation on a state machine in a state that
 *   does not allow it (STYLE.md: an illegal transition is an error).
 * - `TypeError` (built in) for misuse of an API by the caller.
 */

export type SipParseErrorCode =
  | 'start-line'
  | 'version'
  | 'header-syntax'
  | 'header-value'
  | 'missing-header'
  | 'duplicate-header'
  | 'content-length'
  | 'too-large'
  | 'uri'
  | 'cseq-mismatch'
  | 'body';

export class SipParseError extends Error {
  override readonly name = 'SipParseError';
  /** Which rule was broken. */
  readonly code: SipParseErrorCode;
  /** The header concerned, lower-case full name, when there is one. */
  readonly header: string | undefined;
  /** The status a UAS/proxy answers with (RFC 3261 §8.2, §16.3). */
  readonly status: number;

  constructor(code: SipParseErrorCode, message: string, opts: { header?: string; status?: number } = {}) {
    super(message);
    this.code = code;
    this.header = opts.header;
    this.status = opts.status ?? 400;
  }

  /** A reason phrase for the response: short, printable, no CR/LF. */
  get reasonPhrase(): string {
    const base = this.status === 505 ? 'Version Not Supported' : 'Bad Request';
    const detail = this.message.replace(/[\r\n\x00-\x1f\x7f]+/g, ' ').slice(0, 80);
    return `${base} (${detail})`;
  }
}

export class InvalidStateError extends Error {
  override readonly name = 'InvalidStateError';
  constructor(message: string) {
    super(message);
  }
}
