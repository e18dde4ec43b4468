/**
 * The TLS module's one error type. Misuse (no names, bad option types) is a
 * `TypeError`.
 */

/** What went wrong with the TLS material. */
export type TlsErrorCode = 'unreadable' | 'invalid' | 'ca-key-missing';

/** Every code with what it means; documentation and tests read this table. */
export const TLS_ERROR_CODES: Readonly<Record<TlsErrorCode, string>> = Object.freeze({
  unreadable: 'a certificate or key file cannot be read or written',
  invalid: 'a file is not a PEM certificate or key, or the key does not belong to the certificate',
  'ca-key-missing':
    'the server certificate must be re-issued but the private CA key is gone; delete DATA/tls to start a new CA',
});

/** A failure to obtain usable TLS material. */
export class TlsError extends Error {
  override readonly name = 'TlsError';
  /** Stable code; see {@link TLS_ERROR_CODES}. */
  readonly code: TlsErrorCode;
  /** The file concerned, when there is one. */
  readonly path: string | undefined;

  constructor(code: TlsErrorCode, message: string, options?: { cause?: unknown; path?: string }) {
    super(message, options);
    this.code = code;
    this.path = options?.path;
  }

  /** True when `err` is a TlsError, optionally of the given code. */
  static is(err: unknown, code?: TlsErrorCode): err is TlsError {
    return err instanceof TlsError && (code === undefined || err.code === code);
  }
}
