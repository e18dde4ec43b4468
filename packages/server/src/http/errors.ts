/**
 * The HTTP server's one error type. Misuse (bad options) is a `TypeError`.
 */

/** What went wrong with the HTTP server. */
export type HttpServerErrorCode = 'listen-failed' | 'closed';

/** Every code with what it means; documentation and tests read this table. */
export const HTTP_SERVER_ERROR_CODES: Readonly<Record<HttpServerErrorCode, string>> = Object.freeze({
  'listen-failed': 'the server could not bind its address and port (in use, no permission, no such address)',
  closed: 'the server was closed; it cannot listen again',
});

/** A failure of the HTTP server with a stable code. */
export class HttpServerError extends Error {
  override readonly name = 'HttpServerError';
  /** Stable code; see {@link HTTP_SERVER_ERROR_CODES}. */
  readonly code: HttpServerErrorCode;

  constructor(code: HttpServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True when `err` is an HttpServerError, optionally of the given code. */
  static is(err: unknown, code?: HttpServerErrorCode): err is HttpServerError {
    return err instanceof HttpServerError && (code === undefined || err.code === code);
  }
}
